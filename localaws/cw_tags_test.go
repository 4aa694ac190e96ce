package localaws

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

func cwTagsOf(t *testing.T, c *cloudwatch.Client, arn string) string {
	t.Helper()
	out, err := c.ListTagsForResource(cwCtx(t), &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsForResource: %v", err)
	}
	var parts []string
	for _, tag := range out.Tags {
		parts = append(parts, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
	}
	return strings.Join(parts, ",")
}

func TestCWAlarmTags(t *testing.T) {
	srv, c := startCWServer(t, Options{})
	ctx := cwCtx(t)
	in := cwFailureAlarm("tagged")
	in.Tags = []cwtypes.Tag{{Key: aws.String("Environment"), Value: aws.String("production")}}
	if _, err := c.PutMetricAlarm(ctx, in); err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(cwAlarmState(t, c, "tagged").AlarmArn)
	if got := cwTagsOf(t, c, arn); got != "Environment=production" {
		t.Fatalf("tags given on create: %q", got)
	}

	// An update's tags are ignored, as AWS documents.
	in.Tags = []cwtypes.Tag{{Key: aws.String("Other"), Value: aws.String("x")}}
	if _, err := c.PutMetricAlarm(ctx, in); err != nil {
		t.Fatal(err)
	}
	if got := cwTagsOf(t, c, arn); got != "Environment=production" {
		t.Fatalf("tags after an update: %q", got)
	}

	if _, err := c.TagResource(ctx, &cloudwatch.TagResourceInput{ResourceARN: aws.String(arn), Tags: []cwtypes.Tag{
		{Key: aws.String("Environment"), Value: aws.String("staging")}, {Key: aws.String("Team"), Value: aws.String("db")}}}); err != nil {
		t.Fatal(err)
	}
	if got := cwTagsOf(t, c, arn); got != "Environment=staging,Team=db" {
		t.Fatalf("after TagResource: %q", got)
	}
	if _, err := c.UntagResource(ctx, &cloudwatch.UntagResourceInput{ResourceARN: aws.String(arn), TagKeys: []string{"Environment", "Absent"}}); err != nil {
		t.Fatal(err)
	}
	if got := cwTagsOf(t, c, arn); got != "Team=db" {
		t.Fatalf("after UntagResource: %q", got)
	}

	// The query protocol lists them too.
	r := cwQuery(t, srv, "ListTagsForResource", url.Values{"ResourceARN": {arn}})
	cwRequireOK(t, "ListTagsForResource query", r)
	if !strings.Contains(string(r.body), "<Tags><member><Key>Team</Key><Value>db</Value></member></Tags>") {
		t.Fatalf("query body %s", r.body)
	}

	// Deleting the alarm takes its tags; a new alarm of that name starts bare.
	if _, err := c.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"tagged"}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
	// The modelled error has no message member, so the SDK shows none;
	// ResourceType and ResourceId say what was not found.
	requireCWError(t, err, "ResourceNotFoundException", "")
	var nf *cwtypes.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.ResourceId) != "tagged" || aws.ToString(nf.ResourceType) != "alarm" {
		t.Fatalf("want *types.ResourceNotFoundException naming the alarm, got %T %+v", err, nf)
	}
}

func TestCWTagErrors(t *testing.T) {
	srv, c := startCWServer(t, Options{})
	ctx := cwCtx(t)
	if _, err := c.PutMetricAlarm(ctx, cwFailureAlarm("a")); err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(cwAlarmState(t, c, "a").AlarmArn)
	tag := func(k, v string) cwtypes.Tag { return cwtypes.Tag{Key: aws.String(k), Value: aws.String(v)} }
	many := func(n int) []cwtypes.Tag {
		var tags []cwtypes.Tag
		for i := range n {
			tags = append(tags, tag(fmt.Sprintf("k%d", i), "v"))
		}
		return tags
	}
	dashboardARN := "arn:aws:cloudwatch::000000000000:dashboard/d"
	cases := []struct {
		name, arn string
		tags      []cwtypes.Tag
		code, msg string
	}{
		{"unknown alarm", arn + "x", many(1), "ResourceNotFoundException", "The resource " + arn + "x does not exist or cannot be tagged."},
		{"dashboard", dashboardARN, many(1), "ResourceNotFoundException", dashboardARN},
		{"not an ARN", "alarm-a", many(1), "InvalidParameterValue", "The value alarm-a for parameter ResourceARN is not a valid ARN."},
		{"51 tags", arn, many(51), "InvalidParameterValue", "The collection Tags must not have a size greater than 50."},
		{"aws: prefix", arn, []cwtypes.Tag{tag("aws:owner", "x")}, "InvalidParameterValue",
			"The value aws:owner for parameter Tags.member.1.Key is invalid: the aws: prefix is reserved for AWS use."},
		{"key too long", arn, []cwtypes.Tag{tag(strings.Repeat("k", 129), "x")}, "InvalidParameterValue",
			"The parameter Tags.member.1.Key must be shorter than 129 characters."},
		{"value too long", arn, []cwtypes.Tag{tag("k", strings.Repeat("v", 257))}, "InvalidParameterValue",
			"The parameter Tags.member.1.Value must be shorter than 257 characters."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.TagResource(ctx, &cloudwatch.TagResourceInput{ResourceARN: aws.String(tc.arn), Tags: tc.tags})
			if tc.code == "ResourceNotFoundException" {
				// No message member in the model: the query body carries it.
				requireCWError(t, err, tc.code, "")
				r := cwQuery(t, srv, "TagResource", url.Values{"ResourceARN": {tc.arn}, "Tags.member.1.Key": {"k"}, "Tags.member.1.Value": {"v"}})
				if r.status != http.StatusNotFound || !strings.Contains(string(r.body), tc.msg) {
					t.Fatalf("query: %d %s, want 404 and %q", r.status, r.body, tc.msg)
				}
				return
			}
			if apiErr := requireCWError(t, err, tc.code, tc.msg); apiErr.ErrorMessage() != tc.msg {
				t.Fatalf("message %q, want %q", apiErr.ErrorMessage(), tc.msg)
			}
		})
	}

	// 50 in all is the limit, counting those the alarm has.
	if _, err := c.TagResource(ctx, &cloudwatch.TagResourceInput{ResourceARN: aws.String(arn), Tags: many(50)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.TagResource(ctx, &cloudwatch.TagResourceInput{ResourceARN: aws.String(arn), Tags: []cwtypes.Tag{tag("one-more", "v")}})
	requireCWError(t, err, "InvalidParameterValue", "at most 50 tags")

	// On the query protocol the code and status are the same.
	r := cwQuery(t, srv, "UntagResource", url.Values{"ResourceARN": {arn + "x"}, "TagKeys.member.1": {"k"}})
	if r.status != http.StatusNotFound || !strings.Contains(string(r.body), "<Code>ResourceNotFoundException</Code>") {
		t.Fatalf("query UntagResource of an unknown alarm: %d %s", r.status, r.body)
	}
}
