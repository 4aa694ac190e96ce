package localaws

import "sort"

// DescribeAlarmsForMetric lists the alarms watching one metric. As AWS
// documents, the metric is its namespace, name and all of its dimensions
// (an alarm on a metric with other or more dimensions watches another
// metric), and Statistic, ExtendedStatistic, Period and Unit narrow the list
// when given. Alarms in the Metrics form count when the query they alarm on
// is a MetricStat of that metric. There is no paging, as on AWS.

type describeAlarmsForMetricInput struct {
	MetricName        string        `json:"MetricName"`
	Namespace         string        `json:"Namespace"`
	Statistic         string        `json:"Statistic"`
	ExtendedStatistic string        `json:"ExtendedStatistic"`
	Dimensions        []cwDimension `json:"Dimensions"`
	Period            *int32        `json:"Period"`
	Unit              string        `json:"Unit"`
}

type describeAlarmsForMetricOutput struct {
	MetricAlarms []cwMetricAlarm `json:"MetricAlarms" xml:"MetricAlarms>member"`
}

func (cw *cloudWatch) describeAlarmsForMetric(in *describeAlarmsForMetricInput) (*describeAlarmsForMetricOutput, *APIError) {
	if err := cwValidNamespace("Namespace", in.Namespace, false); err != nil {
		return nil, err
	}
	if err := cwValidName("MetricName", in.MetricName, cwMaxNameLen); err != nil {
		return nil, err
	}
	if err := cwValidDimensions("Dimensions", in.Dimensions); err != nil {
		return nil, err
	}
	if in.Statistic != "" {
		if _, ok := cwParseBasicStat(in.Statistic); !ok {
			return nil, cwInvalidValue("The value %s for parameter Statistic is invalid.", in.Statistic)
		}
	}
	if in.ExtendedStatistic != "" {
		if _, ok := cwParsePercentileStat(in.ExtendedStatistic); !ok {
			return nil, cwInvalidValue("The value %s for parameter ExtendedStatistic is invalid.", in.ExtendedStatistic)
		}
	}
	if in.Period != nil {
		if err := cwValidAlarmPeriod("Period", *in.Period); err != nil {
			return nil, err
		}
	}
	if err := cwValidUnit("Unit", in.Unit); err != nil {
		return nil, err
	}
	key := cwSeriesKey(in.Namespace, in.MetricName, cwSortedDims(in.Dimensions))

	cw.mu.Lock()
	defer cw.mu.Unlock()
	now := cw.now()
	out := &describeAlarmsForMetricOutput{MetricAlarms: []cwMetricAlarm{}}
	var names []string
	for name, a := range cw.alarms {
		if cwAlarmWatches(a.target(), key, in) {
			cw.evaluateIfDue(a, now)
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		out.MetricAlarms = append(out.MetricAlarms, cw.alarms[name].describe(cw.env))
	}
	return out, nil
}

// cwAlarmWatches applies the filters to what an alarm evaluates.
func cwAlarmWatches(t cwAlarmTarget, key string, in *describeAlarmsForMetricInput) bool {
	switch {
	case t.key != key:
		return false
	case in.Statistic != "" && t.stat.name != in.Statistic:
		return false
	case in.ExtendedStatistic != "" && t.stat.name != in.ExtendedStatistic:
		return false
	case in.Period != nil && t.period != int64(*in.Period):
		return false
	case in.Unit != "" && t.unit != in.Unit:
		return false
	}
	return true
}
