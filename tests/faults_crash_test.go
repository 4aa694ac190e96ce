package tests

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/workflows"
)

// TestFaultsWorkerKilled rotates a batch of secrets (12; 50 with
// CREDSTAGE_SOAK=1) in staged runs and SIGKILLs the worker at random
// points (seeded: a random number of its AWS calls after each start),
// restarting it each time. Every rotation must end succeeded or rolled
// back, and then, for every secret: AWSCURRENT logs in, no AWSPENDING is
// left, AWSPREVIOUS is the version before (when it succeeded; AWSCURRENT
// is, when it rolled back). No canary row and no secret version may be
// lost.
func TestFaultsWorkerKilled(t *testing.T) {
	t.Parallel() // mostly waiting (timeouts, outages): runs beside the other waiting tests
	rng := faultRand(t)
	secretsWanted, perInstance, kills := 12, 6, 3
	if soak() {
		secretsWanted, perInstance, kills = 50, 10, 10
	}
	s := startE2EStack(t)
	keepLogOnFailure(t, s)
	rep := newReport(t)
	ctx := testContext(t, 15*time.Minute)

	type target struct {
		secret   string
		strategy activities.Strategy
	}
	var instances []faultInstance
	var plans []workflows.Plan
	var all []target
	for i := 0; len(all) < secretsWanted; i++ {
		users := mixedUsers("u", min(perInstance, secretsWanted-len(all)))
		in, names := provisionInstance(ctx, t, s, fmt.Sprintf("crash-%d", i), "staging", users)
		rep.add(0, 1)
		in.writeCanary(ctx, t)
		instances = append(instances, in)
		st := workflows.Stage{Name: "staging", MaxParallel: 3, Validators: sqlCanary}
		for j, name := range names {
			all = append(all, target{name, users[j].Strategy})
			st.Targets = append(st.Targets, workflows.Target{SecretID: name, Strategy: users[j].Strategy})
		}
		plans = append(plans, workflows.Plan{Name: fmt.Sprintf("crash-%d", i), Stages: []workflows.Stage{st}})
	}
	ids := make([]string, len(all))
	versionsBefore := map[string][]string{}
	for i, tg := range all {
		ids[i] = tg.secret
		versionsBefore[tg.secret] = secretVersions(ctx, t, s, tg.secret)
	}
	before := currentVersions(ctx, t, s, ids)

	var runs []client.WorkflowRun
	for _, p := range plans {
		run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "staged/" + p.Name, TaskQueue: workflows.TaskQueue},
			workflows.StagedRotation, workflows.StagedRotationInput{Plan: p})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, run)
	}
	allClosed := func() bool {
		for _, r := range runs {
			d, err := s.client().DescribeWorkflow(ctx, r.GetID(), r.GetRunID())
			if err != nil || d.RawResponse.WorkflowExecutionInfo.CloseTime == nil {
				return false
			}
		}
		return true
	}

	// Kill at random points: after a random number of the worker's AWS
	// calls since it (re)started, so the deaths land in every step, or
	// after a random while when the worker is idle (its activities stuck
	// until their timeout after the kill before).
	killed := 0
	var points []string
	for k := 0; k < kills && !allClosed(); k++ {
		after, within := 3+rng.IntN(45), time.Duration(2+rng.IntN(14))*time.Second
		start, since := s.workerCalls(), time.Now()
		waitFor(ctx, t, "the worker's next calls", func() bool {
			return s.workerCalls()-start >= after || time.Since(since) > within || allClosed()
		})
		if allClosed() {
			break
		}
		s.killWorker()
		killed++
		points = append(points, fmt.Sprintf("%d calls/%s", s.workerCalls()-start, time.Since(since).Round(100*time.Millisecond)))
		time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond)
		s.startWorker()
	}
	rep.add(killed, 0)
	rep.note("worker SIGKILLed %d times, after %v since each start", killed, points)
	if killed == 0 {
		t.Fatal("the runs ended before the first kill: the test proved nothing")
	}

	outcomes := map[string]string{}
	for _, r := range runs {
		var res workflows.StagedRotationResult
		if err := r.Get(ctx, &res); err != nil {
			t.Errorf("staged run %s: %v", r.GetID(), err)
			continue
		}
		if res.Status != workflows.StatusSucceeded && res.Status != workflows.StatusRolledBack {
			t.Errorf("staged run %s ended %s: %s", r.GetID(), res.Status, res.Summary)
		}
		for _, st := range res.Stages {
			for _, tp := range st.Targets {
				outcomes[tp.SecretID] = tp.Status
				if tp.Status != workflows.StatusSucceeded && tp.Status != workflows.StatusRolledBack && tp.Status != workflows.StatusSkipped {
					t.Errorf("%s ended %s: %s", tp.SecretID, tp.Status, tp.Error)
				}
			}
		}
	}

	counts := map[string]int{}
	for _, id := range ids {
		counts[outcomes[id]]++
		if !checkCredential(ctx, t, s, rep, id) {
			continue
		}
		cur, prev := versionWith(ctx, t, s.sm, id, "AWSCURRENT"), versionWith(ctx, t, s.sm, id, "AWSPREVIOUS")
		switch outcomes[id] {
		case workflows.StatusSucceeded:
			if cur == before[id] || prev != before[id] {
				t.Errorf("%s succeeded but AWSCURRENT=%s AWSPREVIOUS=%s (before: %s)", id, cur, prev, before[id])
			}
		default:
			if cur != before[id] {
				t.Errorf("%s %s but AWSCURRENT moved from %s to %s", id, outcomes[id], before[id], cur)
			}
		}
		if lost := secretVersionsLost(ctx, t, s, id, versionsBefore[id]); lost > 0 {
			rep.lost(lost)
		}
	}
	for _, in := range instances {
		in.checkCanary(ctx, t, rep)
		assertMasterLogin(ctx, t, s, instance{id: in.id, master: in.masterARN})
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rep.note("%d %s", counts[k], k)
	}
	rep.add(0, countRuns(ctx, t, s.client())-len(instances))
	scanForLeaks(ctx, t, s, nil)
}

// countRuns is the number of workflow runs in the namespace.
func countRuns(ctx context.Context, t *testing.T, c client.Client) int {
	t.Helper()
	out, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: "default"})
	if err != nil {
		t.Errorf("count runs: %v", err)
		return 0
	}
	return int(out.Count)
}
