package cli

import (
	"fmt"
	"strconv"
	"strings"
)

// cronField is one of the five fields of a cron expression.
type cronField struct {
	name     string
	min, max int
	names    []string // symbolic values, index = min + position
}

var cronFields = []cronField{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	// 7 is Sunday too, as in most crons.
	{name: "day-of-week", min: 0, max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
}

// maxCronLength bounds an expression: five fields, even with long lists,
// stay far below it.
const maxCronLength = 256

var cronDescriptors = []string{"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}

// ValidateCron checks a standard 5-field cron expression (minute hour
// day-of-month month day-of-week) before it reaches Temporal, whose own
// error for a bad expression is far less specific. It accepts *, ?,
// lists, ranges, steps, month and weekday names, and @daily-style
// descriptors.
func ValidateCron(expr string) error {
	shown := expr
	if len(shown) > 60 {
		shown = shown[:60] + "..."
	}
	bad := func(format string, args ...any) error {
		return badInput("invalid cron expression %q: %s", shown, fmt.Sprintf(format, args...))
	}
	e := strings.TrimSpace(expr)
	if len(e) > maxCronLength {
		return bad("%d characters; a cron expression has at most %d", len(e), maxCronLength)
	}
	if strings.HasPrefix(e, "@") {
		if strings.HasPrefix(e, "@every") {
			return bad("use --every for intervals")
		}
		if !contains(cronDescriptors, strings.ToLower(e)) {
			return bad("unknown descriptor (want one of %s)", strings.Join(cronDescriptors, ", "))
		}
		return nil
	}
	fields := strings.Fields(e)
	if len(fields) != len(cronFields) {
		return bad("want 5 fields (minute hour day-of-month month day-of-week), got %d", len(fields))
	}
	for i, f := range fields {
		if err := cronFields[i].check(f); err != nil {
			return bad("%s: %s", cronFields[i].name, err)
		}
	}
	return nil
}

func (cf cronField) check(field string) error {
	for _, item := range strings.Split(field, ",") {
		if item == "" {
			return fmt.Errorf("empty list item in %q", field)
		}
		rng, step, hasStep := strings.Cut(item, "/")
		if hasStep {
			n, err := strconv.Atoi(step)
			if err != nil || n <= 0 || n > cf.max {
				return fmt.Errorf("step %q must be a number from 1 to %d", step, cf.max)
			}
		}
		if rng == "*" || (rng == "?" && (cf.name == "day-of-month" || cf.name == "day-of-week")) {
			continue
		}
		lo, hi, isRange := strings.Cut(rng, "-")
		a, err := cf.value(lo)
		if err != nil {
			return err
		}
		if isRange {
			b, err := cf.value(hi)
			if err != nil {
				return err
			}
			if b < a {
				return fmt.Errorf("range %s ends before it starts", rng)
			}
		}
	}
	return nil
}

func (cf cronField) value(s string) (int, error) {
	for i, n := range cf.names {
		if strings.EqualFold(s, n) {
			return cf.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		if len(cf.names) > 0 {
			return 0, fmt.Errorf("%q is not a number or a name (%s-%s)", s, cf.names[0], cf.names[len(cf.names)-1])
		}
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if v < cf.min || v > cf.max {
		return 0, fmt.Errorf("%d is out of range %d-%d", v, cf.min, cf.max)
	}
	return v, nil
}
