package localaws

import (
	"strconv"
	"time"
)

// PutMetricData accepts timestamps this far from now, as CloudWatch does.
const (
	cwMaxDatumAge    = 14 * 24 * time.Hour
	cwMaxDatumFuture = 2 * time.Hour
)

// putMetricData validates the whole request before storing anything, so a
// rejected call leaves no partial data (as CloudWatch behaves).
func (cw *cloudWatch) putMetricData(in *putMetricDataInput) (*struct{}, *APIError) {
	if err := cwValidNamespace("Namespace", in.Namespace, true); err != nil {
		return nil, err
	}
	datums := in.MetricData
	for _, e := range in.EntityMetricData {
		datums = append(datums, e.MetricData...)
	}
	if len(in.MetricData) == 0 && len(in.EntityMetricData) == 0 {
		return nil, cwMissing("MetricData")
	}
	if len(datums) > cwMaxDatumsPerPut {
		return nil, cwInvalidValue("The collection MetricData must not have a size greater than %d.", cwMaxDatumsPerPut)
	}

	cw.mu.Lock()
	defer cw.mu.Unlock()
	now := cw.now()
	newSeries := map[string]bool{}
	for i := range datums {
		param := "MetricData.member." + strconv.Itoa(i+1)
		if err := cwValidDatum(param, &datums[i], now); err != nil {
			return nil, err
		}
		key := cwSeriesKey(in.Namespace, datums[i].MetricName, cwSortedDims(datums[i].Dimensions))
		if _, ok := cw.series[key]; !ok {
			newSeries[key] = true
		}
	}
	if len(cw.series)+len(newSeries) > cwMaxSeries {
		return nil, cwLimitExceeded("localaws keeps at most %d metrics; this request would add %d more.", cwMaxSeries, len(newSeries))
	}

	touched := map[string]*cwSeries{}
	for i := range datums {
		s := cw.storeDatum(in.Namespace, &datums[i], now)
		touched[s.key()] = s
	}
	for _, s := range touched {
		s.prune(now)
		if len(s.Buckets) == 0 {
			delete(cw.series, s.key())
		}
	}
	cw.evaluateAlarmsOf(touched, now)
	cw.markDirty()
	return nil, nil
}

// cwValidDatum checks one datum against CloudWatch's rules; param is its
// awsQuery name, which error messages use whatever the protocol.
func cwValidDatum(param string, d *cwMetricDatum, now time.Time) *APIError {
	if err := cwValidName(param+".MetricName", d.MetricName, cwMaxNameLen); err != nil {
		return err
	}
	if err := cwValidDimensions(param+".Dimensions", d.Dimensions); err != nil {
		return err
	}
	if err := cwValidUnit(param+".Unit", d.Unit); err != nil {
		return err
	}
	if r := d.StorageResolution; r != nil && *r != 1 && *r != 60 {
		return cwInvalidValue("The value %d for parameter %s.StorageResolution is invalid: it must be 1 or 60.", *r, param)
	}
	if d.Timestamp != nil && !d.Timestamp.IsZero() {
		if t := d.Timestamp.Time; t.Before(now.Add(-cwMaxDatumAge)) || t.After(now.Add(cwMaxDatumFuture)) {
			return cwInvalidValue("The parameter %s.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.", param)
		}
	}
	kinds := 0
	if d.Value != nil {
		kinds++
		if err := cwValidValue(param+".Value", *d.Value); err != nil {
			return err
		}
	}
	if d.StatisticValues != nil {
		kinds++
		if err := cwValidStatisticSet(param+".StatisticValues", d.StatisticValues); err != nil {
			return err
		}
	}
	if d.Values != nil {
		kinds++
		if err := cwValidValues(param, d); err != nil {
			return err
		}
	} else if d.Counts != nil {
		return cwCombination("The parameter %s.Counts requires %s.Values.", param, param)
	}
	switch {
	case kinds == 0:
		return cwCombination("The parameters %s.Value, %s.Values and %s.StatisticValues are all missing: specify one of them.", param, param, param)
	case kinds > 1:
		return cwCombination("The parameters %s.Value, %s.Values and %s.StatisticValues are mutually exclusive and you have specified more than one.", param, param, param)
	}
	return nil
}

func cwValidStatisticSet(param string, s *cwStatisticSet) *APIError {
	members := []struct {
		name string
		v    *float64
	}{{"SampleCount", s.SampleCount}, {"Sum", s.Sum}, {"Minimum", s.Minimum}, {"Maximum", s.Maximum}}
	for _, m := range members {
		if m.v == nil {
			return cwMissing(param + "." + m.name)
		}
		if err := cwValidValue(param+"."+m.name, *m.v); err != nil {
			return err
		}
	}
	if *s.SampleCount <= 0 {
		return cwInvalidValue("The parameter %s.SampleCount must be greater than 0.", param)
	}
	if *s.Minimum > *s.Maximum {
		return cwInvalidValue("The parameter %s.Minimum must not be greater than %s.Maximum.", param, param)
	}
	return nil
}

func cwValidValues(param string, d *cwMetricDatum) *APIError {
	if len(d.Values) > cwMaxValuesPerDatum {
		return cwInvalidValue("The collection %s.Values must not have a size greater than %d.", param, cwMaxValuesPerDatum)
	}
	if d.Counts != nil && len(d.Counts) != len(d.Values) {
		return cwInvalidValue("The parameters %s.Values and %s.Counts must be of the same size.", param, param)
	}
	for i, v := range d.Values {
		if err := cwValidValue(param+".Values.member."+strconv.Itoa(i+1), v); err != nil {
			return err
		}
	}
	for i, c := range d.Counts {
		if err := cwValidValue(param+".Counts.member."+strconv.Itoa(i+1), c); err != nil {
			return err
		}
		if c < 0 {
			return cwInvalidValue("The parameter %s.Counts.member.%d must not be negative.", param, i+1)
		}
	}
	return nil
}

// storeDatum adds a validated datum to its series; callers hold mu.
func (cw *cloudWatch) storeDatum(namespace string, d *cwMetricDatum, now time.Time) *cwSeries {
	dims := cwSortedDims(d.Dimensions)
	key := cwSeriesKey(namespace, d.MetricName, dims)
	s, ok := cw.series[key]
	if !ok {
		s = &cwSeries{Namespace: namespace, Name: d.MetricName, Dimensions: dims}
		cw.series[key] = s
	}
	if d.StorageResolution != nil && *d.StorageResolution == 1 {
		s.HighRes = true
	}
	t := now
	if d.Timestamp != nil && !d.Timestamp.IsZero() {
		t = d.Timestamp.Time
	}
	unit := d.Unit
	if unit == "" {
		unit = "None"
	}
	b := s.bucket(t.Unix(), unit)
	switch {
	case d.Value != nil:
		b.addValue(*d.Value, 1)
	case d.StatisticValues != nil:
		sv := d.StatisticValues
		b.addSet(*sv.SampleCount, *sv.Sum, *sv.Minimum, *sv.Maximum)
	default:
		for i, v := range d.Values {
			n := 1.0
			if d.Counts != nil {
				n = d.Counts[i]
			}
			b.addValue(v, n)
		}
	}
	return s
}
