package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/localaws"
	"github.com/credstage/credstage/workflows"
)

// B9, a fleet under AWS's quotas: c.QuotaSecrets alternating-users
// secrets over c.Instances instances rotated in one batched stage, on a
// stack of its own whose localaws runs in quota mode at AWS's published
// rates (Secrets Manager's writes 50/s, GetRandomPassword 50/s, RDS 12/s
// with a burst of 300, ...), the workers sharing a write budget of
// c.QuotaWriteRate a second (the worker's default, 25), once per number
// of workers in c.QuotaWorkers. The budget, not the quota, should bound
// the rotation: the figure is the measured rate against the budget's
// ceiling, and what reached the quota (throttled calls) and failed.

// Quota families B9 reads from localaws's table.
const (
	familyWrites = "secretsmanager:writes"
	familyRandom = "secretsmanager:GetRandomPassword"
)

// quotaResult is one B9 run.
type quotaResult struct {
	Workers       int     `json:"workers"`
	Secrets       int     `json:"secrets"`
	WallS         float64 `json:"wall_s"`
	RotationsPerS float64 `json:"rotations_per_s"`
	// Failed counts the targets the run did not rotate.
	Failed int `json:"failed_rotations"`
	// WritesPerRot and RandomPerRot are the worker's calls admitted in
	// Secrets Manager's write family and GetRandomPassword's, per
	// rotation.
	WritesPerRot float64 `json:"writes_per_rotation"`
	RandomPerRot float64 `json:"get_random_password_per_rotation"`
	ReadsPerRot  float64 `json:"reads_per_rotation"`
	// QuotaCeiling and BudgetCeiling are the rotations a second the
	// quota and the budget allow at these calls per rotation (the
	// tighter of the write and GetRandomPassword families).
	QuotaCeiling  float64 `json:"quota_ceiling_rotations_per_s"`
	BudgetCeiling float64 `json:"budget_ceiling_rotations_per_s,omitempty"`
	RatioToBudget float64 `json:"ratio_to_budget_ceiling,omitempty"`
	// Throttled counts the worker's calls quota mode refused, by family;
	// HarnessThrottled the harness's own (none are expected: it makes no
	// call while the plan runs).
	Throttled        map[string]int `json:"throttled_by_family"`
	ThrottledTotal   int            `json:"throttled_calls"`
	HarnessThrottled int            `json:"harness_throttled_calls"`
	// PeakWritesPerS is the most write-family calls the workers sent
	// (admitted or not) in any one-second window; WriteLimitPerS the
	// budget plus each worker's burst, the most the budget lets through.
	PeakWritesPerS    int                `json:"peak_writes_per_s"`
	WriteLimitPerS    float64            `json:"budget_plus_bursts_per_s,omitempty"`
	WorkerPeakRSSMiB  []float64          `json:"worker_peak_rss_mib"`
	CallsPerRotation  map[string]float64 `json:"aws_calls_per_rotation_by_action"`
	AWSCalls          map[string]int     `json:"aws_calls"`
	LoginsPerRotation float64            `json:"logins_per_rotation"`
	// BatchesByWorker counts the RotateBatch activities each worker ran;
	// CollocatedS is how long two of them ran on one worker at once.
	BatchesByWorker map[string]int `json:"rotate_batches_by_worker"`
	CollocatedS     float64        `json:"batches_collocated_s"`
	CPU             cpuUse         `json:"cpu_s"`
	WorkflowID      string         `json:"workflow_id"`
}

const quotaIdentity = "bench-quota-worker-"

