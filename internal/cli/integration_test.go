package cli

import (
	"bufio"
	"context"
	"encoding/json"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/workflows"
)

// The integration tests drive the CLI against the real stack: they run in
// file order and build on each other's state only through provisioned().

const (
	itInstance = "orders-it"
	itApp      = "staging/orders-it/app"
	itReport   = "staging/orders-it/report"
	itSched    = "staging/orders-it/sched"
)

var (
	provisionOnce sync.Once
	provisionRes  result
)

// provisioned makes sure the test instance and its three users exist,
// through `credstage provision --wait`.
func provisioned(t *testing.T, s *liveStack) {
	t.Helper()
	provisionOnce.Do(func() {
		provisionRes = s.cli(t, "provision", "--identifier", itInstance, "--environment", "staging", "--db-name", "orders",
			"--user", "app:alternating-users:readwrite", "--user", "report:single-user:readonly", "--user", "sched:single-user", "--wait")
	})
	if provisionRes.code != 0 {
		t.Fatalf("provision failed: %s", provisionRes)
	}
}

func TestIntegrationProvision(t *testing.T) {
	s := startStack(t)
	provisioned(t, s)
	out := provisionRes.stdout
	for _, want := range []string{"Started provisioning of " + itInstance, "workflow: provision/" + itInstance, "Created " + itInstance, itApp, itReport, itSched} {
		if !strings.Contains(out, want) {
			t.Errorf("provision output lacks %q:\n%s", want, out)
		}
	}
	// The same identifier again: a finished provisioning may be repeated
	// (it adopts what exists), but bad flags never start anything.
	r := s.cli(t, "provision", "--identifier", "Bad--Name", "--environment", "staging", "--db-name", "orders", "--user", "app:weird")
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "--identifier: want an RDS identifier") || !strings.Contains(r.stderr, `unknown strategy "weird"`) {
		t.Errorf("bad provision flags: %s", r)
	}
}

// writePlan writes a plan file for the stack's secrets.
func writePlan(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitFor polls cond every 500ms for up to limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// statusOf reads `status RUN --output json`.
func statusOf(t *testing.T, s *liveStack, id string) statusJSON {
	t.Helper()
	r := s.cli(t, "status", id, "--output", "json")
	if r.code != 0 {
		t.Fatalf("status %s: %s", id, r)
	}
	var st statusJSON
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status json: %v\n%s", err, r.stdout)
	}
	return st
}

func progressStatus(st statusJSON) string {
	if st.Progress == nil {
		return ""
	}
	return st.Progress.Status
}

// TestIntegrationRotateWithApproval: rotate --wait follows a two-stage
// plan whose second stage needs approval; a wrong-stage approval is
// refused with the workflow's words, the right one lets it finish.
func TestIntegrationRotateWithApproval(t *testing.T) {
	s := startStack(t)
	provisioned(t, s)
	plan := writePlan(t, "it-approve", `
name: it-approve
stages:
  - name: staging
    targets:
      - secret: `+itApp+`
        strategy: alternating-users
    validators:
      - sql: {query: "SELECT 1", expect: "1"}
  - name: production
    requireApproval: true
    targets:
      - secret: `+itReport+`
`)
	if r := s.cli(t, "plan", "validate", plan); r.code != 0 {
		t.Fatalf("plan validate: %s", r)
	}
	done := make(chan result, 1)
	go func() { done <- s.cli(t, "rotate", plan, "--wait", "--poll-interval", "300ms") }()

	var id string
	waitFor(t, 90*time.Second, "the run to await approval", func() bool {
		r := s.cli(t, "list", "--type", "staged", "--status", "awaiting-approval", "--output", "json")
		for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			var row runRow
			if json.Unmarshal([]byte(line), &row) == nil && strings.HasPrefix(row.WorkflowID, "staged/it-approve/") {
				id = row.WorkflowID
				return true
			}
		}
		return false
	})
	r := s.cli(t, "approve", id, "--stage", "staging")
	if r.code != ExitFailed || !strings.Contains(r.stderr, "stage production is awaiting approval, not staging") {
		t.Errorf("approving the wrong stage: %s", r)
	}
	if r := s.cli(t, "approve", id, "--stage", "production", "--comment", "integration"); r.code != 0 || !strings.Contains(r.stdout, "Approved stage production of "+id) {
		t.Fatalf("approve: %s", r)
	}
	var rot result
	select {
	case rot = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("rotate --wait did not return")
	}
	if rot.code != 0 {
		t.Fatalf("rotate --wait: %s", rot)
	}
	for _, want := range []string{
		"Started staged rotation of plan it-approve",
		"web UI:   http://localhost:8233/namespaces/default/workflows/staged%2Fit-approve%2F",
		"stage staging: succeeded",
		"stage production: " + itReport + ": succeeded",
		"plan it-approve: succeeded",
	} {
		if !strings.Contains(rot.stdout, want) {
			t.Errorf("rotate --wait output lacks %q:\n%s", want, rot.stdout)
		}
	}
	if strings.Contains(rot.stdout, "\x1b[") {
		t.Error("escape codes in output that is not a terminal")
	}
	st := statusOf(t, s, id)
	if st.ExecutionStatus != "completed" || progressStatus(st) != workflows.StatusSucceeded {
		t.Errorf("status after the run: %+v", st)
	}
	// Approving a finished run says so.
	if r := s.cli(t, "approve", id); r.code != ExitFailed || !strings.Contains(r.stderr, "already") {
		t.Errorf("approve after the end: %s", r)
	}
}

