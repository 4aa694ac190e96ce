package plan

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestMaxAgeFoldsIntoStages: a stage's maxAge overrides the plan's, and
// the plan's reaches every stage without one, in days or a Go duration.
func TestMaxAgeFoldsIntoStages(t *testing.T) {
	p := mustParse(t, `
name: n
maxAge: 90d
stages:
  - name: staging
    targets: [{secret: a}]
  - name: production
    maxAge: 1d12h
    targets: [{secret: b}]
`)
	r, err := p.Resolve(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Plan.Stages[0].MaxAge; got != 90*24*time.Hour {
		t.Errorf("staging maxAge %s, want the plan's 90d", got)
	}
	if got := r.Plan.Stages[1].MaxAge; got != 36*time.Hour {
		t.Errorf("production maxAge %s, want 36h", got)
	}
	if err := r.ValidateWorkflowPlan(); err != nil {
		t.Errorf("workflow validation: %v", err)
	}
}

func TestMaxAgeMustBePositive(t *testing.T) {
	_, err := Parse("p.yaml", []byte(`
name: n
maxAge: 1h
stages:
  - name: s
    maxAge: -1h
    targets: [{secret: a}]
  - name: t
    maxAge: 3 days
    targets: [{secret: b}]
`))
	if err == nil {
		t.Fatal("want errors")
	}
	_, zero := Parse("p.yaml", []byte("name: n\nmaxAge: 0s\nstages:\n  - name: s\n    maxAge: 0d\n    targets: [{secret: a}]\n"))
	for _, want := range []string{"p.yaml:2: maxAge: must be positive", "p.yaml:5: stages[0].maxAge: must be positive"} {
		if zero == nil || !strings.Contains(zero.Error(), want) {
			t.Errorf("missing %q in\n%v", want, zero)
		}
	}
	for _, want := range []string{
		`p.yaml:6: stages[0].maxAge: invalid duration "-1h"`,
		`p.yaml:9: stages[1].maxAge: invalid duration "3 days" (use a Go duration such as 90s, 10m or 1h30m, or days such as 90d)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
}

func TestParseDurationDays(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90d": 90 * 24 * time.Hour, "1d12h": 36 * time.Hour, "0d": 0, "10m": 10 * time.Minute, "1h30m": 90 * time.Minute,
	} {
		var d Duration
		if err := d.UnmarshalScalar(in); err != nil || d.D() != want {
			t.Errorf("%q: %s, %v; want %s", in, d.D(), err, want)
		}
	}
	for _, in := range []string{"d", "1.5d", "-1d", "1d-1h", "1dd", "10", "1 d"} {
		var d Duration
		if err := d.UnmarshalScalar(in); err == nil {
			t.Errorf("%q accepted as %s", in, d.D())
		}
	}
}