// quota runs B9: its own stack and fleet, then each number of workers
// QuotaReps times (every run of one count before the next, so a stopped
// worker's identity is never a stale poller of a run with fewer).
func (su *suite) quota(ctx context.Context) {
	c := su.c
	if c.QuotaSecrets == 0 || len(c.QuotaWorkers) == 0 {
		return
	}
	s := startBenchStack(su.tb, su.workerBin, stackOptions{quotas: &localaws.QuotaConfig{},
		writeRate: fmt.Sprint(c.QuotaWriteRate), identity: quotaIdentity + "1"})
	su.logf("B9 stack up: dev server %s, localaws %s in quota mode (AWS's rates), worker pid %d, --aws-write-rate %v",
		s.temporal.Address, s.aws.URL, s.workerPID(), c.QuotaWriteRate)
	start := time.Now()
	f, err := setupFleet(ctx, s, c, map[string]int{poolQuota: c.QuotaSecrets})
	if err != nil {
		su.tb.Fatalf("B9 fleet setup: %v", err)
	}
	su.tb.Cleanup(func() { f.close(context.Background()) })
	su.logf("B9 fleet ready in %.0fs: %d instances, %d alternating-users secrets", time.Since(start).Seconds(), c.Instances, c.QuotaSecrets)
	if su.res.info == nil {
		su.res.machine(ctx, f)
	}
	for _, k := range c.QuotaWorkers {
		for rep := range c.QuotaReps {
			r, err := quotaRun(ctx, s, f, c, k)
			su.must(err, "B9 %d secrets, %d workers", c.QuotaSecrets, k)
			su.logf("B9 %d secrets, %d worker(s), rep %d: %.1fs, %.2f rotations/s (budget ceiling %.2f, ratio %.2f; quota ceiling %.2f), %d failed, %.2f writes/rotation, %.2f GetRandomPassword/rotation, throttled %v, peak %d writes/s (budget+bursts %.0f), RSS %v MiB",
				r.Secrets, k, rep+1, r.WallS, r.RotationsPerS, r.BudgetCeiling, r.RatioToBudget, r.QuotaCeiling, r.Failed, r.WritesPerRot, r.RandomPerRot,
				r.Throttled, r.PeakWritesPerS, r.WriteLimitPerS, r.WorkerPeakRSSMiB)
			su.logf("    RotateBatch per worker %v, two on one worker for %.0fs of %.0fs", r.BatchesByWorker, r.CollocatedS, r.WallS)
			su.logf("    calls/rotation %v; cpu s: workers %.1f, dev server %.1f, postgres %.1f, bench+localaws %.1f, other %.1f over %.1fs",
				r.CallsPerRotation, r.CPU.Worker, r.CPU.DevServer, r.CPU.Postgres, r.CPU.Bench, r.CPU.Other, r.CPU.Wall)
			su.res.quota = append(su.res.quota, r)
		}
	}
	s.stopWorker()
	s.stopExtraWorkers()
}

// quotaPlan is B9's plan: every secret in one batched stage.
func quotaPlan(name string, secrets []string, c config) workflows.Plan {
	st := stageFor("production", secrets, activities.StrategyAlternatingUsers, designBatched, c)
	if st.BatchSize == workflows.BatchSizeAuto {
		st.BatchSize = workflows.DefaultBatchSize // batched however few the secrets
	}
	return workflows.Plan{Name: name, Stages: []workflows.Stage{st}}
}

// quotaRun is one B9 run on fresh workers: k of them, waited on until
// each has counted the others, then the plan, measured.
func quotaRun(ctx context.Context, s *benchStack, f *fleet, c config, k int) (quotaResult, error) {
	secrets := f.pools[poolQuota][:c.QuotaSecrets]
	res := quotaResult{Workers: k, Secrets: len(secrets)}
	s.stopExtraWorkers()
	s.restartWorker()
	for i := 2; i <= k; i++ {
		s.spawnWorker(fmt.Sprintf("%s%d", quotaIdentity, i))
	}
	if err := waitShared(ctx, s, k, c.QuotaWriteRate > 0); err != nil {
		return res, err
	}
	s.resetAWSCalls()
	before, err := f.totalSessions(ctx, c.StatsWait)
	if err != nil {
		return res, err
	}
	id := fmt.Sprintf("bench-b9-%d-%d-%d", len(secrets), k, runSeq.Add(1))
	cpu0 := s.cpu()
	from := time.Now()
	var out workflows.StagedRotationResult
	r, err := startPlan(ctx, s.client(), id, quotaPlan(id, secrets, c))
	if err == nil {
		err = r.Get(ctx, &out)
	}
	res.WallS = time.Since(from).Seconds()
	cpu1 := s.cpu()
	res.WorkflowID = id
	if err != nil {
		return res, fmt.Errorf("run %s: %w", id, err)
	}
	res.WorkerPeakRSSMiB = []float64{round(peakRSSMiB(s.workerPID()))}
	for _, w := range s.extra {
		res.WorkerPeakRSSMiB = append(res.WorkerPeakRSSMiB, round(peakRSSMiB(w.cmd.Process.Pid)))
	}
	res.CPU = cpu0.to(cpu1)
	res.RotationsPerS = float64(len(secrets)) / res.WallS
	for _, st := range out.Stages {
		for _, t := range st.Targets {
			if t.Status != workflows.StatusSucceeded {
				res.Failed++
			}
		}
	}
	after, err := f.totalSessions(ctx, c.StatsWait)
	if err != nil {
		return res, err
	}
	res.LoginsPerRotation = float64(after-before) / float64(len(secrets))
	res.countCalls(s, from, c.QuotaWriteRate)
	if res.BatchesByWorker, res.CollocatedS, err = batchPlacement(ctx, s.client(), id); err != nil {
		return res, fmt.Errorf("read the batches of %s: %w", id, err)
	}
	if res.Failed > 0 {
		// The invariant holds for failed targets too (rolled back), but
		// the leases of a failed stage are the run's to report: say so.
		return res, nil
	}
	return res, checkSettled(ctx, s.sm, secrets)
}

