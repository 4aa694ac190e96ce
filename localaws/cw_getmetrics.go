package localaws

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
)

// cwDefaultMaxDatapoints is GetMetricData's page size when the caller sets
// none, as documented.
const cwDefaultMaxDatapoints = 100_800

var cwQueryID = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

// cwTimeRange validates StartTime/EndTime and returns them as unix seconds,
// with the start rounded down to the period as CloudWatch does.
func cwTimeRange(start, end *cwTime, period int64) (int64, int64, *APIError) {
	if start == nil || start.IsZero() {
		return 0, 0, cwMissing("StartTime")
	}
	if end == nil || end.IsZero() {
		return 0, 0, cwMissing("EndTime")
	}
	if !start.Before(end.Time) {
		return 0, 0, cwInvalidValue("The parameter StartTime must be less than the parameter EndTime.")
	}
	s := start.Unix()
	if period > 0 {
		s -= cwFloorMod(s, period)
	}
	return s, end.Unix(), nil
}

// cwMetricDataRange is GetMetricData's time range check, which words a bad
// range differently from GetMetricStatistics: a generic ValidationError (no
// modelled error; the messages are those moto took from AWS).
func cwMetricDataRange(start, end *cwTime) *APIError {
	if start == nil || start.IsZero() {
		return cwMissing("StartTime")
	}
	if end == nil || end.IsZero() {
		return cwMissing("EndTime")
	}
	switch {
	case start.Equal(end.Time):
		return cwValidationError("The parameter StartTime must not equal parameter EndTime.")
	case start.After(end.Time):
		return cwValidationError("The parameter EndTime must be greater than StartTime.")
	}
	return nil
}

// cwStatQuery is one validated MetricStat of GetMetricData.
type cwStatQuery struct {
	id, label  string
	key        string
	period     int64
	stat       cwStat
	unit       string
	returnData bool
	// expr is set for an Expression (metric math, cw_metricmath.go), in
	// place of key, period, stat and unit.
	expr cwExpr
}

func cwValidQuery(param string, q *cwMetricDataQuery, forAlarm bool) (*cwStatQuery, *APIError) {
	if q.Id == "" {
		return nil, cwMissing(param + ".Id")
	}
	if !cwQueryID.MatchString(q.Id) || len(q.Id) > cwMaxNameLen {
		return nil, cwInvalidValue("The value %s for parameter %s.Id is invalid: it must start with a lowercase letter and contain only letters, digits and underscores.", q.Id, param)
	}
	if q.Expression != "" && q.MetricStat != nil {
		return nil, cwCombination("The parameters %s.Expression and %s.MetricStat are mutually exclusive and you have specified both.", param, param)
	}
	if q.Expression != "" && forAlarm {
		return nil, cwInvalidValue("localaws does not evaluate metric math in alarms: %s.Expression %q is not supported; use MetricStat.", param, q.Expression)
	}
	if q.Expression != "" {
		e, err := cwParseExpr(param, q.Expression)
		if err != nil {
			return nil, err
		}
		label := q.Label
		if label == "" {
			label = q.Id
		}
		return &cwStatQuery{id: q.Id, label: label, expr: e, returnData: q.ReturnData == nil || *q.ReturnData}, nil
	}
	ms := q.MetricStat
	if ms == nil {
		return nil, cwMissing(param + ".MetricStat")
	}
	if ms.Metric == nil {
		return nil, cwMissing(param + ".MetricStat.Metric")
	}
	m := ms.Metric
	if err := cwValidNamespace(param+".MetricStat.Metric.Namespace", m.Namespace, false); err != nil {
		return nil, err
	}
	if err := cwValidName(param+".MetricStat.Metric.MetricName", m.MetricName, cwMaxNameLen); err != nil {
		return nil, err
	}
	if err := cwValidDimensions(param+".MetricStat.Metric.Dimensions", m.Dimensions); err != nil {
		return nil, err
	}
	if ms.Period == nil {
		return nil, cwMissing(param + ".MetricStat.Period")
	}
	validPeriod := cwValidQueryPeriod
	if forAlarm {
		validPeriod = cwValidAlarmPeriod
	}
	if err := validPeriod(param+".MetricStat.Period", *ms.Period); err != nil {
		return nil, err
	}
	if ms.Stat == "" {
		return nil, cwMissing(param + ".MetricStat.Stat")
	}
	stat, ok := cwParseStat(ms.Stat)
	if !ok {
		return nil, cwInvalidValue("The value %s for parameter %s.MetricStat.Stat is not a supported statistic (SampleCount, Average, Sum, Minimum, Maximum, pNN.NN).", ms.Stat, param)
	}
	if err := cwValidUnit(param+".MetricStat.Unit", ms.Unit); err != nil {
		return nil, err
	}
	label := q.Label
	if label == "" {
		label = m.MetricName
	}
	return &cwStatQuery{
		id: q.Id, label: label, key: cwSeriesKey(m.Namespace, m.MetricName, cwSortedDims(m.Dimensions)),
		period: int64(*ms.Period), stat: stat, unit: ms.Unit, returnData: q.ReturnData == nil || *q.ReturnData,
	}, nil
}

