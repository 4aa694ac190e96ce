package localaws

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
)

// ctClientAs is a CloudTrail client of the real SDK signing as key,
// with the SDK's standard retries: aws-sdk-go-v2 can close its own
// connection while it reads a large answer (aws/aws-sdk-go-v2#2737) and
// retries that error by default, as a caller of real AWS would.
func ctClientAs(srv *Server, key, secret string) *cloudtrail.Client {
	return cloudtrail.New(cloudtrail.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()),
		Credentials: staticCreds(key, secret)})
}

// ctClientOnce makes one attempt, so a throttle reaches the test.
func ctClientOnce(srv *Server, key, secret string) *cloudtrail.Client {
	return cloudtrail.New(cloudtrail.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()),
		Credentials: staticCreds(key, secret), Retryer: noRetries()})
}

// lookupAll pages through every event matching attr (nil: all), newest
// first, as the SDK's paginator reads them.
func lookupAll(t *testing.T, ct *cloudtrail.Client, attr *cttypes.LookupAttribute) []cttypes.Event {
	t.Helper()
	in := &cloudtrail.LookupEventsInput{}
	if attr != nil {
		in.LookupAttributes = []cttypes.LookupAttribute{*attr}
	}
	var out []cttypes.Event
	p := cloudtrail.NewLookupEventsPaginator(ct, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("LookupEvents: %v", err)
		}
		out = append(out, page.Events...)
	}
	return out
}

func attr(key cttypes.LookupAttributeKey, value string) *cttypes.LookupAttribute {
	return &cttypes.LookupAttribute{AttributeKey: key, AttributeValue: aws.String(value)}
}
