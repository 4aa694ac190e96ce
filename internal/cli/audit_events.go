package cli

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/credstage/credstage/internal/plan"
)

// How `credstage audit` reads CloudTrail's event history: LookupEvents
// by ResourceName, within the API's own limits. AWS allows two lookups a
// second per account and Region, keeps 90 days and pages by 50, so the
// reader paces itself rather than be throttled, and stops at a cap of
// events per secret that the report states, rather than page for hours
// through a secret read by a busy fleet.

// eventLookup is what the audit needs of CloudTrail.
type eventLookup interface {
	LookupEvents(ctx context.Context, in *cloudtrail.LookupEventsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error)
}

var _ eventLookup = (*cloudtrail.Client)(nil)

const (
	// auditLookupInterval spaces lookups at AWS's 2 requests a second.
	auditLookupInterval = 500 * time.Millisecond
	// auditMaxSince is how far back CloudTrail's event history reaches.
	auditMaxSince = 90 * 24 * time.Hour
	// auditDefaultMaxEvents is the default cap of events read per secret.
	auditDefaultMaxEvents = 5000
	// auditThrottleRetries is how many more tries a throttled lookup
	// gets, backing off 1 s, 2 s, ... (31 s in all).
	auditThrottleRetries = 5
)

// pacedLookup spaces calls so that they never exceed AWS's rate, shared
// by every query of one run.
type pacedLookup struct {
	ct       eventLookup
	interval time.Duration

	mu   sync.Mutex
	last time.Time
}

// lookup is one LookupEvents call, paced. Throttling is waited out, not
// reported: other clients of the account (another audit a moment ago)
// share the 2/s, so a paced call can still meet a full bucket. It backs
// off from the interval, doubling, for at most auditThrottleRetries more
// tries; any other error, or the last throttling, is returned.
func (p *pacedLookup) lookup(ctx context.Context, in *cloudtrail.LookupEventsInput) (*cloudtrail.LookupEventsOutput, error) {
	backoff := p.interval
	for try := 0; ; try++ {
		if err := p.pace(ctx, backoff); err != nil {
			return nil, err
		}
		out, err := p.ct.LookupEvents(ctx, in)
		if err == nil || try == auditThrottleRetries || retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
			return out, err
		}
		backoff *= 2
	}
}

// pace waits until gap has passed since the previous call of the run.
func (p *pacedLookup) pace(ctx context.Context, gap time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if wait := time.Until(p.last.Add(gap)); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	p.last = time.Now()
	return nil
}

// auditEvent is what the audit reads of one CloudTrail record. It keeps
// no request parameter but the token, and CloudTrail records no secret
// value, so none can reach the report.
type auditEvent struct {
	ID        string
	Name      string
	Time      time.Time
	Principal string
	ErrorCode string
	// Token is a PutSecretValue's ClientRequestToken: credstage's names
	// the run that wrote the version.
	Token string
}

// cloudTrailRecord is the part of a CloudTrailEvent the audit reads.
type cloudTrailRecord struct {
	EventName    string `json:"eventName"`
	ErrorCode    string `json:"errorCode"`
	UserIdentity struct {
		Type        string `json:"type"`
		ARN         string `json:"arn"`
		AccessKeyID string `json:"accessKeyId"`
		// An assumed role's caller is its session; the role is the
		// session's issuer, what resource policies and readers name.
		SessionContext struct {
			SessionIssuer struct {
				ARN string `json:"arn"`
			} `json:"sessionIssuer"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	RequestParameters struct {
		ClientRequestToken string `json:"clientRequestToken"`
	} `json:"requestParameters"`
}

// principalOf names who made a call: the role for an assumed role's
// session, else the ARN, else the access key.
func (r *cloudTrailRecord) principalOf() string {
	id := r.UserIdentity
	return firstNonEmpty(id.SessionContext.SessionIssuer.ARN, id.ARN, accessKeyPrincipal(id.AccessKeyID), "(unknown caller)")
}

func accessKeyPrincipal(key string) string {
	if key == "" {
		return ""
	}
	return "access key " + key
}

// secretEvents reads the events naming a secret by any of names (its ARN
// and its name: which one CloudTrail indexes depends on how the caller
// named it), newest first, at most maxEvents in all. truncated says the
// cap stopped the reading before the window's start.
func secretEvents(ctx context.Context, p *pacedLookup, names []string, from, to time.Time, maxEvents int) (events []auditEvent, truncated bool, err error) {
	seen := map[string]bool{}
	for _, name := range names {
		in := &cloudtrail.LookupEventsInput{StartTime: aws.Time(from), EndTime: aws.Time(to),
			LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyResourceName, AttributeValue: aws.String(name)}}}
		for {
			out, err := p.lookup(ctx, in)
			if err != nil {
				return nil, false, &plan.AWSError{Op: "LookupEvents " + name, Err: err}
			}
			for _, e := range out.Events {
				id := aws.ToString(e.EventId)
				if seen[id] {
					continue
				}
				if len(events) == maxEvents {
					return events, true, nil
				}
				seen[id] = true
				events = append(events, toAuditEvent(e))
			}
			if aws.ToString(out.NextToken) == "" {
				break
			}
			in.NextToken = out.NextToken
		}
	}
	return events, false, nil
}

func toAuditEvent(e cttypes.Event) auditEvent {
	var rec cloudTrailRecord
	// A record that does not decode still counts, by its indexed fields.
	_ = json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &rec)
	principal := rec.principalOf()
	if principal == "(unknown caller)" {
		principal = firstNonEmpty(accessKeyPrincipal(aws.ToString(e.AccessKeyId)), aws.ToString(e.Username), principal)
	}
	return auditEvent{ID: aws.ToString(e.EventId), Name: firstNonEmpty(aws.ToString(e.EventName), rec.EventName),
		Time: aws.ToTime(e.EventTime), Principal: principal, ErrorCode: rec.ErrorCode,
		Token: rec.RequestParameters.ClientRequestToken}
}
