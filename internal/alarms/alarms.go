// Package alarms defines the CloudWatch alarms credstage keeps on its own
// metrics (README.md, Alarms): per environment, one on each outcome a
// human must hear about. The definitions live here once; `credstage
// alarms apply` puts them and `credstage alarms list` reads them back.
//
// A CloudWatch alarm watches one series and never aggregates across
// dimensions, so every alarm watches a per-environment roll-up series
// (the Environment dimension alone, published beside each secret's and
// instance's series by activities.PublishMetrics and by the inventory).
package alarms

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/credstage/credstage/engine"
)

// Kind is one alarm credstage keeps for each environment.
type Kind struct {
	// Name ends the alarm's name.
	Name string
	// Metric is the watched roll-up metric.
	Metric string
	// Statistic over Period seconds, at or above Threshold, alarms.
	Statistic cwtypes.Statistic
	Period    int32
	Threshold float64
	// Description says what a human should do.
	Description string
}

// Kinds are the alarms of every environment.
var Kinds = []Kind{
	{Name: "RotationFailed", Metric: engine.MetricRotationFailed, Statistic: cwtypes.StatisticSum, Period: 300, Threshold: 1,
		Description: "A rotation's rollback failed: the secret may not log in. A human must look (credstage history, credstage status)."},
	{Name: "RotationRolledBack", Metric: engine.MetricRotationRolledBack, Statistic: cwtypes.StatisticSum, Period: 300, Threshold: 1,
		Description: "A rotation failed and was rolled back: the credentials still work, the rotation did not happen."},
	{Name: "ProvisionFailed", Metric: engine.MetricProvisionFailed, Statistic: cwtypes.StatisticSum, Period: 300, Threshold: 1,
		Description: "Provisioning an RDS instance failed and was compensated."},
	// The inventory publishes once an hour; its latest count is the one
	// that matters.
	{Name: "RotationOverdue", Metric: engine.MetricOverdueSecrets, Statistic: cwtypes.StatisticMaximum, Period: 3600, Threshold: 1,
		Description: "Secrets are older than their maxAge: their rotations are not running or keep failing (credstage report)."},
}

// tagKind tags every alarm with its kind, beside engine.TagManaged and
// engine.TagEnvironment, like the secrets credstage manages.
const tagKind = "credstage:alarm"

// snsTopicARN is the form of an alarm action credstage accepts: an SNS
// topic, which can page, mail or call a webhook.
var snsTopicARN = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$`)

// Actions are the SNS topics told when alarms go to ALARM and back to OK.
type Actions struct {
	Alarm []string
	OK    []string
}

// Validate names the first action that is not an SNS topic ARN.
func (a Actions) Validate() error {
	for _, arn := range slices.Concat(a.Alarm, a.OK) {
		if !snsTopicARN.MatchString(arn) {
			return fmt.Errorf("alarm action %q is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)", arn)
		}
	}
	return nil
}

// Name is the alarm's name: namespace, environment and kind, so that an
// operator finds it and `alarms list` can select credstage's by prefix.
func Name(namespace, environment, kind string) string {
	return Prefix(namespace) + environment + "-" + kind
}

// Prefix begins the names of a namespace's alarms.
func Prefix(namespace string) string { return namespace + "-" }

// Inputs are the PutMetricAlarm requests of one environment's alarms.
func Inputs(namespace, environment string, actions Actions) []*cloudwatch.PutMetricAlarmInput {
	out := make([]*cloudwatch.PutMetricAlarmInput, 0, len(Kinds))
	for _, k := range Kinds {
		out = append(out, &cloudwatch.PutMetricAlarmInput{
			AlarmName:          aws.String(Name(namespace, environment, k.Name)),
			AlarmDescription:   aws.String(k.Description),
			Namespace:          aws.String(namespace),
			MetricName:         aws.String(k.Metric),
			Dimensions:         []cwtypes.Dimension{{Name: aws.String(engine.DimEnvironment), Value: aws.String(environment)}},
			Statistic:          k.Statistic,
			Period:             aws.Int32(k.Period),
			EvaluationPeriods:  aws.Int32(1),
			DatapointsToAlarm:  aws.Int32(1),
			Threshold:          aws.Float64(k.Threshold),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
			// No rotation in a period publishes nothing: that is no failure.
			TreatMissingData: aws.String("notBreaching"),
			ActionsEnabled:   aws.Bool(true),
			AlarmActions:     slices.Clone(actions.Alarm),
			OKActions:        slices.Clone(actions.OK),
			Tags: []cwtypes.Tag{
				{Key: aws.String(engine.TagManaged), Value: aws.String("true")},
				{Key: aws.String(engine.TagEnvironment), Value: aws.String(environment)},
				{Key: aws.String(tagKind), Value: aws.String(k.Name)},
			},
		})
	}
	return out
}
