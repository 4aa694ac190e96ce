package tests

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/workflows"
)

// TestFaultsBatchDeploy deploys the worker in the middle of a batched
// stage: SIGTERM with a 1 s stop timeout (a fast deploy), a second worker
// started at once. The stopping worker must hand its batches over (a
// retryable failure with near-zero retry delay, after heartbeating what it
// settled) so that the new worker resumes them within seconds rather than
// after the batch's 30-second heartbeat timeout, and no secret may be
// rolled back, skipped or left with an AWSPENDING: a deploy is not an
// abort. 40 secrets in batches of 10 (100 secrets, three deploys and a
// SIGKILL with CREDSTAGE_SOAK=1).
func TestFaultsBatchDeploy(t *testing.T) {
	t.Parallel() // mostly waiting: runs beside the other fault tests
	rng := faultRand(t)
	secretsWanted, perInstance, batchSize, deploys, kills := 40, 20, 10, 1, 0
	if soak() {
		secretsWanted, perInstance, batchSize, deploys, kills = 100, 25, 25, 3, 1
	}
	s := startE2EStackWith(t, e2eOptions{workerArgs: []string{"--stop-timeout", "1s"}})
	keepLogOnFailure(t, s)
	rep := newReport(t)
	ctx := testContext(t, 12*time.Minute)

	stage := workflows.Stage{Name: "staging", MaxParallel: 4, BatchSize: batchSize, Validators: sqlCanary}
	var instances []faultInstance
	var ids []string
	for i := 0; len(ids) < secretsWanted; i++ {
		users := mixedUsers("d", min(perInstance, secretsWanted-len(ids)))
		in, names := provisionInstance(ctx, t, s, fmt.Sprintf("deploy-%d", i), "staging", users)
		rep.add(0, 1)
		instances = append(instances, in)
		for j, name := range names {
			ids = append(ids, name)
			// A slow probe keeps each secret in its test step a while, so
			// the deploy lands with batches in flight, each of which takes
			// longer than the stop timeout.
			stage.Targets = append(stage.Targets, workflows.Target{SecretID: name, Strategy: users[j].Strategy,
				Probes: []activities.SQLProbe{{Name: "slow", Query: "SELECT pg_sleep(1) IS NULL", Expect: "false"}}})
		}
	}
	if workflows.StageBatchSize(stage) == 0 {
		t.Fatal("the stage would not run in batches: the test would prove nothing")
	}
	before := currentVersions(ctx, t, s, ids)
	plan := workflows.Plan{Name: "deploy", OutageBudget: 10 * time.Second, Stages: []workflows.Stage{stage}}
	run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "staged/deploy", TaskQueue: workflows.TaskQueue},
		workflows.StagedRotation, workflows.StagedRotationInput{Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	rep.add(0, 1)
	closed := func() bool {
		d, err := s.client().DescribeWorkflow(ctx, run.GetID(), run.GetRunID())
		return err == nil && d.RawResponse.WorkflowExecutionInfo.CloseTime != nil
	}

	// Deploy (and, in soak, kill) at seeded points: after a random number
	// of the worker's AWS calls, so the stop lands in every step.
	var points []string
	var lastStop time.Time
	for k := 0; k < deploys+kills && !closed(); k++ {
		after := 20 + rng.IntN(120)
		start := s.workerCalls()
		waitFor(ctx, t, "the worker's next calls", func() bool { return s.workerCalls()-start >= after || closed() })
		if closed() {
			break
		}
		old := s.worker
		sig, name := syscall.SIGTERM, "SIGTERM"
		if k >= deploys {
			sig, name = syscall.SIGKILL, "SIGKILL"
		}
		_ = old.cmd.Process.Signal(sig)
		points = append(points, fmt.Sprintf("%s after %d calls", name, s.workerCalls()-start))
		lastStop = time.Now()
		s.startWorker() // the new deployment, beside the one stopping
		old.awaitExit(t, name)
		rep.add(1, 0)
	}
	if len(points) == 0 {
		t.Fatal("the run ended before the first deploy: the test proved nothing")
	}
	waitFor(ctx, t, "the run to end", closed)
	if deploys > 0 && s.logLine(`"msg":"worker stopping: handing the batch over"`) == "" {
		t.Error("no batch was handed over: the deploy did not land in a batch, the test proved nothing")
	}
	rep.note("%v", points)

	var res workflows.StagedRotationResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatalf("staged run: %v", err)
	}
	tail := time.Since(lastStop)
	rep.note("run ended %s after the last stop", tail.Round(100*time.Millisecond))
	if deploys > 0 && kills == 0 && tail > 25*time.Second {
		// A batch stranded on the stopped worker waits for its 30-second
		// heartbeat timeout, then redoes its work; a handed-over one
		// resumes at once (the rest of the work takes about 10 s).
		t.Errorf("the run took %s after the deploy: the batch was not handed over", tail)
	}
	if res.Status != workflows.StatusSucceeded {
		t.Errorf("staged run ended %s after a deploy: %s", res.Status, res.Summary)
	}
	for _, st := range res.Stages {
		for _, tp := range st.Targets {
			if tp.Status != workflows.StatusSucceeded {
				rep.goodRolledBack()
				t.Errorf("%s ended %s after a deploy (%s): a deploy must not roll back or skip", tp.SecretID, tp.Status, tp.Error)
			}
		}
	}
	for _, id := range ids {
		if !checkCredential(ctx, t, s, rep, id) {
			continue
		}
		if cur, prev := versionWith(ctx, t, s.sm, id, "AWSCURRENT"), versionWith(ctx, t, s.sm, id, "AWSPREVIOUS"); cur == before[id] || prev != before[id] {
			t.Errorf("%s: AWSCURRENT=%s AWSPREVIOUS=%s, want a new version over %s", id, cur, prev, before[id])
		}
	}
	for _, in := range instances {
		assertMasterLogin(ctx, t, s, instance{id: in.id, master: in.masterARN})
	}
	scanForLeaks(ctx, t, s, nil)
}