// TestIntegrationAbort: abort while a stage awaits approval ends the run
// as aborted; status --wait then exits 1.
func TestIntegrationAbort(t *testing.T) {
	s := startStack(t)
	provisioned(t, s)
	plan := writePlan(t, "it-abort", `
name: it-abort
stages:
  - name: production
    requireApproval: true
    targets:
      - secret: `+itReport+`
`)
	r := s.cli(t, "rotate", plan, "--output", "json")
	if r.code != 0 {
		t.Fatalf("rotate: %s", r)
	}
	var started struct{ WorkflowID, RunID, URL string }
	if err := json.Unmarshal([]byte(r.stdout), &started); err != nil || !strings.HasPrefix(started.WorkflowID, "staged/it-abort/") {
		t.Fatalf("rotate -o json: %v %s", err, r.stdout)
	}
	id := started.WorkflowID
	waitFor(t, time.Minute, "awaiting approval", func() bool { return progressStatus(statusOf(t, s, id)) == workflows.StatusAwaitingApproval })
	if r := s.cli(t, "abort", id, "--reason", "integration test"); r.code != 0 || !strings.Contains(r.stdout, "Abort requested for "+id) {
		t.Fatalf("abort: %s", r)
	}
	w := s.cli(t, "status", id, "--wait", "--output", "json")
	if w.code != ExitFailed {
		t.Fatalf("status --wait of an aborted run: want exit 1: %s", w)
	}
	last := lastJSONLine(t, w.stdout)
	if last["type"] != "result" || last["status"] != workflows.StatusAborted {
		t.Errorf("last line: %v", last)
	}
	if r := s.cli(t, "abort", id); r.code != ExitFailed {
		t.Errorf("abort after the end: %s", r)
	}
}

func lastJSONLine(t *testing.T, out string) map[string]any {
	t.Helper()
	var last map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		last = m
	}
	return last
}

// TestIntegrationRollback: a rotated secret goes back to its previous
// version; a rollback is refused while another run holds the secret's
// lock, and an unknown secret is bad input.
func TestIntegrationRollback(t *testing.T) {
	s := startStack(t)
	provisioned(t, s)
	if r := s.cli(t, "rollback", "staging/orders-it/nope"); r.code != ExitBadInput || r.stderr != "secret \"staging/orders-it/nope\" not found in Secrets Manager\n" {
		t.Errorf("unknown secret: %s", r)
	}
	// A rotation of the secret first, so AWSPREVIOUS exists.
	plan := writePlan(t, "it-rollback", "name: it-rollback\nstages:\n  - name: staging\n    targets:\n      - secret: "+itSched+"\n")
	if r := s.cli(t, "rotate", plan, "--wait"); r.code != 0 {
		t.Fatalf("rotate: %s", r)
	}
	// Hold the lock with a run no worker serves.
	ctx := context.Background()
	c := s.temporal.Client
	holder, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.RotateWorkflowID(itSched), TaskQueue: "nobody-serves-this"}, wfRotateSecret)
	if err != nil {
		t.Fatal(err)
	}
	r := s.cli(t, "rollback", itSched)
	if r.code != ExitFailed || !strings.Contains(r.stderr, "secret "+itSched+" is being rotated right now by run rotate/"+itSched) {
		t.Errorf("rollback during a rotation: %s", r)
	}
	if err := c.TerminateWorkflow(ctx, holder.GetID(), holder.GetRunID(), "test done"); err != nil {
		t.Fatal(err)
	}
	r = s.cli(t, "rollback", itSched, "--reason", "integration", "--wait")
	if r.code != 0 || !strings.Contains(r.stdout, "Rolled back "+itSched+".") {
		t.Fatalf("rollback --wait: %s", r)
	}
	// Without --expect-version the CLI pins the AWSCURRENT it saw, so a
	// restore retried after a lost reply never swaps the labels back.
	in := rollbackInputOf(ctx, t, c, workflows.RotateWorkflowID(itSched))
	if in.ExpectCurrentVersionID == "" {
		t.Errorf("rollback started without pinning AWSCURRENT: %+v", in)
	} else if !strings.Contains(r.stdout, "(was "+in.ExpectCurrentVersionID+")") {
		t.Errorf("pinned %s, but the rollback replaced another version: %s", in.ExpectCurrentVersionID, r.stdout)
	}
}

