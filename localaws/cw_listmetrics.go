package localaws

import (
	"sort"
	"strconv"
	"time"
)

func (cw *cloudWatch) listMetrics(in *listMetricsInput) (*listMetricsOutput, *APIError) {
	if in.Namespace != "" {
		if err := cwValidNamespace("Namespace", in.Namespace, false); err != nil {
			return nil, err
		}
	}
	if in.MetricName != "" {
		if err := cwValidName("MetricName", in.MetricName, cwMaxNameLen); err != nil {
			return nil, err
		}
	}
	if len(in.Dimensions) > 10 {
		return nil, cwInvalidValue("The collection Dimensions must not have a size greater than 10.")
	}
	for i, f := range in.Dimensions {
		if err := cwValidName("Dimensions.member."+strconv.Itoa(i+1)+".Name", f.Name, cwMaxNameLen); err != nil {
			return nil, err
		}
	}
	if in.RecentlyActive != "" && in.RecentlyActive != "PT3H" {
		return nil, cwInvalidValue("The value %s for parameter RecentlyActive is invalid: the only valid value is PT3H.", in.RecentlyActive)
	}
	after := ""
	if in.NextToken != "" {
		pos, err := cwDecodeListToken(in.NextToken)
		if err != nil {
			return nil, err
		}
		after = pos
	}

	cw.mu.Lock()
	defer cw.mu.Unlock()
	// Without RecentlyActive, CloudWatch lists what received data within
	// its retention; series not yet swept may hold only older buckets.
	activeSince := cw.now().Add(-cwRetention).Unix()
	if in.RecentlyActive != "" {
		activeSince = cw.now().Add(-3 * time.Hour).Unix()
	}
	var keys []string
	for key, s := range cw.series {
		if key > after && cwSeriesMatches(s, in, activeSince) {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	out := &listMetricsOutput{Metrics: []cwListedMetric{}}
	if len(keys) > cwListMetricsPage {
		keys = keys[:cwListMetricsPage]
		out.NextToken = cwEncodeToken(keys[len(keys)-1])
	}
	for _, key := range keys {
		s := cw.series[key]
		out.Metrics = append(out.Metrics, cwListed(s.Namespace, s.Name, s.Dimensions))
	}
	return out, nil
}

// cwSeriesMatches applies ListMetrics' filters: a dimension filter without a
// value matches any value of that dimension.
func cwSeriesMatches(s *cwSeries, in *listMetricsInput, activeSince int64) bool {
	if (in.Namespace != "" && s.Namespace != in.Namespace) || (in.MetricName != "" && s.Name != in.MetricName) {
		return false
	}
	if len(s.Buckets) == 0 || s.Buckets[len(s.Buckets)-1].T < activeSince {
		return false
	}
	for _, f := range in.Dimensions {
		found := false
		for _, d := range s.Dimensions {
			if d.Name == f.Name && (f.Value == nil || *f.Value == d.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
