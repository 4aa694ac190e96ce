package cli

import (
	"strings"
	"testing"
)

func TestValidateCron(t *testing.T) {
	good := []string{
		"0 2 * * *", "*/15 * * * *", "0 9-17 * * MON-FRI", "30 3 1,15 * ?",
		"0 0 1 JAN *", "0 12 * * 7", "5-55/10 * * * *", "@daily", "@hourly", " 0 2 * * * ",
	}
	for _, e := range good {
		if err := ValidateCron(e); err != nil {
			t.Errorf("%q: %v", e, err)
		}
	}
	bad := map[string]string{
		"0 2 * *":      "want 5 fields",
		"0 2 * * * *":  "got 6",
		"61 * * * *":   "minute: 61 is out of range 0-59",
		"0 24 * * *":   "hour: 24 is out of range 0-23",
		"0 0 0 * *":    "day-of-month: 0 is out of range 1-31",
		"0 0 * 13 *":   "month: 13 is out of range 1-12",
		"0 0 * * 8":    "day-of-week: 8 is out of range 0-7",
		"0 0 * FOO *":  `month: "FOO" is not a number or a name (JAN-DEC)`,
		"*/0 * * * *":  "minute: step \"0\"",
		"0 17-9 * * *": "hour: range 17-9 ends before it starts",
		"0 0 ? * *x":   "day-of-week",
		"1,,2 * * * *": "empty list item",
		"@every 5m":    "use --every",
		"@fortnightly": "unknown descriptor",
		"0 ? * * *":    `hour: "?" is not a number`,
		"":             "want 5 fields",
	}
	for e, want := range bad {
		err := ValidateCron(e)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error containing %q", e, err, want)
			continue
		}
		if exitCode(err) != ExitBadInput || !strings.HasPrefix(err.Error(), "invalid cron expression ") {
			t.Errorf("%q: want a bad-input error naming the expression, got %v", e, err)
		}
	}
}

// TestScheduleCreateRejectsBadCronLocally: the expression is refused
// before any connection (the address is dead: a dial would exit 3).
func TestScheduleCreateRejectsBadCronLocally(t *testing.T) {
	r := run(t, nil, "schedule", "create", "nightly", "--cron", "0 25 * * *", "--plan", "testdata/plans/minimal.yaml", "--address", "127.0.0.1:1")
	if r.code != ExitBadInput || r.stderr != "invalid cron expression \"0 25 * * *\": hour: 25 is out of range 0-23\n" {
		t.Fatalf("got %s", r)
	}
	for _, args := range [][]string{
		{"--every", "500ms"},
		{"--every", "1m", "--cron", "* * * * *"},
		{},
		{"--every", "1m", "--time-zone", "Mars/Olympus"},
		{"--every", "1m", "--overlap", "sometimes"},
	} {
		full := append([]string{"schedule", "create", "n", "--plan", "testdata/plans/minimal.yaml", "--address", "127.0.0.1:1"}, args...)
		if r := run(t, nil, full...); r.code != ExitBadInput {
			t.Errorf("%v: want exit 2, got %s", args, r)
		}
	}
}
