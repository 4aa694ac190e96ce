package localaws

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// TestIAMCloudWatchTags: the tag operations name the alarm's ARN as given;
// TagResource carries aws:RequestTag and aws:TagKeys, UntagResource
// aws:TagKeys; DescribeAlarmsForMetric has no resource ("*").
func TestIAMCloudWatchTags(t *testing.T) {
	srv := startIAMServer(t, withAdmin(iamConfig([]string{
		`{"Effect":"Allow","Action":["cloudwatch:TagResource","cloudwatch:ListTagsForResource"],"Resource":"` + alarmPrefix + `credstage-*",
		  "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["Environment"]}}}`,
		`{"Effect":"Allow","Action":"cloudwatch:UntagResource","Resource":"` + alarmPrefix + `credstage-*",
		  "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["Scratch"]}}}`})))
	worker, admin := cwClientAs(srv, workerKey, workerSecret), cwClientAs(srv, adminKey, adminSecret)
	ctx := iamCtx(t)
	for _, name := range []string{"credstage-failures", "other"} {
		if _, err := admin.PutMetricAlarm(ctx, cwFailureAlarm(name)); err != nil {
			t.Fatalf("PutMetricAlarm %s: %v", name, err)
		}
	}
	tag := func(arn, key string) error {
		_, err := worker.TagResource(ctx, &cloudwatch.TagResourceInput{ResourceARN: aws.String(arn),
			Tags: []cwtypes.Tag{{Key: aws.String(key), Value: aws.String("v")}}})
		return err
	}
	if err := tag(alarmPrefix+"credstage-failures", "Environment"); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	requireAPIError(t, tag(alarmPrefix+"other", "Environment"), "AccessDenied", 403,
		"cloudwatch:TagResource on resource: "+alarmPrefix+"other")
	requireAPIError(t, tag(alarmPrefix+"credstage-failures", "Owner"), "AccessDenied", 403, "cloudwatch:TagResource")
	if _, err := worker.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(alarmPrefix + "credstage-failures")}); err != nil {
		t.Fatalf("ListTagsForResource: %v", err)
	}
	_, err := worker.UntagResource(ctx, &cloudwatch.UntagResourceInput{ResourceARN: aws.String(alarmPrefix + "credstage-failures"), TagKeys: []string{"Environment"}})
	requireAPIError(t, err, "AccessDenied", 403, "cloudwatch:UntagResource")
	if _, err := worker.UntagResource(ctx, &cloudwatch.UntagResourceInput{ResourceARN: aws.String(alarmPrefix + "credstage-failures"), TagKeys: []string{"Scratch"}}); err != nil {
		t.Fatalf("UntagResource of an allowed key: %v", err)
	}
	_, err = worker.DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{Namespace: aws.String("Credstage"), MetricName: aws.String("RotationFailed")})
	requireAPIError(t, err, "AccessDenied", 403, "perform: cloudwatch:DescribeAlarmsForMetric because no identity-based policy allows")
}
