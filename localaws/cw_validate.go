package localaws

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits CloudWatch enforces, as documented in its API reference.
const (
	cwMaxDatumsPerPut     = 1000
	cwMaxDimensions       = 30
	cwMaxValuesPerDatum   = 150
	cwMaxQueries          = 500
	cwMaxStatsDatapoints  = 1440
	cwMaxAlarmNames       = 100
	cwMaxNameLen          = 255
	cwMaxDimValueLen      = 1024
	cwMaxStateReasonLen   = 1023
	cwMaxStateReasonData  = 4000
	cwMaxAlarmDescription = 1024
	cwListMetricsPage     = 500
	cwMaxDescribeRecords  = 100
	cwDefaultDescribe     = 50
	cwMaxValueMagnitude   = 0x1p360
)

var cwUnits = []string{
	"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
	"Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
	"Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
	"Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
	"Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
}

func cwValidUnit(param, unit string) *APIError {
	if unit == "" || slices.Contains(cwUnits, unit) {
		return nil
	}
	return cwInvalidValue("The value %s for parameter %s is not a valid unit.", unit, param)
}

// cwValidName checks a required name-like parameter: present, not too long,
// printable text.
func cwValidName(param, value string, maxLen int) *APIError {
	if value == "" {
		return cwMissing(param)
	}
	if len(value) > maxLen {
		return cwInvalidValue("The parameter %s must be shorter than %d characters.", param, maxLen+1)
	}
	if !utf8.ValidString(value) || strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return cwInvalidValue("The parameter %s must contain only printable characters.", param)
	}
	return nil
}

// cwValidNamespace applies the rules every operation naming a namespace shares.
func cwValidNamespace(param, ns string, forWrite bool) *APIError {
	if err := cwValidName(param, ns, cwMaxNameLen); err != nil {
		return err
	}
	if forWrite && strings.HasPrefix(ns, "AWS/") {
		return cwInvalidValue("The value AWS/ for parameter %s is invalid.", param)
	}
	return nil
}

// cwValidDimensions checks names, values, count and uniqueness.
func cwValidDimensions(param string, dims []cwDimension) *APIError {
	if len(dims) > cwMaxDimensions {
		return cwInvalidValue("The collection %s must not have a size greater than %d.", param, cwMaxDimensions)
	}
	seen := make(map[string]bool, len(dims))
	for i, d := range dims {
		p := param + ".member." + strconv.Itoa(i+1)
		if err := cwValidName(p+".Name", d.Name, cwMaxNameLen); err != nil {
			return err
		}
		if err := cwValidName(p+".Value", d.Value, cwMaxDimValueLen); err != nil {
			return err
		}
		if seen[d.Name] {
			return cwInvalidValue("The collection %s must not contain duplicate dimension name %s.", param, d.Name)
		}
		seen[d.Name] = true
	}
	return nil
}

// cwValidValue rejects what CloudWatch cannot store: NaN, infinities and
// magnitudes beyond 2^360.
func cwValidValue(param string, v float64) *APIError {
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > cwMaxValueMagnitude {
		return cwInvalidValue("The value %s for parameter %s is invalid.", cwJavaDouble(v), param)
	}
	return nil
}

// cwJavaDouble writes a double as CloudWatch's messages do (Java's
// Double.toString): NaN, Infinity, -Infinity, 1.0E121.
func cwJavaDouble(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	case v == math.Trunc(v) && math.Abs(v) < 1e7:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case math.Abs(v) >= 1e7 || (v != 0 && math.Abs(v) < 1e-3):
		m, e, _ := strings.Cut(strconv.FormatFloat(v, 'E', -1, 64), "E")
		if !strings.Contains(m, ".") {
			m += ".0"
		}
		sign, digits := "", strings.TrimPrefix(e, "+")
		if rest, neg := strings.CutPrefix(digits, "-"); neg {
			sign, digits = "-", rest
		}
		return m + "E" + sign + strings.TrimLeft(digits, "0")
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// cwValidQueryPeriod is the rule for metric queries: 1, 5, 10, 20, 30 or a
// multiple of 60 seconds.
func cwValidQueryPeriod(param string, p int32) *APIError {
	switch {
	case p <= 0:
		return cwInvalidValue("The parameter %s must be greater than 0.", param)
	case p == 1 || p == 5 || p == 10 || p == 20 || p == 30 || p%60 == 0:
		return nil
	}
	return cwInvalidValue("The parameter %s must be 1, 5, 10, 20, 30, or a multiple of 60.", param)
}

// cwValidAlarmPeriod is the rule for alarms: 10, 20, 30 or a multiple of 60.
func cwValidAlarmPeriod(param string, p int32) *APIError {
	switch {
	case p <= 0:
		return cwInvalidValue("The parameter %s must be greater than 0.", param)
	case p == 10 || p == 20 || p == 30 || p%60 == 0:
		return nil
	}
	return cwInvalidValue("The parameter %s must be 10, 20, 30, or a multiple of 60.", param)
}

// cwEncodeToken and cwDecodeToken make opaque NextTokens out of the position to
// resume from, so clients cannot depend on their shape.
func cwEncodeToken(position string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("cw1:" + position))
}

func cwDecodeToken(token string) (string, *APIError) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", cwBadToken()
	}
	position, ok := strings.CutPrefix(string(raw), "cw1:")
	if !ok {
		return "", cwBadToken()
	}
	return position, nil
}

// cwDecodeListToken is cwDecodeToken for ListMetrics and ListDashboards,
// which answer a bad token with InvalidParameterValue.
func cwDecodeListToken(token string) (string, *APIError) {
	pos, err := cwDecodeToken(token)
	if err != nil {
		return "", cwBadListToken()
	}
	return pos, nil
}
