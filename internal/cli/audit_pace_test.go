package cli

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/smithy-go"
)

// scriptedLookup answers LookupEvents with its errors in turn, then
// with an empty page.
type scriptedLookup struct {
	errs  []error
	calls int
}

func (s *scriptedLookup) LookupEvents(context.Context, *cloudtrail.LookupEventsInput, ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error) {
	s.calls++
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		return nil, err
	}
	return &cloudtrail.LookupEventsOutput{}, nil
}

func TestPacedLookupWaitsOutThrottling(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	ct := &scriptedLookup{errs: []error{throttled, throttled}}
	p := &pacedLookup{ct: ct, interval: time.Millisecond}
	if _, err := p.lookup(context.Background(), &cloudtrail.LookupEventsInput{}); err != nil || ct.calls != 3 {
		t.Fatalf("after two throttles: err %v, %d calls, want nil and 3", err, ct.calls)
	}

	always := &scriptedLookup{errs: make([]error, auditThrottleRetries+2)}
	for i := range always.errs {
		always.errs[i] = throttled
	}
	p = &pacedLookup{ct: always, interval: time.Millisecond}
	if _, err := p.lookup(context.Background(), &cloudtrail.LookupEventsInput{}); !errors.Is(err, throttled) || always.calls != auditThrottleRetries+1 {
		t.Fatalf("throttled throughout: err %v, %d calls, want the throttling after %d", err, always.calls, auditThrottleRetries+1)
	}

	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}
	once := &scriptedLookup{errs: []error{denied}}
	p = &pacedLookup{ct: once, interval: time.Millisecond}
	if _, err := p.lookup(context.Background(), &cloudtrail.LookupEventsInput{}); !errors.Is(err, denied) || once.calls != 1 {
		t.Fatalf("a refusal: err %v, %d calls, want it at once", err, once.calls)
	}
}
