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