// rollbackInputOf reads the input of the latest run of workflow id from
// its history.
func rollbackInputOf(ctx context.Context, t *testing.T, c client.Client, id string) workflows.RollbackSecretInput {
	t.Helper()
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	ev, err := it.Next()
	if err != nil {
		t.Fatal(err)
	}
	var in workflows.RollbackSecretInput
	if err := converter.GetDefaultDataConverter().FromPayloads(ev.GetWorkflowExecutionStartedEventAttributes().GetInput(), &in); err != nil {
		t.Fatal(err)
	}
	return in
}

// TestIntegrationListStatusHistory: the visibility filters find the runs
// the tests above made.
func TestIntegrationListStatusHistory(t *testing.T) {
	s := startStack(t)
	provisioned(t, s)
	plan := writePlan(t, "it-list", "name: it-list\nstages:\n  - name: staging\n    targets:\n      - secret: "+itApp+"\n        strategy: alternating-users\n")
	if r := s.cli(t, "rotate", plan, "--wait"); r.code != 0 {
		t.Fatalf("rotate: %s", r)
	}
	rows := func(args ...string) []runRow {
		r := s.cli(t, append(args, "--output", "json")...)
		if r.code != 0 {
			t.Fatalf("%v: %s", args, r)
		}
		var out []runRow
		for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			if line == "" {
				continue
			}
			var row runRow
			if err := json.Unmarshal([]byte(line), &row); err != nil {
				t.Fatalf("%v: %v in %q", args, err, line)
			}
			out = append(out, row)
		}
		return out
	}
	waitFor(t, 30*time.Second, "the rotation in visibility", func() bool {
		return len(rows("list", "--type", "rotate", "--secret", itApp, "--status", "succeeded")) > 0
	})
	for _, row := range rows("list", "--type", "rotate", "--secret", itApp) {
		if row.Type != wfRotateSecret || row.Secret != itApp || row.WorkflowID != workflows.RotateWorkflowID(itApp) {
			t.Errorf("list --type rotate --secret: unexpected row %+v", row)
		}
	}
	for _, row := range rows("list", "--environment", "production") {
		if row.Environment != "production" {
			t.Errorf("list --environment production: row %+v", row)
		}
	}
	if got := rows("list", "--type", "provision"); len(got) == 0 || got[0].WorkflowID != "provision/"+itInstance {
		t.Errorf("list --type provision: %+v", got)
	}
	// The table form, for people.
	if r := s.cli(t, "list", "--type", "staged"); r.code != 0 || !strings.HasPrefix(r.stdout, "WORKFLOW ID") || !strings.Contains(r.stdout, "staged/it-list/") {
		t.Errorf("list table: %s", r)
	}
	// status without RUN: the newest staged rotation.
	if r := s.cli(t, "status"); r.code != 0 || !strings.Contains(r.stdout, "run staged/it-list/") || !strings.Contains(r.stdout, "plan it-list: succeeded") {
		t.Errorf("status: %s", r)
	}
	if r := s.cli(t, "status", "staged/none/1"); r.code != ExitBadInput || r.stderr != "no workflow run staged/none/1 in namespace default\n" {
		t.Errorf("status of an unknown run: %s", r)
	}
	// history: every RotateSecret of the secret, newest first.
	r := s.cli(t, "history", itApp, "--output", "json")
	var hist []historyRow
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var h historyRow
		if json.Unmarshal([]byte(line), &h) == nil {
			hist = append(hist, h)
		}
	}
	if r.code != 0 || len(hist) < 2 {
		t.Fatalf("history: %s", r)
	}
	for _, h := range hist {
		if h.Type != wfRotateSecret || h.Outcome != workflows.StatusSucceeded || h.DurationMS <= 0 {
			t.Errorf("history row %+v", h)
		}
	}
	if r := s.cli(t, "history", itApp); r.code != 0 || !strings.HasPrefix(r.stdout, "STARTED") {
		t.Errorf("history table: %s", r)
	}
}