// countCalls reads the run's calls from localaws's request log.
func (res *quotaResult) countCalls(s *benchStack, from time.Time, budget float64) {
	table := s.aws.Server.QuotaTable()
	rates := map[string]float64{}
	writeOps := map[string]bool{}
	for _, f := range table {
		rates[f.Name] = f.Rate
		if f.Name == familyWrites {
			for _, op := range f.Operations {
				writeOps[op] = true
			}
		}
	}
	res.Throttled, res.AWSCalls = map[string]int{}, map[string]int{}
	var sent []time.Time
	for _, e := range s.aws.Server.Requests().Entries() {
		if e.Time.Before(from) {
			continue
		}
		if e.AccessKey != workerAccessKey {
			if e.Throttled {
				res.HarnessThrottled++
			}
			continue
		}
		write := e.Service == "secretsmanager" && writeOps[e.Op]
		if write {
			sent = append(sent, e.Time)
		}
		if e.Throttled {
			res.Throttled[e.Quota]++
			res.ThrottledTotal++
			continue
		}
		res.AWSCalls[e.Action]++
	}
	calls := callFigures(res.AWSCalls, res.Secrets)
	res.CallsPerRotation = calls.byAction
	res.WritesPerRot, res.RandomPerRot, res.ReadsPerRot = calls.writes, calls.random, calls.reads
	res.PeakWritesPerS = peakPerSecond(sent)
	// The tighter of the two families bounds the rotation (on AWS both
	// are 50 a second; the budget is one rate for both).
	ceiling := func(writes, random float64) float64 {
		c := math.Inf(1)
		if res.WritesPerRot > 0 {
			c = writes / res.WritesPerRot
		}
		if res.RandomPerRot > 0 {
			c = min(c, random/res.RandomPerRot)
		}
		if math.IsInf(c, 1) {
			return 0
		}
		return round(c)
	}
	res.QuotaCeiling = ceiling(rates[familyWrites], rates[familyRandom])
	if budget > 0 {
		res.BudgetCeiling = ceiling(budget, budget)
		if res.BudgetCeiling > 0 {
			res.RatioToBudget = round(res.RotationsPerS / res.BudgetCeiling)
		}
		share := budget / float64(res.Workers)
		res.WriteLimitPerS = budget + float64(res.Workers)*max(1, math.Floor(share))
	}
	res.RotationsPerS = round(res.RotationsPerS)
}

