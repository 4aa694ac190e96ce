package localaws

import (
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Alarm states and the settings CloudWatch accepts.
const (
	cwStateOK           = "OK"
	cwStateAlarm        = "ALARM"
	cwStateInsufficient = "INSUFFICIENT_DATA"
	cwMaxAlarms         = 10_000
	cwMaxActions        = 5
	cwMaxTags           = 50
)

var (
	cwStates              = []string{cwStateOK, cwStateAlarm, cwStateInsufficient}
	cwComparisons         = []string{"GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"}
	cwAnomalyComparisons  = []string{"LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"}
	cwMissingTreatments   = []string{"breaching", "notBreaching", "ignore", "missing"}
	cwLowSampleTreatments = []string{"evaluate", "ignore"}
)

// cwAlarm is a metric alarm: its configuration as given, its state, and when
// it was last evaluated (which paces re-evaluation, see cw_evaluate.go).
type cwAlarm struct {
	Name                             string              `json:"name"`
	Description                      string              `json:"description,omitempty"`
	ActionsEnabled                   bool                `json:"actionsEnabled"`
	OKActions                        []string            `json:"okActions,omitempty"`
	AlarmActions                     []string            `json:"alarmActions,omitempty"`
	InsufficientDataActions          []string            `json:"insufficientDataActions,omitempty"`
	Namespace                        string              `json:"namespace,omitempty"`
	MetricName                       string              `json:"metricName,omitempty"`
	Dimensions                       []cwDimension       `json:"dimensions,omitempty"`
	Statistic                        string              `json:"statistic,omitempty"`
	ExtendedStatistic                string              `json:"extendedStatistic,omitempty"`
	Period                           int32               `json:"period,omitempty"`
	Unit                             string              `json:"unit,omitempty"`
	EvaluationPeriods                int32               `json:"evaluationPeriods"`
	DatapointsToAlarm                int32               `json:"datapointsToAlarm,omitempty"`
	Threshold                        float64             `json:"threshold"`
	ComparisonOperator               string              `json:"comparisonOperator"`
	TreatMissingData                 string              `json:"treatMissingData,omitempty"`
	EvaluateLowSampleCountPercentile string              `json:"evaluateLowSampleCountPercentile,omitempty"`
	Metrics                          []cwMetricDataQuery `json:"metrics,omitempty"`
	Tags                             []cwTag             `json:"tags,omitempty"`
	ConfigUpdated                    time.Time           `json:"configUpdated"`
	State                            string              `json:"state"`
	StateReason                      string              `json:"stateReason"`
	StateReasonData                  string              `json:"stateReasonData,omitempty"`
	StateUpdated                     time.Time           `json:"stateUpdated"`
	StateTransitioned                time.Time           `json:"stateTransitioned"`
	LastEvaluated                    time.Time           `json:"lastEvaluated"`
}

func (cw *cloudWatch) putMetricAlarm(in *putMetricAlarmInput) (*struct{}, *APIError) {
	a, err := cwAlarmFromInput(in)
	if err != nil {
		return nil, err
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	now := cw.now()
	a.ConfigUpdated = now
	if old, ok := cw.alarms[a.Name]; ok {
		// An update replaces the configuration but keeps the state.
		a.State, a.StateReason, a.StateReasonData = old.State, old.StateReason, old.StateReasonData
		a.StateUpdated, a.StateTransitioned = old.StateUpdated, old.StateTransitioned
		// Tags are set when an alarm is made; an update's are ignored, as
		// AWS documents (TagResource and UntagResource change them).
		a.Tags = old.Tags
	} else {
		if len(cw.alarms) >= cwMaxAlarms {
			return nil, cwLimitExceeded("localaws keeps at most %d alarms.", cwMaxAlarms)
		}
		a.State, a.StateReason = cwStateInsufficient, "Unchecked: Initial alarm creation"
		a.StateUpdated, a.StateTransitioned = now, now
	}
	cw.alarms[a.Name] = a
	// CloudWatch checks a new alarm within a minute; checking at once lets
	// a caller read a real state right after creating one.
	cw.evaluateAlarm(a, now)
	cw.markDirty()
	return nil, nil
}

// cwAlarmFromInput validates PutMetricAlarm and builds the alarm's
// configuration.
func cwAlarmFromInput(in *putMetricAlarmInput) (*cwAlarm, *APIError) {
	if err := cwValidName("AlarmName", in.AlarmName, cwMaxNameLen); err != nil {
		return nil, err
	}
	if len(in.AlarmDescription) > cwMaxAlarmDescription {
		return nil, cwInvalidValue("The parameter AlarmDescription must be shorter than %d characters.", cwMaxAlarmDescription+1)
	}
	for param, actions := range map[string][]string{"OKActions": in.OKActions, "AlarmActions": in.AlarmActions, "InsufficientDataActions": in.InsufficientDataActions} {
		if len(actions) > cwMaxActions {
			return nil, cwInvalidValue("The collection %s must not have a size greater than %d.", param, cwMaxActions)
		}
	}
	if err := cwValidTags("Tags", in.Tags); err != nil {
		return nil, err
	}
	if in.EvaluationPeriods == nil {
		return nil, cwMissing("EvaluationPeriods")
	}
	if *in.EvaluationPeriods < 1 {
		return nil, cwInvalidValue("The parameter EvaluationPeriods must be greater than or equal to 1.")
	}
	if d := in.DatapointsToAlarm; d != nil && (*d < 1 || *d > *in.EvaluationPeriods) {
		return nil, cwInvalidValue("The parameter DatapointsToAlarm must be between 1 and EvaluationPeriods.")
	}
	if err := cwValidAlarmComparison(in); err != nil {
		return nil, err
	}
	if in.TreatMissingData != "" && !slices.Contains(cwMissingTreatments, in.TreatMissingData) {
		return nil, cwInvalidValue("The value %s for parameter TreatMissingData is invalid: use breaching, notBreaching, ignore or missing.", in.TreatMissingData)
	}
	if s := in.EvaluateLowSampleCountPercentile; s != "" && !slices.Contains(cwLowSampleTreatments, s) {
		return nil, cwInvalidValue("The value %s for parameter EvaluateLowSampleCountPercentile is invalid: use evaluate or ignore.", s)
	}
	a := &cwAlarm{
		Name: in.AlarmName, Description: in.AlarmDescription, ActionsEnabled: in.ActionsEnabled == nil || *in.ActionsEnabled,
		OKActions: in.OKActions, AlarmActions: in.AlarmActions, InsufficientDataActions: in.InsufficientDataActions,
		EvaluationPeriods: *in.EvaluationPeriods, Threshold: *in.Threshold, ComparisonOperator: in.ComparisonOperator,
		TreatMissingData: in.TreatMissingData, EvaluateLowSampleCountPercentile: in.EvaluateLowSampleCountPercentile,
		Tags: in.Tags,
	}
	if in.DatapointsToAlarm != nil {
		a.DatapointsToAlarm = *in.DatapointsToAlarm
	}
	var err *APIError
	if len(in.Metrics) > 0 {
		err = cwAlarmMetricsTarget(in, a)
	} else {
		err = cwAlarmSingleTarget(in, a)
	}
	if err != nil {
		return nil, err
	}
	if limit := cwMaxAlarmSpan(a.target().period); int64(a.EvaluationPeriods)*a.target().period > limit {
		return nil, cwInvalidValue("The product of EvaluationPeriods and Period must not exceed %d seconds.", limit)
	}
	return a, nil
}

func cwValidAlarmComparison(in *putMetricAlarmInput) *APIError {
	switch {
	case in.ComparisonOperator == "":
		return cwMissing("ComparisonOperator")
	case slices.Contains(cwAnomalyComparisons, in.ComparisonOperator) || in.ThresholdMetricId != "":
		return cwInvalidValue("localaws does not evaluate anomaly detection alarms (ComparisonOperator %s, ThresholdMetricId).", in.ComparisonOperator)
	case !slices.Contains(cwComparisons, in.ComparisonOperator):
		return cwInvalidValue("The value %s for parameter ComparisonOperator is invalid.", in.ComparisonOperator)
	case in.Threshold == nil:
		return cwMissing("Threshold")
	}
	return cwValidValue("Threshold", *in.Threshold)
}

// cwMaxAlarmSpan is how far back an alarm may look: one day, or seven for
// periods of an hour or more.
func cwMaxAlarmSpan(period int64) int64 {
	if period >= 3600 {
		return 7 * 86400
	}
	return 86400
}

func cwAlarmSingleTarget(in *putMetricAlarmInput, a *cwAlarm) *APIError {
	if err := cwValidNamespace("Namespace", in.Namespace, false); err != nil {
		return err
	}
	if err := cwValidName("MetricName", in.MetricName, cwMaxNameLen); err != nil {
		return err
	}
	if err := cwValidDimensions("Dimensions", in.Dimensions); err != nil {
		return err
	}
	switch {
	case in.Statistic != "" && in.ExtendedStatistic != "":
		return cwCombination("The parameters Statistic and ExtendedStatistic are mutually exclusive and you have specified both.")
	case in.Statistic == "" && in.ExtendedStatistic == "":
		return cwCombination("One of the parameters Statistic or ExtendedStatistic must be specified.")
	case in.Statistic != "":
		if _, ok := cwParseBasicStat(in.Statistic); !ok {
			return cwInvalidValue("The value %s for parameter Statistic is invalid.", in.Statistic)
		}
	default:
		if _, ok := cwParsePercentileStat(in.ExtendedStatistic); !ok {
			return cwInvalidValue("The value %s for parameter ExtendedStatistic is invalid: use pNN.NN.", in.ExtendedStatistic)
		}
	}
	if in.Period == nil {
		return cwMissing("Period")
	}
	if err := cwValidAlarmPeriod("Period", *in.Period); err != nil {
		return err
	}
	if err := cwValidUnit("Unit", in.Unit); err != nil {
		return err
	}
	a.Namespace, a.MetricName, a.Dimensions = in.Namespace, in.MetricName, in.Dimensions
	a.Statistic, a.ExtendedStatistic, a.Period, a.Unit = in.Statistic, in.ExtendedStatistic, *in.Period, in.Unit
	return nil
}

// cwAlarmMetricsTarget accepts the Metrics form when it names one metric
// without math: exactly one query returns data and none is an expression.
func cwAlarmMetricsTarget(in *putMetricAlarmInput, a *cwAlarm) *APIError {
	if in.MetricName != "" || in.Namespace != "" || in.Statistic != "" || in.ExtendedStatistic != "" || len(in.Dimensions) > 0 || in.Period != nil {
		return cwCombination("The parameter Metrics cannot be combined with MetricName, Namespace, Statistic, ExtendedStatistic, Dimensions or Period.")
	}
	if len(in.Metrics) > 10 {
		return cwInvalidValue("The collection Metrics must not have a size greater than 10.")
	}
	returning := 0
	for i := range in.Metrics {
		q, err := cwValidQuery("Metrics.member."+strconv.Itoa(i+1), &in.Metrics[i], true)
		if err != nil {
			return err
		}
		if q.returnData {
			returning++
		}
	}
	if returning != 1 {
		return cwInvalidValue("Exactly one element of the Metrics list must have ReturnData set to true.")
	}
	a.Metrics = in.Metrics
	return nil
}

// cwAlarmTarget is what an alarm evaluates, from either configuration form.
type cwAlarmTarget struct {
	key    string
	stat   cwStat
	period int64
	unit   string
}

func (a *cwAlarm) target() cwAlarmTarget {
	if len(a.Metrics) > 0 {
		for _, q := range a.Metrics {
			if (q.ReturnData == nil || *q.ReturnData) && q.MetricStat != nil && q.MetricStat.Metric != nil && q.MetricStat.Period != nil {
				m, ms := q.MetricStat.Metric, q.MetricStat
				stat, _ := cwParseStat(ms.Stat)
				return cwAlarmTarget{key: cwSeriesKey(m.Namespace, m.MetricName, cwSortedDims(m.Dimensions)),
					stat: stat, period: int64(*ms.Period), unit: ms.Unit}
			}
		}
		return cwAlarmTarget{period: 60}
	}
	name := a.Statistic
	if name == "" {
		name = a.ExtendedStatistic
	}
	stat, _ := cwParseStat(name)
	return cwAlarmTarget{key: cwSeriesKey(a.Namespace, a.MetricName, cwSortedDims(a.Dimensions)),
		stat: stat, period: int64(a.Period), unit: a.Unit}
}

func (cw *cloudWatch) describeAlarms(in *describeAlarmsInput) (*describeAlarmsOutput, *APIError) {
	if len(in.AlarmNames) > cwMaxAlarmNames {
		return nil, cwInvalidValue("The collection AlarmNames must not have a size greater than %d.", cwMaxAlarmNames)
	}
	if len(in.AlarmNames) > 0 && in.AlarmNamePrefix != "" {
		return nil, cwCombination("The parameters AlarmNames and AlarmNamePrefix are mutually exclusive and you have specified both.")
	}
	if in.StateValue != "" && !slices.Contains(cwStates, in.StateValue) {
		return nil, cwInvalidValue("The value %s for parameter StateValue is invalid.", in.StateValue)
	}
	wantMetricAlarms := len(in.AlarmTypes) == 0
	for i, t := range in.AlarmTypes {
		switch t {
		case "MetricAlarm":
			wantMetricAlarms = true
		case "CompositeAlarm":
		default:
			return nil, cwInvalidValue("The value %s for parameter AlarmTypes.member.%d is invalid.", t, i+1)
		}
	}
	limit := cwDefaultDescribe
	if in.MaxRecords != nil {
		if *in.MaxRecords < 1 || *in.MaxRecords > cwMaxDescribeRecords {
			return nil, cwInvalidValue("The parameter MaxRecords must be between 1 and %d.", cwMaxDescribeRecords)
		}
		limit = int(*in.MaxRecords)
	}
	after := ""
	if in.NextToken != "" {
		pos, err := cwDecodeToken(in.NextToken)
		if err != nil {
			return nil, err
		}
		after = pos
	}

	cw.mu.Lock()
	defer cw.mu.Unlock()
	out := &describeAlarmsOutput{MetricAlarms: []cwMetricAlarm{}, CompositeAlarms: []struct{}{}}
	if !wantMetricAlarms {
		return out, nil
	}
	now := cw.now()
	var names []string
	for name, a := range cw.alarms {
		if name <= after || !cwAlarmNameMatches(a, in) {
			continue
		}
		cw.evaluateIfDue(a, now)
		if in.StateValue == "" || a.State == in.StateValue {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if len(names) > limit {
		names = names[:limit]
		out.NextToken = cwEncodeToken(names[len(names)-1])
	}
	for _, name := range names {
		out.MetricAlarms = append(out.MetricAlarms, cw.alarms[name].describe(cw.env))
	}
	return out, nil
}

func cwAlarmNameMatches(a *cwAlarm, in *describeAlarmsInput) bool {
	if len(in.AlarmNames) > 0 && !slices.Contains(in.AlarmNames, a.Name) {
		return false
	}
	if in.AlarmNamePrefix != "" && !strings.HasPrefix(a.Name, in.AlarmNamePrefix) {
		return false
	}
	if in.ActionPrefix != "" {
		all := slices.Concat(a.OKActions, a.AlarmActions, a.InsufficientDataActions)
		if !slices.ContainsFunc(all, func(s string) bool { return strings.HasPrefix(s, in.ActionPrefix) }) {
			return false
		}
	}
	return true
}

// describe renders the MetricAlarm shape. Lists are never nil, as
// CloudWatch always returns them.
func (a *cwAlarm) describe(e *env) cwMetricAlarm {
	orEmpty := func(s []string) []string { return append([]string{}, s...) }
	m := cwMetricAlarm{
		AlarmName: a.Name, AlarmArn: e.arn("cloudwatch", "alarm:"+a.Name),
		AlarmDescription: a.Description, AlarmConfigurationUpdatedTimestamp: cwTimePtr(a.ConfigUpdated),
		ActionsEnabled: a.ActionsEnabled, OKActions: orEmpty(a.OKActions), AlarmActions: orEmpty(a.AlarmActions),
		InsufficientDataActions: orEmpty(a.InsufficientDataActions),
		StateValue:              a.State, StateReason: a.StateReason, StateReasonData: a.StateReasonData,
		StateUpdatedTimestamp: cwTimePtr(a.StateUpdated), StateTransitionedTimestamp: cwTimePtr(a.StateTransitioned),
		MetricName: a.MetricName, Namespace: a.Namespace, Statistic: a.Statistic, ExtendedStatistic: a.ExtendedStatistic,
		Dimensions: append([]cwDimension{}, a.Dimensions...), Unit: a.Unit, EvaluationPeriods: a.EvaluationPeriods,
		ComparisonOperator: a.ComparisonOperator, TreatMissingData: a.TreatMissingData,
		EvaluateLowSampleCountPercentile: a.EvaluateLowSampleCountPercentile, Metrics: a.Metrics,
	}
	if m.TreatMissingData == "" {
		m.TreatMissingData = "missing"
	}
	if a.Period != 0 {
		p := a.Period
		m.Period = &p
	}
	if a.DatapointsToAlarm != 0 {
		d := a.DatapointsToAlarm
		m.DatapointsToAlarm = &d
	}
	threshold := a.Threshold
	m.Threshold = &threshold
	return m
}

func (cw *cloudWatch) setAlarmState(in *setAlarmStateInput) (*struct{}, *APIError) {
	if err := cwValidName("AlarmName", in.AlarmName, cwMaxNameLen); err != nil {
		return nil, err
	}
	if in.StateValue == "" {
		return nil, cwMissing("StateValue")
	}
	if !slices.Contains(cwStates, in.StateValue) {
		return nil, cwInvalidValue("The value %s for parameter StateValue is invalid.", in.StateValue)
	}
	if in.StateReason == "" {
		return nil, cwMissing("StateReason")
	}
	if len(in.StateReason) > cwMaxStateReasonLen {
		return nil, cwInvalidValue("The parameter StateReason must be shorter than %d characters.", cwMaxStateReasonLen+1)
	}
	if len(in.StateReasonData) > cwMaxStateReasonData {
		return nil, cwInvalidValue("The parameter StateReasonData must be shorter than %d characters.", cwMaxStateReasonData+1)
	}
	if in.StateReasonData != "" && !json.Valid([]byte(in.StateReasonData)) {
		return nil, cwInvalidFormat("The parameter StateReasonData must be valid JSON.")
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	a, ok := cw.alarms[in.AlarmName]
	if !ok {
		return nil, cwNotFound("Alarm %s not found", in.AlarmName)
	}
	// The state holds until the next evaluation disagrees: new data for the
	// metric, or the next periodic check (see evaluateIfDue).
	now := cw.now()
	a.setState(in.StateValue, in.StateReason, in.StateReasonData, now)
	a.LastEvaluated = now
	cw.markDirty()
	return nil, nil
}

func (a *cwAlarm) setState(state, reason, data string, now time.Time) {
	if state != a.State {
		a.StateTransitioned = now
	}
	a.State, a.StateReason, a.StateReasonData, a.StateUpdated = state, reason, data, now
}

func (cw *cloudWatch) deleteAlarms(in *deleteAlarmsInput) (*struct{}, *APIError) {
	if len(in.AlarmNames) == 0 {
		return nil, cwMissing("AlarmNames")
	}
	if len(in.AlarmNames) > cwMaxAlarmNames {
		return nil, cwInvalidValue("The collection AlarmNames must not have a size greater than %d.", cwMaxAlarmNames)
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	// All or nothing: CloudWatch deletes no alarm when one name is wrong.
	for _, name := range in.AlarmNames {
		if _, ok := cw.alarms[name]; !ok {
			return nil, cwNotFound("Alarm %s not found", name)
		}
	}
	for _, name := range in.AlarmNames {
		delete(cw.alarms, name)
	}
	cw.markDirty()
	return nil, nil
}
