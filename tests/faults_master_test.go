package tests

import (
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/workflows"
)

// TestFaultsMasterRotatedByRDS: RDS rotates the instance's managed master
// in the middle of application rotations, in AWS's order (the new
// password is the master secret's AWSPENDING and already the database's,
// AWSCURRENT still the old one, then AWSCURRENT moves). The worker has
// just restarted, so its master pool is cold and every master login is
// fresh. A set step in that window must log in with AWSPENDING, and the
// steps after RDS finished (test, promote, verify, and any rollback) with
// the new AWSCURRENT: both rotations succeed, neither is rolled back.
func TestFaultsMasterRotatedByRDS(t *testing.T) {
	t.Parallel()
	s := startE2EStack(t)
	keepLogOnFailure(t, s)
	rep := newReport(t)
	ctx := testContext(t, 6*time.Minute)
	users := mixedUsers("m", 2)
	in, names := provisionInstance(ctx, t, s, "faults-master", "staging", users)
	rep.add(0, 1)
	s.worker.stop(t)
	s.startWorker() // a cold master pool: the next master login is a fresh one

	finish, err := s.aws.Server.RotateManagedMasterStaged(in.id)
	if err != nil {
		t.Fatal(err)
	}
	rep.add(1, 0)
	slow := []activities.SQLProbe{{Name: "slow", Query: "SELECT pg_sleep(2) IS NULL", Expect: "false"}}
	runs := map[string]client.WorkflowRun{}
	for j, name := range names {
		run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SecretWorkflowID(name), TaskQueue: workflows.TaskQueue},
			workflows.RotateSecret, workflows.RotateSecretInput{Target: workflows.Target{SecretID: name, Strategy: users[j].Strategy, Probes: slow},
				Environment: "staging", Validators: sqlCanary, OutageBudget: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		rep.add(0, 1)
		runs[name] = run
	}
	// RDS finishes its rotation while the rotations test: set ran in the
	// window, everything after it runs past it.
	for name := range runs {
		waitFor(ctx, t, "the test step of "+name, func() bool {
			return progressStep(ctx, s.client(), workflows.SecretWorkflowID(name)) == activities.StepTest
		})
	}
	if err := finish(); err != nil {
		t.Fatal(err)
	}
	for name, run := range runs {
		out, err := outcomeOf(ctx, run)
		if err != nil || out.Status != workflows.StatusSucceeded {
			rep.goodRolledBack()
			t.Errorf("%s: %s at %s (%s), want succeeded through RDS's master rotation (run error: %v)", name, out.Status, out.LastStep, out.Error, err)
		}
		checkCredential(ctx, t, s, rep, name)
	}
	if s.logLine(`"msg":"master login accepted with the master secret's pending version (a rotation in progress)"`) == "" {
		t.Error("no master login used AWSPENDING: the rotations did not meet RDS's window, the test proved nothing")
	}
	in.refreshMaster(ctx, t, s)
	assertMasterLogin(ctx, t, s, instance{id: in.id, master: in.masterARN})
	scanForLeaks(ctx, t, s, nil)
}