func (cw *cloudWatch) getMetricData(in *getMetricDataInput) (*getMetricDataOutput, *APIError) {
	if len(in.MetricDataQueries) == 0 {
		return nil, cwMissing("MetricDataQueries")
	}
	if len(in.MetricDataQueries) > cwMaxQueries {
		return nil, cwInvalidValue("The collection MetricDataQueries must not have a size greater than %d.", cwMaxQueries)
	}
	if in.ScanBy != "" && in.ScanBy != "TimestampDescending" && in.ScanBy != "TimestampAscending" {
		return nil, cwInvalidValue("The value %s for parameter ScanBy is invalid: use TimestampDescending or TimestampAscending.", in.ScanBy)
	}
	limit := cwDefaultMaxDatapoints
	if in.MaxDatapoints != nil {
		if *in.MaxDatapoints <= 0 {
			return nil, cwInvalidValue("The parameter MaxDatapoints must be greater than 0.")
		}
		limit = int(*in.MaxDatapoints)
	}
	skip := 0
	if in.NextToken != "" {
		pos, err := cwDecodeToken(in.NextToken)
		if err != nil {
			return nil, err
		}
		n, perr := strconv.Atoi(pos)
		if perr != nil || n < 0 {
			return nil, cwBadToken()
		}
		skip = n
	}
	var queries []*cwStatQuery
	ids := map[string]bool{}
	for i := range in.MetricDataQueries {
		q, err := cwValidQuery("MetricDataQueries.member."+strconv.Itoa(i+1), &in.MetricDataQueries[i], false)
		if err != nil {
			return nil, err
		}
		if ids[q.id] {
			return nil, cwInvalidValue("The value %s for parameter MetricDataQueries.member.%d.Id is not unique.", q.id, i+1)
		}
		ids[q.id] = true
		queries = append(queries, q)
	}
	if err := cwMetricDataRange(in.StartTime, in.EndTime); err != nil {
		return nil, err
	}

	cw.mu.Lock()
	defer cw.mu.Unlock()
	series := map[string]cwPoints{}
	for _, q := range queries {
		if q.expr == nil {
			series[q.id] = cw.statPoints(q, in.StartTime, in.EndTime)
		}
	}
	if err := cwEvalExpressions(queries, series); err != nil {
		return nil, err
	}
	out := &getMetricDataOutput{MetricDataResults: []cwMetricDataResult{}}
	seen, delivered, partial := 0, 0, false
	for _, q := range queries {
		if !q.returnData {
			continue
		}
		res := cwMetricDataResult{Id: q.id, Label: q.label, Timestamps: []cwTime{}, Values: []float64{}, StatusCode: "Complete"}
		points := series[q.id].values
		times := slices.Sorted(maps.Keys(points))
		if in.ScanBy != "TimestampAscending" {
			slices.Reverse(times)
		}
		for _, t := range times {
			v := points[t]
			seen++
			if seen <= skip {
				continue
			}
			if delivered == limit {
				res.StatusCode, partial = "PartialData", true
				break
			}
			delivered++
			res.Timestamps = append(res.Timestamps, cwTime{cwUnixTime(t)})
			res.Values = append(res.Values, v)
		}
		out.MetricDataResults = append(out.MetricDataResults, res)
	}
	if partial {
		out.NextToken = cwEncodeToken(strconv.Itoa(skip + delivered))
	}
	return out, nil
}

