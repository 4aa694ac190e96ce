package localaws

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Each lookup attribute selects exactly the events it names.
func TestCTLookupEachAttribute(t *testing.T) {
	srv, _ := startSMServer(t, Options{})
	ctx := smCtx(t)
	alice := smClientAs(srv, "AKIDALICE", "s")
	bob := smClientAs(srv, "AKIDBOB", "s")
	a := createSMSecret(t, alice, "app/a", "value-a")
	createSMSecret(t, alice, "app/b", "value-b")
	for range 3 {
		_, err := bob.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/a")})
		requireNoErr(t, "GetSecretValue", err)
	}
	_, err := bob.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/missing")})
	requireSMError(t, err, "ResourceNotFoundException", "")
	ct := ctClientAs(srv, "AKIDAUDIT", "s")

	all := lookupAll(t, ct, nil)
	if len(all) != 6 {
		t.Fatalf("got %d events, want 6 (2 CreateSecret, 4 GetSecretValue)", len(all))
	}
	count := func(a *cttypes.LookupAttribute) int { return len(lookupAll(t, ct, a)) }
	for _, tc := range []struct {
		attr *cttypes.LookupAttribute
		want int
	}{
		{attr(cttypes.LookupAttributeKeyEventName, "GetSecretValue"), 4},
		{attr(cttypes.LookupAttributeKeyEventName, "CreateSecret"), 2},
		{attr(cttypes.LookupAttributeKeyReadOnly, "true"), 4},
		{attr(cttypes.LookupAttributeKeyReadOnly, "false"), 2},
		{attr(cttypes.LookupAttributeKeyUsername, "AKIDBOB"), 4},
		{attr(cttypes.LookupAttributeKeyAccessKeyId, "AKIDALICE"), 2},
		{attr(cttypes.LookupAttributeKeyEventSource, "secretsmanager.amazonaws.com"), 6},
		{attr(cttypes.LookupAttributeKeyEventSource, "rds.amazonaws.com"), 0},
		{attr(cttypes.LookupAttributeKeyResourceType, ctTypeSecret), 6},
		{attr(cttypes.LookupAttributeKeyResourceName, aws.ToString(a.ARN)), 4},
		{attr(cttypes.LookupAttributeKeyResourceName, "app/missing"), 1},
		{attr(cttypes.LookupAttributeKeyEventId, aws.ToString(all[2].EventId)), 1},
	} {
		// The LookupEvents calls above are events too: count only SM ones.
		got := 0
		for _, e := range lookupAll(t, ct, tc.attr) {
			if aws.ToString(e.EventSource) == "secretsmanager.amazonaws.com" {
				got++
			}
		}
		if got != tc.want {
			t.Errorf("%s=%s: got %d events, want %d", tc.attr.AttributeKey, aws.ToString(tc.attr.AttributeValue), got, tc.want)
		}
	}
	if n := count(attr(cttypes.LookupAttributeKeyEventName, "LookupEvents")); n < 1 {
		t.Errorf("LookupEvents calls are not recorded")
	}

	// The newest GetSecretValue is the failed one, with AWS's shape.
	reads := lookupAll(t, ct, attr(cttypes.LookupAttributeKeyEventName, "GetSecretValue"))
	var ev map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(reads[0].CloudTrailEvent)), &ev); err != nil {
		t.Fatal(err)
	}
	if ev["errorCode"] != "ResourceNotFoundException" || ev["eventSource"] != "secretsmanager.amazonaws.com" ||
		ev["readOnly"] != true || ev["eventType"] != "AwsApiCall" || ev["awsRegion"] != "us-east-1" ||
		ev["recipientAccountId"] != testAccount || ev["responseElements"] != nil {
		t.Errorf("event: %v", ev)
	}
	who := ev["userIdentity"].(map[string]any)
	if who["accessKeyId"] != "AKIDBOB" || who["type"] != "IAMUser" || who["arn"] != "arn:aws:iam::"+testAccount+":user/AKIDBOB" {
		t.Errorf("userIdentity: %v", who)
	}
	ok := reads[1]
	if len(ok.Resources) != 1 || aws.ToString(ok.Resources[0].ResourceName) != aws.ToString(a.ARN) ||
		aws.ToString(ok.Resources[0].ResourceType) != ctTypeSecret || aws.ToString(ok.ReadOnly) != "true" ||
		aws.ToString(ok.Username) != "AKIDBOB" || aws.ToString(ok.AccessKeyId) != "AKIDBOB" || ok.EventTime == nil {
		t.Errorf("event: %+v", ok)
	}
	if p := ev["requestParameters"].(map[string]any); p["secretId"] != "app/missing" {
		t.Errorf("requestParameters: %v", p)
	}
}

