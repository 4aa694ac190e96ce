package localaws

import (
	"sort"
	"strings"
	"time"
)

// Memory bounds of the metric store. Benchmarks publish many datums: every
// series keeps at most cwMaxBucketsPerSeries one-second buckets and nothing
// older than cwRetention (the two weeks PutMetricData accepts timestamps
// for, plus a day), and the store holds at most cwMaxSeries series.
const (
	cwRetention           = 15 * 24 * time.Hour
	cwMaxBucketsPerSeries = 10_000
	cwMaxSeries           = 100_000
)

// cwBucket aggregates the datums of one series, one unit and one second.
// One-second buckets (whatever the StorageResolution) let alarms look at
// exactly the last Period seconds, and queries regroup them per period.
type cwBucket struct {
	T    int64  `json:"t"` // unix seconds
	Unit string `json:"u"`
	cwAgg
}

// cwSeries is one metric: namespace, name and a dimension set, with its
// buckets sorted by time.
type cwSeries struct {
	Namespace  string        `json:"ns"`
	Name       string        `json:"name"`
	Dimensions []cwDimension `json:"dims,omitempty"` // sorted by name
	HighRes    bool          `json:"highRes,omitempty"`
	Buckets    []cwBucket    `json:"buckets"`
}

// cwSeriesKey identifies a metric; dimensions are sorted by name first, so
// the order a client lists them in does not make a new metric.
func cwSeriesKey(namespace, name string, sortedDims []cwDimension) string {
	var b strings.Builder
	b.WriteString(namespace)
	b.WriteByte(0)
	b.WriteString(name)
	for _, d := range sortedDims {
		b.WriteByte(0)
		b.WriteString(d.Name)
		b.WriteByte('=')
		b.WriteString(d.Value)
	}
	return b.String()
}

func cwSortedDims(dims []cwDimension) []cwDimension {
	out := append([]cwDimension(nil), dims...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (s *cwSeries) key() string { return cwSeriesKey(s.Namespace, s.Name, s.Dimensions) }

// bucket returns the bucket for second t and unit, creating it in order.
func (s *cwSeries) bucket(t int64, unit string) *cwBucket {
	i := sort.Search(len(s.Buckets), func(i int) bool { return s.Buckets[i].T >= t })
	for j := i; j < len(s.Buckets) && s.Buckets[j].T == t; j++ {
		if s.Buckets[j].Unit == unit {
			return &s.Buckets[j]
		}
	}
	s.Buckets = append(s.Buckets, cwBucket{})
	copy(s.Buckets[i+1:], s.Buckets[i:])
	s.Buckets[i] = cwBucket{T: t, Unit: unit}
	return &s.Buckets[i]
}

// prune drops buckets past retention, and the oldest ones beyond the cap.
// The cap is enforced with 10% slack so a series at its limit is not
// re-sliced on every put.
func (s *cwSeries) prune(now time.Time) {
	cutoff := now.Add(-cwRetention).Unix()
	drop := sort.Search(len(s.Buckets), func(i int) bool { return s.Buckets[i].T >= cutoff })
	if excess := len(s.Buckets) - drop - cwMaxBucketsPerSeries; excess > cwMaxBucketsPerSeries/10 {
		drop += excess
	}
	if drop > 0 {
		s.Buckets = append([]cwBucket(nil), s.Buckets[drop:]...)
	}
}

// between returns the buckets with start <= T < end.
func (s *cwSeries) between(start, end int64) []cwBucket {
	lo := sort.Search(len(s.Buckets), func(i int) bool { return s.Buckets[i].T >= start })
	hi := sort.Search(len(s.Buckets), func(i int) bool { return s.Buckets[i].T >= end })
	if hi < lo {
		hi = lo
	}
	return s.Buckets[lo:hi]
}

// cwPeriodAgg is the aggregate of one query period.
type cwPeriodAgg struct {
	start int64
	unit  string
	agg   cwAgg
}

// aggregate groups the buckets in [start, end) into epoch-aligned periods,
// oldest first. unit filters when set; byUnit keeps units apart (as
// GetMetricStatistics reports them) instead of merging them.
func (s *cwSeries) aggregate(start, end int64, period int64, unit string, byUnit bool) []cwPeriodAgg {
	type group struct {
		start int64
		unit  string
	}
	var out []cwPeriodAgg
	index := map[group]int{}
	buckets := s.between(start, end)
	for i := range buckets {
		b := &buckets[i]
		if unit != "" && b.Unit != unit {
			continue
		}
		ps := b.T - cwFloorMod(b.T, period)
		groupUnit := ""
		if byUnit {
			groupUnit = b.Unit
		}
		k := group{ps, groupUnit}
		j, ok := index[k]
		if !ok {
			j = len(out)
			index[k] = j
			out = append(out, cwPeriodAgg{start: ps, unit: groupUnit})
		}
		out[j].agg.merge(&b.cwAgg)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].start < out[j].start })
	return out
}

func cwFloorMod(a, m int64) int64 {
	r := a % m
	if r < 0 {
		r += m
	}
	return r
}

// sweepSeries applies retention to every series and forgets the empty ones,
// so metrics nobody publishes any more leave memory and ListMetrics as they
// leave CloudWatch; callers hold mu.
func (cw *cloudWatch) sweepSeries(now time.Time) {
	for key, s := range cw.series {
		s.prune(now)
		if len(s.Buckets) == 0 {
			delete(cw.series, key)
		}
	}
}