// TestIntegrationSchedules: every schedule subcommand against the real
// server; an interval schedule really starts runs and trigger starts one
// at once.
func TestIntegrationSchedules(t *testing.T) {
	s := startStack(t)
	provisioned(t, s)
	plan := writePlan(t, "it-sched", "name: it-sched\nstages:\n  - name: staging\n    targets:\n      - secret: "+itSched+"\n")
	describe := func(name string) scheduleJSON {
		r := s.cli(t, "schedule", "describe", name, "--output", "json")
		if r.code != 0 {
			t.Fatalf("describe: %s", r)
		}
		var d scheduleJSON
		if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	if r := s.cli(t, "schedule", "create", "it-every", "--every", "2s", "--plan", plan); r.code != 0 || r.stdout != "Created schedule it-every: plan it-sched, every 2s, overlap skip\n" {
		t.Fatalf("create: %s", r)
	}
	t.Cleanup(func() { s.cli(t, "schedule", "delete", "it-every") })
	if r := s.cli(t, "schedule", "create", "it-every", "--every", "2s", "--plan", plan); r.code != ExitBadInput || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("create twice: %s", r)
	}
	waitFor(t, 60*time.Second, "the interval schedule to start a run", func() bool {
		d := describe("it-every")
		return d.Actions >= 1 && len(d.Recent) >= 1 && strings.HasPrefix(d.Recent[0].WorkflowID, "staged/it-sched")
	})
	if r := s.cli(t, "schedule", "pause", "it-every", "--note", "integration pause"); r.code != 0 {
		t.Fatalf("pause: %s", r)
	}
	d := describe("it-every")
	if !d.Paused || d.Note != "integration pause" || d.Spec != "every 2s" || d.Plan != "it-sched" || d.Overlap != "skip" {
		t.Errorf("describe after pause: %+v", d)
	}
	waitFor(t, 2*time.Minute, "the schedule's runs to end", func() bool { return len(describe("it-every").Running) == 0 })
	before := describe("it-every").Actions
	if r := s.cli(t, "schedule", "trigger", "it-every"); r.code != 0 {
		t.Fatalf("trigger: %s", r)
	}
	waitFor(t, 30*time.Second, "the triggered run", func() bool { return describe("it-every").Actions > before })
	if r := s.cli(t, "schedule", "unpause", "it-every"); r.code != 0 || describe("it-every").Paused {
		t.Errorf("unpause: %s", r)
	}
	waitFor(t, 30*time.Second, "schedule list to show it", func() bool {
		r := s.cli(t, "schedule", "list")
		return r.code == 0 && strings.Contains(r.stdout, "it-every") && strings.Contains(r.stdout, "every 2s")
	})
	if r := s.cli(t, "schedule", "pause", "it-every"); r.code != 0 {
		t.Fatal(r)
	}
	waitFor(t, 2*time.Minute, "the schedule's runs to end", func() bool { return len(describe("it-every").Running) == 0 })

	// A cron schedule, paused, then backfilled over a window with one
	// 03:00 in it.
	if r := s.cli(t, "schedule", "create", "it-cron", "--cron", "0 3 * * *", "--time-zone", "UTC", "--plan", plan, "--paused"); r.code != 0 {
		t.Fatalf("create cron: %s", r)
	}
	t.Cleanup(func() { s.cli(t, "schedule", "delete", "it-cron") })
	day := time.Now().UTC().Add(-48 * time.Hour).Truncate(24 * time.Hour)
	r := s.cli(t, "schedule", "backfill", "it-cron", "--start", day.Add(2*time.Hour).Format(time.RFC3339), "--end", day.Add(4*time.Hour).Format(time.RFC3339))
	if r.code != 0 {
		t.Fatalf("backfill: %s", r)
	}
	waitFor(t, 30*time.Second, "the backfilled run", func() bool { return describe("it-cron").Actions == 1 })
	if r := s.cli(t, "schedule", "backfill", "it-cron", "--start", "2026-01-02T00:00:00Z", "--end", "2026-01-01T00:00:00Z"); r.code != ExitBadInput {
		t.Errorf("backfill with end before start: %s", r)
	}
	for _, name := range []string{"it-every", "it-cron"} {
		if r := s.cli(t, "schedule", "delete", name); r.code != 0 {
			t.Errorf("delete %s: %s", name, r)
		}
		if r := s.cli(t, "schedule", "describe", name); r.code != ExitBadInput || r.stderr != "no schedule "+name+" in namespace default\n" {
			t.Errorf("describe after delete: %s", r)
		}
	}
}
