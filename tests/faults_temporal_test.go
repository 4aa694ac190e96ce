package tests

import (
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/localaws"
	"github.com/credstage/credstage/tests/stack"
	"github.com/credstage/credstage/workflows"
)

// TestFaultsTemporalRestart stops the Temporal dev server while a staged
// rotation has activities in flight, and starts it again on the same
// address with the same SQLite file: the worker reconnects by itself, the
// run resumes where it was, and every secret ends rotated once.
func TestFaultsTemporalRestart(t *testing.T) {
	t.Parallel() // mostly waiting: for the server, and for activity timeouts
	addr, err := stack.FreeAddress()
	if err != nil {
		t.Fatal(err)
	}
	topts := stack.TemporalOptions{DBFile: filepath.Join(t.TempDir(), "temporal.db"), HostPort: addr}
	s := startE2EStackWith(t, e2eOptions{temporal: topts})
	keepLogOnFailure(t, s)
	rep := newReport(t)
	ctx := testContext(t, 10*time.Minute)

	in, names := provisionInstance(ctx, t, s, "restart", "staging", []activities.AppUser{
		{Name: "app", Strategy: activities.StrategyAlternatingUsers, Grants: []string{"readwrite"}},
		{Name: "report", Strategy: activities.StrategySingleUser, Grants: []string{"readonly"}},
		{Name: "batch", Strategy: activities.StrategySingleUser},
		{Name: "api", Strategy: activities.StrategyAlternatingUsers},
	})
	rep.add(0, 1)
	in.writeCanary(ctx, t)
	before := currentVersions(ctx, t, s, names)
	versionsBefore := map[string][]string{}
	for _, id := range names {
		versionsBefore[id] = secretVersions(ctx, t, s, id)
	}

	st := workflows.Stage{Name: "staging", MaxParallel: 2, Validators: sqlCanary}
	for i, id := range names {
		strategy := activities.StrategyAlternatingUsers
		if i == 1 || i == 2 {
			strategy = activities.StrategySingleUser
		}
		st.Targets = append(st.Targets, workflows.Target{SecretID: id, Strategy: strategy})
	}
	// Promotions stall a moment, so the server goes down with work in
	// flight.
	fid := s.aws.Server.Faults().Add(workerFault(localaws.Fault{Service: "secretsmanager", Op: "UpdateSecretVersionStage",
		Resource: "staging/restart/", Latency: 1500 * time.Millisecond, Count: 3}))
	run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "staged/restart", TaskQueue: workflows.TaskQueue},
		workflows.StagedRotation, workflows.StagedRotationInput{Plan: workflows.Plan{Name: "restart", Stages: []workflows.Stage{st}}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "a promotion in flight", func() bool { return hitsOf(s, fid) > 0 })
	s.temporal.Stop()
	rep.add(1, 0)
	time.Sleep(2 * time.Second)
	s.temporal = stack.StartTemporal(t, topts)
	t.Logf("Temporal restarted on %s with %s", s.temporal.Address, topts.DBFile)

	var res workflows.StagedRotationResult
	if err := s.client().GetWorkflow(ctx, run.GetID(), run.GetRunID()).Get(ctx, &res); err != nil {
		t.Fatalf("the run did not resume: %v", err)
	}
	if res.Status != workflows.StatusSucceeded {
		t.Errorf("status %s after the restart: %s", res.Status, res.Summary)
	}
	for _, id := range names {
		checkCredential(ctx, t, s, rep, id)
		if prev := versionWith(ctx, t, s.sm, id, "AWSPREVIOUS"); res.Status == workflows.StatusSucceeded && prev != before[id] {
			t.Errorf("%s: AWSPREVIOUS %s, want %s", id, prev, before[id])
		}
		if lost := secretVersionsLost(ctx, t, s, id, versionsBefore[id]); lost > 0 {
			rep.lost(lost)
		}
	}
	in.checkCanary(ctx, t, rep)
	// The history written before the restart is still there: the
	// provisioning run survived too.
	if _, err := s.client().DescribeWorkflow(ctx, "provision/restart", ""); err != nil {
		rep.lost(1)
		t.Errorf("the provisioning run was lost with the restart: %v", err)
	}
	rep.add(hitsOf(s, fid), countRuns(ctx, t, s.client())-1)
	scanForLeaks(ctx, t, s, nil)
}
