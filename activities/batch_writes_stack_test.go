package activities

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/credstage/credstage/localaws"
)

// TestBatchedRotationWrites counts, in localaws's request log, the calls a
// batched rotation makes against Secrets Manager's account-wide write
// quota (the family AWS publishes, from localaws's own table): three for
// alternating users, whose version carries the lease alone and never
// AWSPENDING (labelsPending), four for a single user, whose clients need
// AWSPENDING while only the pending password logs in. Both end with no
// AWSPENDING and no lease left.
func TestBatchedRotationWrites(t *testing.T) {
	st := localStack(t)
	ctx := context.Background()
	var writeOps []string
	for _, f := range localaws.AWSQuotas() {
		if f.Name == "secretsmanager:writes" {
			writeOps = f.Operations
		}
	}
	if len(writeOps) == 0 {
		t.Fatal("localaws's quota table has no secretsmanager:writes family")
	}
	for _, c := range []struct {
		strategy Strategy
		writes   int
	}{{StrategyAlternatingUsers, 3}, {StrategySingleUser, 4}} {
		t.Run(string(c.strategy), func(t *testing.T) {
			a, runs := batchActs(t, st)
			x := st.newUser(t, c.strategy)
			h := newHolder(runs)
			tb := batchOf(c.strategy, x)
			if c.strategy == StrategyAlternatingUsers {
				// The clone must exist before counting: the first
				// rotation of an alternating pair creates it.
				rotateAndFinish(t, a, h, tb)
				h, tb = newHolder(runs), batchOf(c.strategy, x)
			}
			from := len(st.srv.Requests().Entries())

			step := tb[0].step(stackEnv)
			acq, err := a.acquireAndCreate(ctx, step, tb[0].LockID, h)
			if err != nil {
				t.Fatal(err)
			}
			labels := st.stages(t, x)[step.Token]
			if want := labelsPending(c.strategy); slices.Contains(labels, stagePending) != want {
				t.Errorf("the leased version's labels %v: AWSPENDING %v, want %v", labels, !want, want)
			}
			if _, err := a.setPendingPassword(ctx, step, acq.pending); err != nil {
				t.Fatal(err)
			}
			if err := a.promoteKnown(ctx, step, acq.res.CurrentVersionID, acq.pendingLabel); err != nil {
				t.Fatal(err)
			}
			if _, err := a.finishBatch(ctx, FinishBatchInput{Holder: h, Release: releases(tb)}); err != nil {
				t.Fatal(err)
			}

			calls := map[string]int{}
			writes := 0
			for _, e := range st.srv.Requests().Entries()[from:] {
				if e.Service != "secretsmanager" || !strings.Contains(e.Resource, x) {
					continue
				}
				calls[e.Op]++
				if slices.Contains(writeOps, e.Op) {
					writes++
				}
			}
			if writes != c.writes {
				t.Errorf("%d write calls (%v), want %d", writes, calls, c.writes)
			}
			t.Logf("%s: calls per rotation %v", c.strategy, calls)
			st.assertInvariant(t, x)
			if l := st.leases(t, x); len(l) > 0 {
				t.Errorf("leases left: %v", l)
			}
			if !st.logsIn(x, stageCurrent) {
				t.Error("AWSCURRENT does not log in")
			}
		})
	}
}

func rotateAndFinish(t *testing.T, a *Activities, h LeaseHolder, tb []BatchTarget) {
	t.Helper()
	res, err := a.rotateBatch(context.Background(), RotateBatchInput{Holder: h, Environment: stackEnv, Targets: tb})
	if err != nil || res.Outcomes[0].Status != BatchSucceeded {
		t.Fatalf("rotation: %+v %v", res.Outcomes, err)
	}
	if _, err := a.finishBatch(context.Background(), FinishBatchInput{Holder: h, Release: releases(tb)}); err != nil {
		t.Fatal(err)
	}
}