// waitShared waits until Temporal lists exactly the k workers polling
// for activities and (with a budget) each has counted them: its last
// "write budget shared" line says k workers, or (k = 1) it never logged
// one. A stopped worker stays listed for a few minutes; the quota
// identities make a restarted worker the same poller as before.
func waitShared(ctx context.Context, s *benchStack, k int, budget bool) error {
	want := []string{quotaIdentity + "1"}
	workers := []*workerProc{s.worker}
	for i, w := range s.extra {
		want = append(want, fmt.Sprintf("%s%d", quotaIdentity, i+2))
		workers = append(workers, w)
	}
	slices.Sort(want)
	deadline := time.Now().Add(7 * time.Minute)
	var state string
	for {
		resp, err := s.client().DescribeTaskQueue(ctx, workflows.TaskQueue, enumspb.TASK_QUEUE_TYPE_ACTIVITY)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, p := range resp.GetPollers() {
			seen[p.GetIdentity()] = true
		}
		got := slices.Sorted(maps.Keys(seen))
		counted := 0
		var shares []int
		for _, w := range workers {
			n := lastShare(w)
			shares = append(shares, n)
			if !budget || n == k || n == 0 && k == 1 {
				counted++
			}
		}
		if slices.Equal(got, want) && counted == len(workers) {
			return nil
		}
		state = fmt.Sprintf("pollers %v, want %v; shares logged %v", got, want, shares)
		if time.Now().After(deadline) {
			return fmt.Errorf("the %d workers never shared the write budget: %s", k, state)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// lastShare is the workers count of a worker's last "write budget
// shared" log line, 0 if it logged none.
func lastShare(w *workerProc) int {
	n := 0
	for _, line := range w.logLines() {
		if !strings.Contains(line, `"write budget shared"`) {
			continue
		}
		var rec struct {
			Workers int `json:"workers"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil {
			n = rec.Workers
		}
	}
	return n
}

// calls are a run's AWS calls per rotation, by IAM action, and the
// kinds the quotas count.
type calls struct {
	byAction              map[string]float64
	writes, random, reads float64
}

// writeActions are the actions of Secrets Manager's write quota, from
// localaws's copy of AWS's table.
var writeActions = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range localaws.AWSQuotas() {
		if f.Name == familyWrites {
			for _, op := range f.Operations {
				m["secretsmanager:"+op] = true
			}
		}
	}
	return m
}()

// callFigures divides calls by action over n rotations: writes (the
// write quota's actions), GetRandomPassword, and reads (GetSecretValue
// and DescribeSecret).
func callFigures(byAction map[string]int, n int) calls {
	c := calls{byAction: map[string]float64{}}
	if n == 0 {
		return c
	}
	for a, k := range byAction {
		per := float64(k) / float64(n)
		c.byAction[a] = round(per)
		switch {
		case writeActions[a]:
			c.writes += per
		case a == "secretsmanager:GetRandomPassword":
			c.random += per
		case a == "secretsmanager:GetSecretValue", a == "secretsmanager:DescribeSecret":
			c.reads += per
		}
	}
	c.writes, c.random, c.reads = round(c.writes), round(c.random), round(c.reads)
	return c
}

// batchPlacement reads from a run's history which worker ran each
// RotateBatch (the last attempt's) and how long two batches ran on the
// same worker at once: the budget is shared per worker, not per batch,
// so two batches on one worker write at that worker's share.
func batchPlacement(ctx context.Context, c client.Client, id string) (byWorker map[string]int, collocatedS float64, err error) {
	type span struct {
		worker     string
		start, end time.Time
	}
	names := map[int64]string{}
	started := map[int64]span{}
	var spans []span
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, 0, err
		}
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			names[ev.GetEventId()] = ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			a := ev.GetActivityTaskStartedEventAttributes()
			if names[a.GetScheduledEventId()] == "RotateBatch" {
				started[a.GetScheduledEventId()] = span{worker: a.GetIdentity(), start: ev.GetEventTime().AsTime()}
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED, enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			if sp, ok := started[scheduledID(ev)]; ok {
				sp.end = ev.GetEventTime().AsTime()
				spans = append(spans, sp)
			}
		}
	}
	byWorker = map[string]int{}
	type edge struct {
		at     time.Time
		worker string
		d      int
	}
	var edges []edge
	for _, sp := range spans {
		byWorker[sp.worker]++
		edges = append(edges, edge{sp.start, sp.worker, 1}, edge{sp.end, sp.worker, -1})
	}
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.d - b.d // ends before starts at the same instant
	})
	open := map[string]int{}
	var last time.Time
	for _, e := range edges {
		for _, n := range open {
			if n >= 2 {
				collocatedS += e.at.Sub(last).Seconds()
				break
			}
		}
		open[e.worker] += e.d
		last = e.at
	}
	return byWorker, round(collocatedS), nil
}
