package tests

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/credstage/credstage/localaws"
	"github.com/credstage/credstage/workflows"
)

// TestThrottledFleetRotation rotates a batched stage against localaws's
// quota mode with Secrets Manager's write quota scaled down to 10 calls a
// second: first with no write budget, where the throttling must slow the
// fleet and fail nothing, then with a budget of 8 a second shared by two
// workers, which must keep every second's writes within the budget plus
// its burst and draw no throttling at all.
func TestThrottledFleetRotation(t *testing.T) {
	t.Parallel() // mostly waiting on the quota: runs beside the other slow tests
	const quota, budget, secrets = 10, 8, 24
	s := startE2EStackWith(t, e2eOptions{
		quotas:     &localaws.QuotaConfig{Families: map[string]localaws.QuotaLimit{"secretsmanager:writes": {Rate: quota}}},
		workerArgs: []string{"--aws-write-rate", "0"},
	})
	keepLogOnFailure(t, s)
	ctx := testContext(t, 8*time.Minute)
	users := mixedUsers("q", secrets)
	_, names := provisionInstance(ctx, t, s, "quota", "staging", users)
	stage := workflows.Stage{Name: "staging", MaxParallel: 8, BatchSize: secrets / 2, Validators: sqlCanary}
	for j, name := range names {
		stage.Targets = append(stage.Targets, workflows.Target{SecretID: name, Strategy: users[j].Strategy})
	}
	rotateAll := func(run string) (from time.Time) {
		from = time.Now()
		res, _ := rotate(ctx, t, s, "staged/"+run, workflows.Plan{Name: run, Stages: []workflows.Stage{stage}})
		if res.Status != workflows.StatusSucceeded {
			t.Fatalf("%s: %s\n%s", run, res.Status, res.Summary)
		}
		for _, id := range names {
			assertInvariant(ctx, t, s, id)
		}
		return from
	}

	from := rotateAll("unbudgeted")
	writes, throttled := workerWrites(s, from)
	if throttled == 0 {
		t.Fatalf("%d writes and no throttling without a budget: the quota did not bind, the test proves nothing", len(writes))
	}
	t.Logf("without a budget: %d writes, %d throttled, every rotation succeeded", len(writes), throttled)

	// Two workers sharing the budget, each having counted the others.
	// The stopped worker stays listed as a poller for a few minutes, so
	// they may count three and write less: never more.
	s.worker.stop(t)
	s.opts.workerArgs = []string{"--aws-write-rate", fmt.Sprint(budget)}
	logged := len(s.logs.String())
	s.startWorker()
	second := s.spawnWorker()
	t.Cleanup(func() { second.stop(t) })
	waitFor(ctx, t, "both workers to share the budget", func() bool {
		return len(sharingWorkers(s.logs.String()[logged:])) >= 2
	})
	from = rotateAll("budgeted")
	writes, throttled = workerWrites(s, from)
	peak := peakPerSecond(writes)
	// Each worker's bucket holds one second of its share.
	if limit := budget + 2*(budget/2); peak > limit {
		t.Errorf("%d writes in one second, more than the budget of %d plus the workers' bursts (%d)", peak, budget, limit)
	}
	if throttled != 0 {
		t.Errorf("%d writes throttled under a budget below the quota", throttled)
	}
	t.Logf("budget %d/s over two workers: %d writes, peak %d in a second, %d throttled", budget, len(writes), peak, throttled)
}

// sharingWorkers are the workers whose log says they share the write
// budget with at least one other.
func sharingWorkers(logs string) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(logs, "\n") {
		var e struct {
			Msg     string `json:"msg"`
			Worker  string `json:"worker"`
			Workers int    `json:"workers"`
		}
		if json.Unmarshal([]byte(line), &e) == nil && e.Msg == "write budget shared" && e.Workers >= 2 {
			out[e.Worker] = true
		}
	}
	return out
}

// workerWrites lists the times of the worker's calls in Secrets Manager's
// write quota since from, and counts the throttled ones.
func workerWrites(s *e2eStack, from time.Time) (times []time.Time, throttled int) {
	for _, e := range s.aws.Server.Requests().Entries() {
		if e.AccessKey != workerAccessKey || e.Time.Before(from) || e.Service != "secretsmanager" {
			continue
		}
		if e.Op != "PutSecretValue" && e.Op != "UpdateSecretVersionStage" {
			continue
		}
		times = append(times, e.Time)
		if e.Throttled {
			throttled++
		}
	}
	return times, throttled
}

// peakPerSecond is the most calls in any one-second window.
func peakPerSecond(times []time.Time) int {
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	peak, lo := 0, 0
	for hi := range times {
		for times[hi].Sub(times[lo]) >= time.Second {
			lo++
		}
		peak = max(peak, hi-lo+1)
	}
	return peak
}
