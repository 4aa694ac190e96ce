package tests

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/workflows"
)

// TestFaultsPartitionedWorker freezes the worker (SIGSTOP: it neither acts
// nor heartbeats, as when it is cut off from Temporal) in the middle of a
// step, long enough for the server to time the attempt out and give it to
// a second worker; then the first one wakes up (SIGCONT) with its attempt
// still running. The rotation must succeed once, with the invariant
// intact: the woken attempt finds it is no longer current (a batch fences
// itself, activities/batch_fence.go) or repeats an idempotent step.
// Both paths: a RotateSecret step and a batched stage (heartbeat timeout
// 30 s each); make test one strategy of RotateSecret, make soak both and a
// larger batch.
func TestFaultsPartitionedWorker(t *testing.T) {
	t.Parallel() // mostly waiting for the heartbeat timeout
	s := startE2EStack(t)
	keepLogOnFailure(t, s)
	rep := newReport(t)
	ctx := testContext(t, 10*time.Minute)
	users := []activities.AppUser{{Name: "p_single", Strategy: activities.StrategySingleUser, Grants: []string{"readonly"}},
		{Name: "p_alt", Strategy: activities.StrategyAlternatingUsers, Grants: []string{"readonly"}}}
	batchSecrets := 8
	if soak() {
		batchSecrets = 24
	}
	for j := range batchSecrets {
		users = append(users, activities.AppUser{Name: fmt.Sprintf("pb%02d", j), Strategy: activities.StrategySingleUser, Grants: []string{"readonly"}})
	}
	in, names := provisionInstance(ctx, t, s, "partition", "staging", users)
	rep.add(0, 1)
	slow := []activities.SQLProbe{{Name: "slow", Query: "SELECT pg_sleep(4) IS NULL", Expect: "false"}}

	freeze := func(t *testing.T, hold time.Duration) {
		t.Helper()
		frozen := s.worker
		if err := frozen.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		s.startWorker() // takes over once the server gives up on the frozen attempt
		time.Sleep(hold)
		if err := frozen.cmd.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		rep.add(1, 0)
		// The woken worker runs beside the new one until the test ends,
		// then stops like any other.
		t.Cleanup(func() { frozen.stop(t) })
	}

	// Both strategies in soak; one, seeded, in make test.
	picked := []int{0, 1}
	if !soak() {
		picked = []int{faultRand(t).IntN(2)}
	}
	for _, j := range picked {
		name := names[j]
		t.Run("RotateSecret "+string(users[j].Strategy), func(t *testing.T) {
			before := versionWith(ctx, t, s.sm, name, "AWSCURRENT")
			run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SecretWorkflowID(name), TaskQueue: workflows.TaskQueue},
				workflows.RotateSecret, workflows.RotateSecretInput{Target: workflows.Target{SecretID: name, Strategy: users[j].Strategy, Probes: slow},
					Environment: "staging", Validators: sqlCanary, OutageBudget: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			rep.add(0, 1)
			waitFor(ctx, t, "the test step", func() bool {
				return progressStep(ctx, s.client(), workflows.SecretWorkflowID(name)) == activities.StepTest
			})
			time.Sleep(time.Second) // inside the slow probe
			freeze(t, 40*time.Second)
			out, err := outcomeOf(ctx, run)
			if err != nil || out.Status != workflows.StatusSucceeded {
				rep.goodRolledBack()
				t.Errorf("%s: %s at %s (%s), want succeeded after the partition (run error: %v)", name, out.Status, out.LastStep, out.Error, err)
			}
			if cur, prev := versionWith(ctx, t, s.sm, name, "AWSCURRENT"), versionWith(ctx, t, s.sm, name, "AWSPREVIOUS"); cur != out.VersionID || prev != before {
				t.Errorf("%s: AWSCURRENT=%s AWSPREVIOUS=%s, want %s over %s", name, cur, prev, out.VersionID, before)
			}
			checkCredential(ctx, t, s, rep, name)
			if n := maxAttempt(ctx, t, s.client(), run); n < 2 {
				t.Errorf("every activity ran once: the freeze did not outlast the heartbeat timeout, the test proved nothing")
			}
		})
	}

	t.Run("batched stage", func(t *testing.T) {
		stage := workflows.Stage{Name: "staging", MaxParallel: 2, BatchSize: 4, Validators: sqlCanary}
		for _, name := range names[2:] {
			stage.Targets = append(stage.Targets, workflows.Target{SecretID: name, Strategy: activities.StrategySingleUser,
				Probes: []activities.SQLProbe{{Name: "slow", Query: "SELECT pg_sleep(1) IS NULL", Expect: "false"}}})
		}
		run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "staged/partition", TaskQueue: workflows.TaskQueue},
			workflows.StagedRotation, workflows.StagedRotationInput{Plan: workflows.Plan{Name: "partition", OutageBudget: 10 * time.Second,
				Stages: []workflows.Stage{stage}}})
		if err != nil {
			t.Fatal(err)
		}
		rep.add(0, 1)
		waitFor(ctx, t, "batches in flight", func() bool { return s.logLine(`"msg":"took the lease and created the pending version"`) != "" })
		time.Sleep(500 * time.Millisecond)
		freeze(t, 40*time.Second)
		var res workflows.StagedRotationResult
		if err := run.Get(ctx, &res); err != nil || res.Status != workflows.StatusSucceeded {
			rep.goodRolledBack()
			t.Errorf("staged run after a partition: %s (%v): %s", res.Status, err, res.Summary)
		}
		for _, name := range names[2:] {
			checkCredential(ctx, t, s, rep, name)
		}
		if n := maxAttempt(ctx, t, s.client(), run); n < 2 {
			t.Errorf("every activity ran once: the freeze did not outlast the heartbeat timeout, the test proved nothing")
		}
		// The woken attempt must have found out it was replaced and
		// stopped (its log is the shared one).
		waitFor(ctx, t, "the woken batch attempt to fence itself", func() bool {
			return s.logLine(`"msg":"batch attempt fenced: stopping before it can act beside another attempt"`) != ""
		})
	})
	assertMasterLogin(ctx, t, s, instance{id: in.id, master: in.masterARN})
	scanForLeaks(ctx, t, s, nil)
}

// maxAttempt is the highest attempt any activity of the run completed on.
func maxAttempt(ctx context.Context, t *testing.T, c client.Client, run client.WorkflowRun) int32 {
	t.Helper()
	it := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var n int32
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
			n = max(n, a.GetAttempt())
		}
	}
	return n
}
