package localaws

import (
	"encoding/xml"
	"math"
	"sort"
	"strconv"
	"strings"
)

// cwSample is a distinct value and how many times it was observed. Keeping
// values (not only sums) is what lets percentile statistics be answered.
type cwSample struct {
	V float64 `json:"v"`
	N float64 `json:"n"`
}

// cwMaxSamplesPerBucket bounds the memory one bucket can take. Past it new
// distinct values are counted on their nearest neighbour, so counts, sums,
// minima and maxima stay exact and only percentiles become approximate.
const cwMaxSamplesPerBucket = 256

// cwAgg is the statistic set of some samples: one bucket, or one period of a
// query. Samples are kept sorted by value.
type cwAgg struct {
	Count   float64    `json:"c"`
	Sum     float64    `json:"s"`
	Min     float64    `json:"lo"`
	Max     float64    `json:"hi"`
	Samples []cwSample `json:"v,omitempty"`
}

func (a *cwAgg) addValue(v, n float64) {
	if n <= 0 {
		return
	}
	a.addSet(n, v*n, v, v)
	a.addSample(v, n)
}

// addSample records a value in the sample list only.
func (a *cwAgg) addSample(v, n float64) {
	i := sort.Search(len(a.Samples), func(i int) bool { return a.Samples[i].V >= v })
	switch {
	case i < len(a.Samples) && a.Samples[i].V == v:
		a.Samples[i].N += n
	case len(a.Samples) < cwMaxSamplesPerBucket:
		a.Samples = append(a.Samples, cwSample{})
		copy(a.Samples[i+1:], a.Samples[i:])
		a.Samples[i] = cwSample{V: v, N: n}
	case i == len(a.Samples) || (i > 0 && v-a.Samples[i-1].V < a.Samples[i].V-v):
		a.Samples[i-1].N += n
	default:
		a.Samples[i].N += n
	}
}

// addSet adds a pre-aggregated statistic set (StatisticValues), which has no
// individual values for percentiles.
func (a *cwAgg) addSet(count, sum, lo, hi float64) {
	if count <= 0 {
		return
	}
	if a.Count == 0 {
		a.Min, a.Max = lo, hi
	} else {
		a.Min, a.Max = math.Min(a.Min, lo), math.Max(a.Max, hi)
	}
	a.Count += count
	a.Sum += sum
}

func (a *cwAgg) merge(b *cwAgg) {
	a.addSet(b.Count, b.Sum, b.Min, b.Max)
	for _, s := range b.Samples {
		a.addSample(s.V, s.N)
	}
}

// cwStat is a parsed statistic name: one of the five basic ones or a
// percentile pNN(.NN).
type cwStat struct {
	name       string
	percentile float64 // -1 for the basic statistics
}

var cwBasicStats = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}

func cwParseBasicStat(s string) (cwStat, bool) {
	for _, b := range cwBasicStats {
		if s == b {
			return cwStat{name: s, percentile: -1}, true
		}
	}
	return cwStat{}, false
}

func cwParsePercentileStat(s string) (cwStat, bool) {
	rest, ok := strings.CutPrefix(s, "p")
	if !ok || rest == "" || strings.ContainsAny(rest, "eE+-") {
		return cwStat{}, false
	}
	if whole, frac, dotted := strings.Cut(rest, "."); whole == "" || len(whole) > 3 || (dotted && (frac == "" || len(frac) > 10)) {
		return cwStat{}, false
	}
	p, err := strconv.ParseFloat(rest, 64)
	if err != nil || p < 0 || p > 100 {
		return cwStat{}, false
	}
	return cwStat{name: s, percentile: p}, true
}

func cwParseStat(s string) (cwStat, bool) {
	if st, ok := cwParseBasicStat(s); ok {
		return st, true
	}
	return cwParsePercentileStat(s)
}

// value computes the statistic; ok is false when the data cannot answer it
// (no samples at all, or a percentile over statistic sets only).
func (st cwStat) value(a *cwAgg) (float64, bool) {
	v, ok := st.compute(a)
	// Inputs are bounded by 2^360, but a result that still overflowed must
	// not reach the JSON encoder, which rejects infinities.
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

func (st cwStat) compute(a *cwAgg) (float64, bool) {
	if a.Count <= 0 {
		return 0, false
	}
	switch st.name {
	case "SampleCount":
		return a.Count, true
	case "Average":
		return a.Sum / a.Count, true
	case "Sum":
		return a.Sum, true
	case "Minimum":
		return a.Min, true
	case "Maximum":
		return a.Max, true
	}
	return cwPercentile(a.Samples, st.percentile)
}

// percentile is the nearest-rank percentile of weighted samples.
func cwPercentile(samples []cwSample, p float64) (float64, bool) {
	total := 0.0
	for _, s := range samples {
		total += s.N
	}
	if total <= 0 {
		return 0, false
	}
	rank := math.Ceil(p / 100 * total)
	cum := 0.0
	for _, s := range samples {
		cum += s.N
		if cum >= rank {
			return s.V, true
		}
	}
	return samples[len(samples)-1].V, true
}

// cwStatsMap is the ExtendedStatistics map of a datapoint. awsQuery writes
// maps as <entry><key/><value/></entry>, which encoding/xml cannot derive.
type cwStatsMap map[string]float64

func (m cwStatsMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	type entry struct {
		Key   string  `xml:"key"`
		Value float64 `xml:"value"`
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, k := range keys {
		if err := e.EncodeElement(entry{Key: k, Value: m[k]}, xml.StartElement{Name: xml.Name{Local: "entry"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}
