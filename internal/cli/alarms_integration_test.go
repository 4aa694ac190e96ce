package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/credstage/credstage/internal/alarms"
)

// alarmStates reads `alarms list -o json` as name -> state.
func alarmStates(t *testing.T, s *liveStack) map[string]alarms.State {
	t.Helper()
	r := s.cli(t, "alarms", "list", "-o", "json")
	if r.code != 0 {
		t.Fatalf("alarms list: %s", r)
	}
	var out struct{ Alarms []alarms.State }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("alarms list json: %v\n%s", err, r.stdout)
	}
	m := map[string]alarms.State{}
	for _, a := range out.Alarms {
		m[a.Name] = a
	}
	return m
}

func applied(t *testing.T, s *liveStack, args ...string) map[string]string {
	t.Helper()
	r := s.cli(t, append([]string{"alarms", "apply", "-o", "json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("alarms apply %v: %s", args, r)
	}
	var out struct{ Alarms []alarms.Result }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("alarms apply json: %v\n%s", err, r.stdout)
	}
	m := map[string]string{}
	for _, a := range out.Alarms {
		m[a.Name] = a.Action
	}
	return m
}

// TestIntegrationAlarmsApplyIsIdempotent: without arguments, apply finds
// the environments from the managed secrets' tags; a second apply
// changes nothing; new actions update every alarm.
func TestIntegrationAlarmsApplyIsIdempotent(t *testing.T) {
	s := startStack(t)
	provisioned(t, s)
	first := applied(t, s)
	for _, k := range alarms.Kinds {
		if name := alarms.Name("Credstage", "staging", k.Name); first[name] != alarms.Created && first[name] != alarms.Unchanged {
			t.Errorf("alarm %s: %q, want created", name, first[name])
		}
	}
	for name, action := range applied(t, s) {
		if action != alarms.Unchanged {
			t.Errorf("second apply: %s %s, want unchanged", name, action)
		}
	}
	topic := "arn:aws:sns:us-east-1:000000000000:credstage-oncall"
	updated := applied(t, s, "--environment", "staging", "--alarm-action", topic)
	if len(updated) != len(alarms.Kinds) {
		t.Fatalf("apply --environment staging looked at %d alarms: %v", len(updated), updated)
	}
	for name, action := range updated {
		if action != alarms.Updated {
			t.Errorf("new action: %s %s, want updated", name, action)
		}
	}
	if r := s.cli(t, "alarms", "apply", "--alarm-action", "arn:aws:lambda:us-east-1:000000000000:function:f"); r.code != ExitBadInput || !strings.Contains(r.stderr, "is not an SNS topic ARN") {
		t.Errorf("a Lambda action: %s", r)
	}
}

// TestIntegrationRolledBackAlarmFires: a rotation whose validator fails
// rolls back and moves its environment's RotationRolledBack alarm to
// ALARM; a good rotation leaves its own environment's alarm alone.
func TestIntegrationRolledBackAlarmFires(t *testing.T) {
	s := startStack(t)
	provisioned(t, s)
	const good, bad = "it-alarm-good", "it-alarm-bad"
	applied(t, s, "--environment", good, "--environment", bad)
	rolledBack := func(env string) string { return alarms.Name("Credstage", env, "RotationRolledBack") }

	goodPlan := writePlan(t, "it-alarm-good", "name: it-alarm-good\nstages:\n  - name: "+good+"\n    targets:\n      - secret: "+itReport+"\n")
	if r := s.cli(t, "rotate", goodPlan, "--wait"); r.code != 0 {
		t.Fatalf("good rotation: %s", r)
	}
	waitFor(t, time.Minute, "the good environment's alarm to be evaluated", func() bool {
		return alarmStates(t, s)[rolledBack(good)].State == "OK"
	})

	badPlan := writePlan(t, "it-alarm-bad", "name: it-alarm-bad\nstages:\n  - name: "+bad+"\n    targets:\n      - secret: "+itReport+"\n"+
		"    validators:\n      - sql: {query: \"SELECT 1\", expect: \"2\"}\n")
	if r := s.cli(t, "rotate", badPlan, "--wait"); r.code != ExitFailed {
		t.Fatalf("a rotation with a failing validator should roll back (exit 1): %s", r)
	}
	start := time.Now()
	// Within the alarm's evaluation period (5 minutes); localaws evaluates
	// when the datum arrives, so it takes seconds.
	waitFor(t, 5*time.Minute, "RotationRolledBack to fire", func() bool {
		return alarmStates(t, s)[rolledBack(bad)].State == "ALARM"
	})
	t.Logf("RotationRolledBack in ALARM %s after the rollback", time.Since(start).Round(time.Millisecond))
	states := alarmStates(t, s)
	if st := states[rolledBack(good)].State; st == "ALARM" {
		t.Errorf("the good environment's alarm fired: %+v", states[rolledBack(good)])
	}
	if st := states[alarms.Name("Credstage", bad, "RotationFailed")].State; st == "ALARM" {
		t.Errorf("RotationFailed fired although the rollback worked")
	}
	r := s.cli(t, "alarms", "list")
	if r.code != 0 || !strings.Contains(r.stdout, rolledBack(bad)) || !strings.Contains(r.stdout, "ALARM") {
		t.Errorf("alarms list: %s", r)
	}
}
