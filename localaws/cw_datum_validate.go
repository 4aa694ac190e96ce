package localaws

import (
	"fmt"
	"strconv"
	"time"
)

// PutMetricData's rules for one datum, apart from storing it so the rules
// (which AWS documents in MetricDatum and StatisticSet) read in one place.

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
	// A StatisticSet's members are required by the model, which CloudWatch
	// checks before the rules between members.
	if sv := d.StatisticValues; sv != nil {
		for _, m := range []struct {
			name string
			v    *float64
		}{{"SampleCount", sv.SampleCount}, {"Sum", sv.Sum}, {"Minimum", sv.Minimum}, {"Maximum", sv.Maximum}} {
			if m.v == nil {
				return cwMissing(param + ".StatisticValues." + m.name)
			}
		}
	}
	if err := cwValidDatumKind(param, d); err != nil {
		return err
	}
	switch {
	case d.Value != nil:
		return cwValidValue(param+".Value", *d.Value)
	case d.StatisticValues != nil:
		return cwValidStatisticSet(param+".StatisticValues", d.StatisticValues)
	}
	return cwValidValues(param, d)
}

// cwValidDatumKind checks that a datum carries exactly one of Value, Values
// and StatisticValues, with CloudWatch's codes: Value with Values is an
// InvalidParameterValue, StatisticValues with either an
// InvalidParameterCombination.
func cwValidDatumKind(param string, d *cwMetricDatum) *APIError {
	both := func(a, b string) string {
		return fmt.Sprintf("The parameters %s.%s and %s.%s are mutually exclusive and you have specified both.", param, a, param, b)
	}
	switch {
	case d.Value != nil && d.Values != nil:
		return cwInvalidValue("%s", both("Value", "Values"))
	case d.Value != nil && d.StatisticValues != nil:
		return cwCombination("%s", both("Value", "StatisticValues"))
	case d.Values != nil && d.StatisticValues != nil:
		return cwCombination("%s", both("Values", "StatisticValues"))
	case d.Values == nil && d.Counts != nil:
		return cwCombination("The parameter %s.Counts requires %s.Values.", param, param)
	case d.Value == nil && d.Values == nil && d.StatisticValues == nil:
		return cwCombination("The parameters %s.Value, %s.Values and %s.StatisticValues are all missing: specify one of them.", param, param, param)
	}
	return nil
}

func cwValidStatisticSet(param string, s *cwStatisticSet) *APIError {
	members := []struct {
		name string
		v    *float64
	}{{"SampleCount", s.SampleCount}, {"Sum", s.Sum}, {"Minimum", s.Minimum}, {"Maximum", s.Maximum}}
	for _, m := range members {
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