// More than 50 events page by NextToken, newest first, each once, even
// while new events arrive between pages.
func TestCTLookupPaging(t *testing.T) {
	srv, sm := startSMServer(t, Options{})
	ctx := smCtx(t)
	createSMSecret(t, sm, "app/p", "v")
	for range 120 {
		_, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("app/p")})
		requireNoErr(t, "DescribeSecret", err)
	}
	ct := ctClientAs(srv, "AKIDAUDIT", "s")
	in := &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{*attr(cttypes.LookupAttributeKeyEventName, "DescribeSecret")}}
	seen := map[string]bool{}
	var last time.Time
	pages := 0
	for {
		out, err := ct.LookupEvents(ctx, in)
		requireNoErr(t, fmt.Sprint("LookupEvents page ", pages+1), err)
		pages++
		if len(out.Events) > 50 {
			t.Fatalf("page of %d events", len(out.Events))
		}
		for _, e := range out.Events {
			if seen[*e.EventId] {
				t.Fatalf("event %s twice", *e.EventId)
			}
			seen[*e.EventId] = true
			if !last.IsZero() && e.EventTime.After(last) {
				t.Fatalf("not newest first")
			}
			last = *e.EventTime
		}
		// New events between pages do not shift the next page.
		_, err = sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("app/p")})
		requireNoErr(t, "DescribeSecret", err)
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	if len(seen) != 120 || pages != 3 {
		t.Fatalf("got %d events in %d pages, want 120 in 3", len(seen), pages)
	}
}

// AWS's rules on input: MaxResults 1..50, one attribute, a valid time
// range, a token only with the query that made it.
func TestCTLookupBadInput(t *testing.T) {
	srv, sm := startSMServer(t, Options{})
	ctx := smCtx(t)
	createSMSecret(t, sm, "app/x", "v")
	createSMSecret(t, sm, "app/y", "v")
	ct := ctClientAs(srv, "AKIDAUDIT", "s")
	for _, n := range []int32{0, 51, -1} {
		_, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(n)})
		requireAPIError(t, err, "InvalidMaxResultsException", http.StatusBadRequest, "")
	}
	for _, n := range []int32{1, 50} {
		out, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(n)})
		requireNoErr(t, fmt.Sprint("MaxResults ", n), err)
		if n == 1 && (len(out.Events) != 1 || out.NextToken == nil) {
			t.Fatalf("MaxResults 1: %d events, token %v", len(out.Events), out.NextToken)
		}
	}
	_, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		*attr(cttypes.LookupAttributeKeyEventName, "CreateSecret"), *attr(cttypes.LookupAttributeKeyReadOnly, "false")}})
	requireAPIError(t, err, "InvalidLookupAttributesException", http.StatusBadRequest, "more than one")
	_, err = ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{*attr("Color", "red")}})
	requireAPIError(t, err, "InvalidLookupAttributesException", http.StatusBadRequest, "")

	now := time.Now()
	_, err = ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Hour))})
	requireAPIError(t, err, "InvalidTimeRangeException", http.StatusBadRequest, "")
	out, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{StartTime: aws.Time(now.Add(time.Hour)), EndTime: aws.Time(now.Add(2 * time.Hour))})
	requireNoErr(t, "future window", err)
	if len(out.Events) != 0 {
		t.Fatalf("future window: %d events", len(out.Events))
	}
	out, err = ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now.Add(time.Minute)),
		LookupAttributes: []cttypes.LookupAttribute{*attr(cttypes.LookupAttributeKeyEventName, "CreateSecret")}})
	requireNoErr(t, "past hour", err)
	if len(out.Events) != 2 {
		t.Fatalf("past hour: %d CreateSecret events, want 2", len(out.Events))
	}

	_, err = ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{NextToken: aws.String("not-a-token")})
	requireAPIError(t, err, "InvalidNextTokenException", http.StatusBadRequest, "")
	page, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(1)})
	requireNoErr(t, "page", err)
	_, err = ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{NextToken: page.NextToken,
		LookupAttributes: []cttypes.LookupAttribute{*attr(cttypes.LookupAttributeKeyEventName, "CreateSecret")}})
	requireAPIError(t, err, "InvalidNextTokenException", http.StatusBadRequest, "")
}

// The ring keeps the newest TrailEvents events.
func TestCTTrailBounded(t *testing.T) {
	srv, sm := startSMServer(t, Options{TrailEvents: 5})
	ctx := smCtx(t)
	for i := range 8 {
		_, _ = sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(fmt.Sprint("s", i))})
	}
	got := srv.trail.newestFirst()
	if len(got) != 5 || got[0].resources[0].ARN != "s7" || got[4].resources[0].ARN != "s3" {
		t.Fatalf("ring: %d events", len(got))
	}
}

// In quota mode LookupEvents is AWS's 2 requests/s per account and
// Region, answered with CloudTrail's ThrottlingException.
func TestCTLookupThrottled(t *testing.T) {
	srv, clock := startQuotaServer(t, Options{Quotas: &QuotaConfig{}})
	ct := ctClientOnce(srv, "AKIDAUDIT", "s")
	ctx := smCtx(t)
	for i := range 2 {
		_, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
		requireNoErr(t, fmt.Sprint("lookup ", i), err)
	}
	_, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	requireThrottled(t, err, "ThrottlingException")
	clock.Advance(500 * time.Millisecond)
	_, err = ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	requireNoErr(t, "after refill", err)
	// The throttled call is an event too, with its error.
	throttled := 0
	for _, e := range srv.trail.newestFirst() {
		if strings.Contains(e.json, `"errorCode":"ThrottlingException"`) {
			throttled++
		}
	}
	if throttled != 1 {
		t.Fatalf("%d throttled LookupEvents recorded, want 1", throttled)
	}
}