// statPoints is a MetricStat query's value per period over the request's
// range; callers hold mu.
func (cw *cloudWatch) statPoints(q *cwStatQuery, startT, endT *cwTime) cwPoints {
	out := cwPoints{values: map[int64]float64{}}
	s, ok := cw.series[q.key]
	if !ok {
		return out
	}
	start, end, _ := cwTimeRange(startT, endT, q.period)
	for _, p := range s.aggregate(start, end, q.period, q.unit, false) {
		if v, ok := q.stat.value(&p.agg); ok {
			out.values[p.start] = v
		}
	}
	return out
}

func (cw *cloudWatch) getMetricStatistics(in *getMetricStatisticsInput) (*getMetricStatisticsOutput, *APIError) {
	if err := cwValidNamespace("Namespace", in.Namespace, false); err != nil {
		return nil, err
	}
	if err := cwValidName("MetricName", in.MetricName, cwMaxNameLen); err != nil {
		return nil, err
	}
	if err := cwValidDimensions("Dimensions", in.Dimensions); err != nil {
		return nil, err
	}
	if in.Period == nil {
		return nil, cwMissing("Period")
	}
	if err := cwValidQueryPeriod("Period", *in.Period); err != nil {
		return nil, err
	}
	if err := cwValidUnit("Unit", in.Unit); err != nil {
		return nil, err
	}
	stats, err := cwValidStatLists(in.Statistics, in.ExtendedStatistics)
	if err != nil {
		return nil, err
	}
	period := int64(*in.Period)
	start, end, err := cwTimeRange(in.StartTime, in.EndTime, period)
	if err != nil {
		return nil, err
	}
	if n := (end - start + period - 1) / period; n > cwMaxStatsDatapoints {
		return nil, cwCombination("You have requested up to %d datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.", n)
	}

	cw.mu.Lock()
	defer cw.mu.Unlock()
	out := &getMetricStatisticsOutput{Label: in.MetricName, Datapoints: []cwDatapoint{}}
	s, ok := cw.series[cwSeriesKey(in.Namespace, in.MetricName, cwSortedDims(in.Dimensions))]
	if !ok {
		return out, nil
	}
	for _, p := range s.aggregate(start, end, period, in.Unit, true) {
		dp := cwDatapoint{Timestamp: cwTimePtr(cwUnixTime(p.start)), Unit: p.unit}
		for _, st := range stats {
			v, ok := st.value(&p.agg)
			if !ok {
				continue
			}
			switch st.name {
			case "SampleCount":
				dp.SampleCount = &v
			case "Average":
				dp.Average = &v
			case "Sum":
				dp.Sum = &v
			case "Minimum":
				dp.Minimum = &v
			case "Maximum":
				dp.Maximum = &v
			default:
				if dp.ExtendedStatistics == nil {
					dp.ExtendedStatistics = cwStatsMap{}
				}
				dp.ExtendedStatistics[st.name] = v
			}
		}
		out.Datapoints = append(out.Datapoints, dp)
	}
	return out, nil
}

// cwValidStatLists checks GetMetricStatistics' Statistics (basic, at most 5)
// and ExtendedStatistics (percentiles, at most 10): at least one is needed.
func cwValidStatLists(basic, extended []string) ([]cwStat, *APIError) {
	if len(basic) == 0 && len(extended) == 0 {
		return nil, cwCombination("Must specify either Statistics or ExtendedStatistics, but not both empty.")
	}
	if len(basic) > 5 {
		return nil, cwInvalidValue("The collection Statistics must not have a size greater than 5.")
	}
	if len(extended) > 10 {
		return nil, cwInvalidValue("The collection ExtendedStatistics must not have a size greater than 10.")
	}
	var stats []cwStat
	for i, b := range basic {
		st, ok := cwParseBasicStat(b)
		if !ok {
			return nil, cwInvalidValue("The value %s for parameter Statistics.member.%d is not a valid statistic.", b, i+1)
		}
		stats = append(stats, st)
	}
	for i, e := range extended {
		st, ok := cwParsePercentileStat(e)
		if !ok {
			return nil, cwInvalidValue("The value %s for parameter ExtendedStatistics.member.%d is not a valid percentile (pNN.NN).", e, i+1)
		}
		stats = append(stats, st)
	}
	return stats, nil
}
