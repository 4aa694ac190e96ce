package alarms

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/credstage/credstage/engine"
)

// API is what applying and listing alarms needs of CloudWatch.
type API interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	PutMetricAlarm(ctx context.Context, in *cloudwatch.PutMetricAlarmInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error)
}

var _ API = (*cloudwatch.Client)(nil)

// What Apply did to one alarm.
const (
	Created   = "created"
	Updated   = "updated"
	Unchanged = "unchanged"
)

// Result is one alarm Apply looked at.
type Result struct {
	Name   string `json:"name"`
	Action string `json:"action"`
}

// describeBatch is DescribeAlarms's limit of names per call.
const describeBatch = 100

// Apply puts each alarm that is missing or differs from its definition,
// and leaves the others alone, so running it again changes nothing.
// PutMetricAlarm replaces an alarm whole, so a concurrent apply of the
// same definitions converges to the same alarms; a failure part way
// leaves every alarm either as it was or as defined, and the next apply
// finishes the job.
func Apply(ctx context.Context, cw API, inputs []*cloudwatch.PutMetricAlarmInput) ([]Result, error) {
	existing := map[string]cwtypes.MetricAlarm{}
	for batch := range slices.Chunk(inputs, describeBatch) {
		names := make([]string, len(batch))
		for i, in := range batch {
			names[i] = aws.ToString(in.AlarmName)
		}
		p := cloudwatch.NewDescribeAlarmsPaginator(cw, &cloudwatch.DescribeAlarmsInput{AlarmNames: names, AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("DescribeAlarms: %w", err)
			}
			for _, a := range page.MetricAlarms {
				existing[aws.ToString(a.AlarmName)] = a
			}
		}
	}
	results := make([]Result, 0, len(inputs))
	for _, in := range inputs {
		name := aws.ToString(in.AlarmName)
		action := Created
		if have, ok := existing[name]; ok {
			if matches(have, in) {
				results = append(results, Result{Name: name, Action: Unchanged})
				continue
			}
			action = Updated
		}
		if _, err := cw.PutMetricAlarm(ctx, in); err != nil {
			return results, fmt.Errorf("PutMetricAlarm %s: %w", name, err)
		}
		results = append(results, Result{Name: name, Action: action})
	}
	return results, nil
}

// matches says whether an alarm is already as defined.
func matches(a cwtypes.MetricAlarm, in *cloudwatch.PutMetricAlarmInput) bool {
	return aws.ToString(a.AlarmDescription) == aws.ToString(in.AlarmDescription) &&
		aws.ToString(a.Namespace) == aws.ToString(in.Namespace) &&
		aws.ToString(a.MetricName) == aws.ToString(in.MetricName) &&
		sameDimensions(a.Dimensions, in.Dimensions) &&
		a.Statistic == in.Statistic &&
		aws.ToInt32(a.Period) == aws.ToInt32(in.Period) &&
		aws.ToInt32(a.EvaluationPeriods) == aws.ToInt32(in.EvaluationPeriods) &&
		aws.ToInt32(a.DatapointsToAlarm) == aws.ToInt32(in.DatapointsToAlarm) &&
		aws.ToFloat64(a.Threshold) == aws.ToFloat64(in.Threshold) &&
		a.ComparisonOperator == in.ComparisonOperator &&
		aws.ToString(a.TreatMissingData) == aws.ToString(in.TreatMissingData) &&
		aws.ToBool(a.ActionsEnabled) == aws.ToBool(in.ActionsEnabled) &&
		sameSet(a.AlarmActions, in.AlarmActions) &&
		sameSet(a.OKActions, in.OKActions)
}

func sameDimensions(a, b []cwtypes.Dimension) bool {
	key := func(ds []cwtypes.Dimension) []string {
		out := make([]string, len(ds))
		for i, d := range ds {
			out[i] = aws.ToString(d.Name) + "=" + aws.ToString(d.Value)
		}
		return out
	}
	return sameSet(key(a), key(b))
}

func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b)
}

// State is one of credstage's alarms as CloudWatch shows it.
type State struct {
	Name        string `json:"name"`
	Environment string `json:"environment"`
	Metric      string `json:"metric"`
	State       string `json:"state"`
	Reason      string `json:"reason"`
	Updated     string `json:"updated,omitempty"`
}

// List reads back the namespace's alarms (by name prefix), in name order.
func List(ctx context.Context, cw API, namespace string) ([]State, error) {
	var out []State
	p := cloudwatch.NewDescribeAlarmsPaginator(cw, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String(Prefix(namespace)), AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("DescribeAlarms: %w", err)
		}
		for _, a := range page.MetricAlarms {
			if aws.ToString(a.Namespace) != namespace {
				continue
			}
			s := State{Name: aws.ToString(a.AlarmName), Metric: aws.ToString(a.MetricName), State: string(a.StateValue), Reason: aws.ToString(a.StateReason)}
			for _, d := range a.Dimensions {
				if aws.ToString(d.Name) == engine.DimEnvironment {
					s.Environment = aws.ToString(d.Value)
				}
			}
			if a.StateUpdatedTimestamp != nil {
				s.Updated = a.StateUpdatedTimestamp.UTC().Format("2006-01-02T15:04:05Z")
			}
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(x, y State) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}
