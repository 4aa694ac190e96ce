package localaws

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Alarm evaluation. CloudWatch evaluates each alarm about once a minute (or
// once a period for shorter periods) over the last EvaluationPeriods
// periods. The emulator evaluates an alarm when a datum arrives for its
// metric, and otherwise when DescribeAlarms finds it due, so a state set by
// SetAlarmState holds until data or the passing of time says otherwise, as
// on AWS. Periods are the last Period seconds before now, the one before,
// and so on: data published a moment ago always counts.

// evalInterval is how often an alarm is re-checked without new data.
func (a *cwAlarm) evalInterval() time.Duration {
	p := time.Duration(a.target().period) * time.Second
	return min(max(p, 10*time.Second), time.Minute)
}

func (cw *cloudWatch) evaluateIfDue(a *cwAlarm, now time.Time) {
	if now.Sub(a.LastEvaluated) >= a.evalInterval() {
		cw.evaluateAlarm(a, now)
		cw.markDirty()
	}
}

// evaluateAlarmsOf re-checks the alarms watching any of the touched series.
func (cw *cloudWatch) evaluateAlarmsOf(touched map[string]*cwSeries, now time.Time) {
	for _, a := range cw.alarms {
		if _, ok := touched[a.target().key]; ok {
			cw.evaluateAlarm(a, now)
		}
	}
}

// cwWindow is one evaluated period, most recent first.
type cwWindow struct {
	start   int64
	value   float64
	present bool
	samples float64
}

// evaluateAlarm computes the alarm's state from stored datapoints and
// transitions when it differs; callers hold mu.
func (cw *cloudWatch) evaluateAlarm(a *cwAlarm, now time.Time) {
	a.LastEvaluated = now
	t := a.target()
	if t.period <= 0 || t.key == "" {
		return
	}
	n := int(a.EvaluationPeriods)
	m := n
	if a.DatapointsToAlarm > 0 {
		m = int(a.DatapointsToAlarm)
	}
	windows := make([]cwWindow, n)
	end := now.Unix() + 1
	series := cw.series[t.key]
	for i := range windows {
		wEnd := end - int64(i)*t.period
		w := cwWindow{start: wEnd - t.period}
		if series != nil {
			var agg cwAgg
			for _, b := range series.between(w.start, wEnd) {
				if t.unit == "" || b.Unit == t.unit {
					agg.merge(&b.cwAgg)
				}
			}
			w.value, w.present = t.stat.value(&agg)
			w.samples = agg.Count
		}
		windows[i] = w
	}

	treat := a.TreatMissingData
	breaching, present := 0, 0
	for _, w := range windows {
		switch {
		case w.present:
			present++
			if cwCompare(a.ComparisonOperator, w.value, a.Threshold) {
				breaching++
			}
		case treat == "breaching":
			present++
			breaching++
		case treat == "notBreaching":
			present++
		}
	}
	var state string
	switch {
	case breaching >= m:
		state = cwStateAlarm
	case present == 0 && treat == "ignore":
		return
	case present == 0:
		state = cwStateInsufficient
	default:
		state = cwStateOK
	}
	if state == a.State {
		return
	}
	reason := cwStateReason(a, state, windows, breaching, present, m)
	a.setState(state, reason, cwStateReasonData(a, t, windows, now), now)
}

func cwCompare(op string, v, threshold float64) bool {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return v >= threshold
	case "GreaterThanThreshold":
		return v > threshold
	case "LessThanThreshold":
		return v < threshold
	case "LessThanOrEqualToThreshold":
		return v <= threshold
	}
	return false
}

var cwComparisonText = map[string]string{
	"GreaterThanOrEqualToThreshold": "greater than or equal to",
	"GreaterThanThreshold":          "greater than",
	"LessThanThreshold":             "less than",
	"LessThanOrEqualToThreshold":    "less than or equal to",
}

// cwStateReason words the transition the way CloudWatch does, so people
// reading it recognise it.
func cwStateReason(a *cwAlarm, state string, windows []cwWindow, breaching, present, m int) string {
	var points []string
	for _, w := range windows {
		if w.present {
			points = append(points, cwFormatDouble(w.value)+" ("+time.Unix(w.start, 0).UTC().Format("02/01/06 15:04:05")+")")
		}
	}
	n := len(windows)
	op := cwComparisonText[a.ComparisonOperator]
	switch state {
	case cwStateAlarm:
		return fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] was %s the threshold (%s) (minimum %d datapoint for %s -> ALARM transition).",
			breaching, n, strings.Join(points, ", "), op, cwFormatDouble(a.Threshold), m, a.State)
	case cwStateOK:
		return fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] was not %s the threshold (%s) (minimum %d datapoint for %s -> OK transition).",
			present-breaching, n, strings.Join(points, ", "), op, cwFormatDouble(a.Threshold), max(n-m+1, 1), a.State)
	}
	return fmt.Sprintf("Insufficient Data: %d datapoint(s) were unknown.", n)
}

// cwStateReasonData is the machine-readable reason CloudWatch attaches.
func cwStateReasonData(a *cwAlarm, t cwAlarmTarget, windows []cwWindow, now time.Time) string {
	type evaluated struct {
		Timestamp   string  `json:"timestamp"`
		SampleCount float64 `json:"sampleCount"`
		Value       float64 `json:"value"`
	}
	const layout = "2006-01-02T15:04:05.000-0700"
	data := struct {
		Version             string      `json:"version"`
		QueryDate           string      `json:"queryDate"`
		StartDate           string      `json:"startDate"`
		Statistic           string      `json:"statistic,omitempty"`
		Unit                string      `json:"unit,omitempty"`
		Period              int64       `json:"period"`
		RecentDatapoints    []float64   `json:"recentDatapoints"`
		Threshold           float64     `json:"threshold"`
		EvaluatedDatapoints []evaluated `json:"evaluatedDatapoints"`
	}{Version: "1.0", QueryDate: now.UTC().Format(layout), Statistic: t.stat.name, Unit: t.unit,
		Period: t.period, RecentDatapoints: []float64{}, Threshold: a.Threshold, EvaluatedDatapoints: []evaluated{}}
	if len(windows) > 0 {
		data.StartDate = time.Unix(windows[len(windows)-1].start, 0).UTC().Format(layout)
	}
	for i := len(windows) - 1; i >= 0; i-- {
		if windows[i].present {
			data.RecentDatapoints = append(data.RecentDatapoints, windows[i].value)
		}
	}
	for _, w := range windows {
		if w.present {
			data.EvaluatedDatapoints = append(data.EvaluatedDatapoints, evaluated{
				Timestamp: time.Unix(w.start, 0).UTC().Format(layout), SampleCount: w.samples, Value: w.value})
		}
	}
	out, err := json.Marshal(data)
	if err != nil {
		return ""
	}
	return string(out)
}

// cwFormatDouble prints like Java's Double.toString for ordinary values
// ("5.0", "0.25"), as CloudWatch's reasons show them.
func cwFormatDouble(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}
