package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// results gathers every run and turns them into bench-results.json and the
// table. Figures are medians of the repeated runs, with _min and _max
// beside them; everything measured is kept under "runs".
type results struct {
	c         config
	runs      map[string][]runResult
	seq       map[string][]seqRun
	b1        []time.Duration
	b1Batched []time.Duration
	b5        []time.Duration
	provision []provisionResult
	quota     []quotaResult // B9
	info      map[string]any
	json      map[string]any
	rows      [][]string

	// b8Agent and b8Direct are a read through the agent and a
	// GetSecretValue straight to localaws.
	b8Agent, b8Direct readLatency
}

type seqRun struct {
	run       runResult
	latencies []time.Duration
	steps     [4][]time.Duration
}

func newResults(c config) *results {
	return &results{c: c, runs: map[string][]runResult{}, seq: map[string][]seqRun{}}
}

func (r *results) addRun(kind string, run runResult) { r.runs[kind] = append(r.runs[kind], run) }

func (r *results) addSequential(strategy string, run runResult, loop loopResult) {
	r.seq[strategy] = append(r.seq[strategy], seqRun{run, loop.latencies, loop.steps})
}

func (r *results) machine(ctx context.Context, f *fleet) {
	var pg string
	_ = f.instances[0].master.QueryRow(ctx, "SHOW server_version").Scan(&pg)
	r.info = map[string]any{"cores": runtime.NumCPU(), "go": runtime.Version(), "postgres": pg,
		"os": runtime.GOOS + "/" + runtime.GOARCH}
}

// put stores a figure as its median under key and its range beside it.
func put(m map[string]any, key string, s stats) {
	m[key] = round(s.Median)
	m[key+"_min"] = round(s.Min)
	m[key+"_max"] = round(s.Max)
}

func round(x float64) float64 {
	switch {
	case x >= 100:
		return float64(int64(x*10+0.5)) / 10
	default:
		return float64(int64(x*1000+0.5)) / 1000
	}
}

func field(runs []runResult, get func(runResult) float64) stats {
	xs := make([]float64, 0, len(runs))
	for _, r := range runs {
		xs = append(xs, get(r))
	}
	return statsOf(xs)
}

func byStrategy(runs []runResult, strategy string) []runResult {
	var out []runResult
	for _, r := range runs {
		if r.Strategy == strategy {
			out = append(out, r)
		}
	}
	return out
}

func bySize(runs []runResult, n int) []runResult {
	var out []runResult
	for _, r := range runs {
		if r.Secrets == n {
			out = append(out, r)
		}
	}
	return out
}

const (
	alt    = "alternating-users"
	single = "single-user"
)

// fleetFigures are B2's figures for one strategy and design.
func fleetFigures(runs []runResult, parallel stats) map[string]any {
	m := map[string]any{}
	if len(runs) == 0 {
		return m
	}
	m["secrets"] = runs[0].Secrets
	m["design"] = runs[0].Design
	m["runs"] = len(runs)
	put(m, "wall_s", field(runs, func(r runResult) float64 { return r.WallS }))
	rps := field(runs, func(r runResult) float64 { return r.RotationsPerS })
	put(m, "rotations_per_s", rps)
	if parallel.Median > 0 {
		put(m, "ratio_to_parallel_baseline", stats{Median: rps.Median / parallel.Median, Min: rps.Min / parallel.Median, Max: rps.Max / parallel.Median})
	}
	put(m, "worker_peak_rss_mib", field(runs, func(r runResult) float64 { return r.WorkerPeakRSSMiB }))
	put(m, "actions_per_rotation", field(runs, func(r runResult) float64 { return r.ActionsPerRotation }))
	put(m, "logins_per_rotation", field(runs, func(r runResult) float64 { return r.LoginsPerRotation }))
	put(m, "aws_calls_per_rotation", field(runs, func(r runResult) float64 { return r.AWSCallsPerRot }))
	if a := runs[len(runs)/2].Actions; a != nil {
		n := float64(runs[0].Secrets)
		m["temporal_per_rotation"] = map[string]any{
			"workflows": round(float64(a.Workflows) / n), "workflow_tasks": round(float64(a.WorkflowTasks) / n),
			"activities": round(float64(a.Activities) / n), "local_activities": round(float64(a.LocalActivities) / n),
			"history_events": round(float64(a.Events) / n), "history_bytes": round(float64(a.HistoryBytes) / n),
		}
	}
	m["cpu_ms_per_rotation"] = cpuPerRotation(runs)
	// The worker's AWS calls per rotation by action, of the median run by
	// throughput, and the kinds Secrets Manager's quotas count.
	med := slices.Clone(runs)
	slices.SortFunc(med, func(a, b runResult) int { return cmp.Compare(a.RotationsPerS, b.RotationsPerS) })
	calls := callFigures(med[len(med)/2].AWSCalls, med[len(med)/2].Secrets)
	m["aws_calls_per_rotation_by_action"] = calls.byAction
	m["writes_per_rotation"], m["get_random_password_per_rotation"], m["reads_per_rotation"] = calls.writes, calls.random, calls.reads
	return m
}

func cpuPerRotation(runs []runResult) map[string]any {
	per := func(get func(cpuUse) float64) float64 {
		return field(runs, func(r runResult) float64 { return get(r.CPU) * 1000 / float64(r.Secrets) }).Median
	}
	return map[string]any{
		"worker":                           round(per(func(c cpuUse) float64 { return c.Worker })),
		"temporal_dev_server":              round(per(func(c cpuUse) float64 { return c.DevServer })),
		"postgres":                         round(per(func(c cpuUse) float64 { return c.Postgres })),
		"bench_process_localaws_and_app":   round(per(func(c cpuUse) float64 { return c.Bench })),
		"other_processes":                  round(per(func(c cpuUse) float64 { return c.Other })),
		"machine_capacity_ms_per_rotation": round(per(func(c cpuUse) float64 { return c.Wall * float64(cores()) })),
	}
}

func appTotals(runs []runResult) map[string]any {
	var t appCounts
	for _, r := range runs {
		t.Attempts += r.App.Attempts
		t.Succeeded += r.App.Succeeded
		t.FirstTryAuthFailures += r.App.FirstTryAuthFailures
		t.FailuresAfterRetry += r.App.FailuresAfterRetry
		t.OtherErrors += r.App.OtherErrors
		if r.App.LastError != "" {
			t.LastError = r.App.LastError
		}
	}
	m := map[string]any{"attempts": t.Attempts, "first_try_auth_failures": t.FirstTryAuthFailures,
		"failures_after_retry": t.FailuresAfterRetry, "other_errors": t.OtherErrors, "runs": len(runs)}
	if t.LastError != "" {
		m["last_error"] = t.LastError
	}
	return m
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func durStats(ds []time.Duration) stats {
	xs := make([]float64, 0, len(ds))
	for _, d := range ds {
		xs = append(xs, ms(d))
	}
	return statsOf(xs)
}

// finish computes the figures of the groups that ran; main is the
// design B2-B4 report.
func (r *results) finish(main design) {
	c := r.c
	j := map[string]any{"machine": r.info}
	r.json = j
	if c.runs(groupRotation) {
		r.finishRotation(main)
	}
	if c.runs(groupClients) {
		r.finishClients()
	}
	if p := r.provisioning(); p != nil {
		j["provisioning"] = p
	}
	if q := r.quotaFigures(); q != nil {
		j["b9_quota"] = q
	}

	var all []runResult
	for _, runs := range r.runs {
		all = append(all, runs...)
	}
	j["runs"] = all
	j["config"] = map[string]any{"instances": c.Instances, "b2_secrets": c.B2Secrets, "sizes": c.Sizes, "reps": c.Reps, "b3_reps": c.B3Reps,
		"latency_runs": c.LatencyRuns, "parallel": c.Parallel, "batch_size": c.BatchSize, "seq_rotations": c.SeqRotations,
		"app_rate": c.AppRate, "app_secrets": c.AppSecrets, "check_interval_s": c.CheckInterval.Seconds(),
		"agent_reads": c.AgentReads, "agent_goroutines": c.AgentGoroutines, "only": c.Only,
		"quota_secrets": c.QuotaSecrets, "quota_reps": c.QuotaReps, "quota_workers": c.QuotaWorkers, "quota_write_rate": c.QuotaWriteRate,
		"temporal": "dev server (bin/temporal), SQLite file with journal_mode=wal, synchronous=normal; worker as its own process",
		"when":     time.Now().UTC().Format(time.RFC3339)}
	r.table(main)
}

// finishRotation computes the baselines and B1-B5.
func (r *results) finishRotation(main design) {
	c := r.c
	j := r.json

	// Baselines.
	base := map[string]any{"parallel_goroutines": c.Parallel, "by_strategy": map[string]any{}}
	parallel := map[string]stats{}
	seqP50 := map[string]stats{}
	for _, st := range []string{alt, single} {
		m := map[string]any{}
		var rps, p50 []float64
		var steps [4][]time.Duration
		for _, s := range r.seq[st] {
			rps = append(rps, s.run.RotationsPerS)
			p50 = append(p50, percentile(s.latencies, 50))
			for k := range steps {
				steps[k] = append(steps[k], s.steps[k]...)
			}
		}
		stepP50 := map[string]any{}
		for k, name := range stepNames {
			stepP50[name] = round(percentile(steps[k], 50))
		}
		m["sequential_step_ms_p50"] = stepP50
		if len(r.seq[st]) > 0 {
			m["sequential_logins_per_rotation"] = round(r.seq[st][0].run.LoginsPerRotation)
			m["sequential_aws_calls_per_rotation"] = round(r.seq[st][0].run.AWSCallsPerRot)
		}
		put(m, "sequential_rotations_per_s", statsOf(rps))
		seqP50[st] = statsOf(p50)
		put(m, "sequential_latency_ms_p50", seqP50[st])
		pr := byStrategy(r.runs["baseline-parallel"], st)
		parallel[st] = field(pr, func(r runResult) float64 { return r.RotationsPerS })
		put(m, "parallel_rotations_per_s", parallel[st])
		put(m, "parallel_logins_per_rotation", field(pr, func(r runResult) float64 { return r.LoginsPerRotation }))
		put(m, "parallel_aws_calls_per_rotation", field(pr, func(r runResult) float64 { return r.AWSCallsPerRot }))
		m["parallel_cpu_ms_per_rotation"] = cpuPerRotation(pr)
		m["parallel_app"] = appTotals(pr)
		base["by_strategy"].(map[string]any)[st] = m
	}
	// The headline baseline is alternating-users, B1's strategy; B2's
	// ratios compare each strategy with its own parallel baseline.
	for _, k := range []string{"sequential_rotations_per_s", "sequential_latency_ms_p50", "parallel_rotations_per_s"} {
		for _, suffix := range []string{"", "_min", "_max"} {
			base[k+suffix] = base["by_strategy"].(map[string]any)[alt].(map[string]any)[k+suffix]
		}
	}
	j["baseline"] = base

	// B1.
	b1 := map[string]any{"runs": len(r.b1), "p50_ms": round(percentile(r.b1, 50)), "p95_ms": round(percentile(r.b1, 95))}
	if s := durStats(r.b1); s.N > 0 {
		b1["min_ms"], b1["max_ms"] = round(s.Min), round(s.Max)
	}
	if seqP50[alt].Median > 0 {
		b1["ratio_to_baseline"] = round(percentile(r.b1, 50) / seqP50[alt].Median)
	}
	j["b1"] = b1
	if len(r.b1Batched) > 0 {
		bb := map[string]any{"runs": len(r.b1Batched), "p50_ms": round(percentile(r.b1Batched, 50)), "p95_ms": round(percentile(r.b1Batched, 95)),
			"note": "B1's plan with batchSize 1: each stage one RotateBatch and one FinishBatch instead of a RotateSecret child"}
		if seqP50[alt].Median > 0 {
			bb["ratio_to_baseline"] = round(percentile(r.b1Batched, 50) / seqP50[alt].Median)
		}
		j["b1_batched"] = bb
	}

	// B2 and B4, main design; the other design beside them.
	mainKind, otherKind, otherKey := "b2-batched", "b2-children", "b2_one_workflow_per_secret"
	if main == designChildren {
		mainKind, otherKind, otherKey = "b2-children", "b2-batched", "b2_batched"
	}
	b2, other, b4, b4other := map[string]any{}, map[string]any{}, map[string]any{}, map[string]any{}
	for _, st := range []string{alt, single} {
		b2[st] = fleetFigures(byStrategy(r.runs[mainKind], st), parallel[st])
		b4[st] = appTotals(byStrategy(r.runs[mainKind], st))
		if runs := byStrategy(r.runs[otherKind], st); len(runs) > 0 {
			other[st] = fleetFigures(runs, parallel[st])
			b4other[st] = appTotals(runs)
		}
	}
	b4["single-user-no-retry"] = appTotals(r.runs["b4-no-retry"])
	b4["application"] = map[string]any{"connections_per_s": c.AppRate, "secrets": c.AppSecrets, "cache_ttl_s": c.AppCacheTTL.Seconds(),
		"pattern": "read AWSCURRENT through a cache; on an authentication failure refresh it (waiting up to 5 s for a version other than the refused one) and retry once (tests/bench/app_test.go; b4_library is client/pgsecret's)"}
	j["b2"], j["b4"] = b2, b4
	if len(other) > 0 {
		j[otherKey] = other
		j[strings.Replace(otherKey, "b2", "b4", 1)] = b4other
	}

	// B3.
	var b3 []map[string]any
	for _, n := range c.Sizes {
		runs := bySize(r.runs[fmt.Sprintf("b3-%d", n)], n)
		if n == c.B2Secrets {
			runs = byStrategy(r.runs[mainKind], alt)
		}
		m := map[string]any{"secrets": n}
		put(m, "rotations_per_s", field(runs, func(r runResult) float64 { return r.RotationsPerS }))
		put(m, "worker_peak_rss_mib", field(runs, func(r runResult) float64 { return r.WorkerPeakRSSMiB }))
		put(m, "wall_s", field(runs, func(r runResult) float64 { return r.WallS }))
		put(m, "actions_per_rotation", field(runs, func(r runResult) float64 { return r.ActionsPerRotation }))
		put(m, "logins_per_rotation", field(runs, func(r runResult) float64 { return r.LoginsPerRotation }))
		m["cpu_ms_per_rotation"] = cpuPerRotation(runs)
		b3 = append(b3, m)
	}
	j["b3"] = b3

	// B5.
	b5 := map[string]any{"runs": len(r.b5), "p50_ms": round(percentile(r.b5, 50)), "p95_ms": round(percentile(r.b5, 95)),
		"strategy": single, "measured": "failed Verify to completed Rollback (restored, fresh login through AWSCURRENT) in the secret's history"}
	if s := durStats(r.b5); s.N > 0 {
		b5["min_ms"], b5["max_ms"] = round(s.Min), round(s.Max)
	}
	j["b5"] = b5
}

func num(m map[string]any, k string) float64 {
	switch v := m[k].(type) {
	case float64:
		return v
	case int:
		return float64(v)
	case int64:
		return float64(v)
	}
	return 0
}

func sub(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, _ := m[k].(map[string]any)
		m = next
	}
	return m
}

// table builds the rows printed after the run.
func (r *results) table(main design) {
	j := r.json
	row := func(name string, m map[string]any, key, unit, target string, ok *bool) {
		if m == nil {
			return
		}
		v, lo, hi := num(m, key), num(m, key+"_min"), num(m, key+"_max")
		rng := ""
		if _, has := m[key+"_min"]; has {
			rng = fmt.Sprintf("%.4g – %.4g", lo, hi)
		}
		verdict := ""
		if ok != nil {
			verdict = map[bool]string{true: "met", false: "MISSED"}[*ok]
		}
		r.rows = append(r.rows, []string{name, fmt.Sprintf("%.4g %s", v, unit), rng, target, verdict})
	}
	b := func(v bool) *bool { return &v }
	base := sub(j, "baseline")
	row("baseline sequential (alt.)", base, "sequential_rotations_per_s", "rot/s", "", nil)
	row("baseline sequential latency p50", base, "sequential_latency_ms_p50", "ms", "", nil)
	row(fmt.Sprintf("baseline parallel (%d gor., alt.)", r.c.Parallel), base, "parallel_rotations_per_s", "rot/s", "", nil)
	row(fmt.Sprintf("baseline parallel (%d gor., single)", r.c.Parallel), sub(base, "by_strategy", single), "parallel_rotations_per_s", "rot/s", "", nil)
	b1 := sub(j, "b1")
	row("B1 latency p50 (2 stages)", b1, "p50_ms", "ms", "", nil)
	row("B1 latency p95", b1, "p95_ms", "ms", "", nil)
	row("B1 ratio to sequential p50", b1, "ratio_to_baseline", "x", "≤ 10x", b(num(b1, "ratio_to_baseline") <= 10))
	if bb := sub(j, "b1_batched"); len(bb) > 0 {
		row("B1 batched (batchSize 1) p50", bb, "p50_ms", "ms", "", nil)
		row("B1 batched ratio to sequential p50", bb, "ratio_to_baseline", "x", "≤ 10x", b(num(bb, "ratio_to_baseline") <= 10))
	}
	for _, key := range []string{"b2", "b2_one_workflow_per_secret", "b2_batched"} {
		for _, st := range []string{alt, single} {
			m := sub(j, key, st)
			if len(m) == 0 {
				continue
			}
			name := fmt.Sprintf("B2 %s %s, %v secrets", m["design"], st, m["secrets"])
			row(name+": wall", m, "wall_s", "s", "", nil)
			row(name+": throughput", m, "rotations_per_s", "rot/s", "", nil)
			row(name+": ratio to parallel", m, "ratio_to_parallel_baseline", "x", "≥ 0.7x", b(num(m, "ratio_to_parallel_baseline") >= 0.7))
			row(name+": worker peak RSS", m, "worker_peak_rss_mib", "MiB", "", nil)
			row(name+": Temporal actions/rotation", m, "actions_per_rotation", "", "", nil)
			row(name+": fresh logins/rotation", m, "logins_per_rotation", "", "1", b(num(m, "logins_per_rotation") < 1.05))
			r.rows = append(r.rows, []string{name + ": writes / GetRandomPassword / reads per rotation",
				fmt.Sprintf("%v / %v / %v", m["writes_per_rotation"], m["get_random_password_per_rotation"], m["reads_per_rotation"]), "", "", ""})
		}
	}
	b3, _ := j["b3"].([]map[string]any)
	for _, m := range b3 {
		row(fmt.Sprintf("B3 %v secrets", m["secrets"]), m, "rotations_per_s", "rot/s", "", nil)
		row(fmt.Sprintf("B3 %v secrets: worker peak RSS", m["secrets"]), m, "worker_peak_rss_mib", "MiB", "", nil)
	}
	if len(b3) >= 2 {
		first, last := num(b3[0], "rotations_per_s"), num(b3[len(b3)-1], "rotations_per_s")
		ratio := map[string]any{"r": last / first}
		row(fmt.Sprintf("B3 rot/s at %v ÷ at %v", b3[len(b3)-1]["secrets"], b3[0]["secrets"]), ratio, "r", "x", "≥ 0.8x", b(last/first >= 0.8))
		rss := num(b3[len(b3)-1], "worker_peak_rss_mib")
		row(fmt.Sprintf("worker peak RSS at %v secrets", b3[len(b3)-1]["secrets"]), b3[len(b3)-1], "worker_peak_rss_mib", "MiB", "< 150 MiB", b(rss < 150))
	}
	b4 := sub(j, "b4")
	for _, k := range []string{alt, single, "single-user-no-retry"} {
		m := sub(b4, k)
		if len(m) == 0 {
			continue
		}
		r.rows = append(r.rows, []string{fmt.Sprintf("B4 %s: attempts / first-try auth failures / after retry", k),
			fmt.Sprintf("%v / %v / %v", m["attempts"], m["first_try_auth_failures"], m["failures_after_retry"]), "",
			map[bool]string{true: "0 after retry", false: "(shows the need)"}[k != "single-user-no-retry"],
			map[bool]string{true: verdict(num(m, "failures_after_retry") == 0 && num(m, "other_errors") == 0), false: ""}[k != "single-user-no-retry"]})
	}
	b5 := sub(j, "b5")
	row("B5 rollback p50", b5, "p50_ms", "ms", "", nil)
	row("B5 rollback p95", b5, "p95_ms", "ms", "", nil)
	if p := sub(j, "provisioning"); len(p) > 0 {
		for _, wait := range []string{waitCoalesced, waitPerInstance} {
			m := sub(p, wait)
			name := fmt.Sprintf("B6 provisioning K=%v at once, %s wait", p["instances"], wait)
			row(name+": RDS calls/instance", m, "rds_calls_per_instance", "", "", nil)
			row(name+": DescribeDBInstances/instance", m, "describe_calls_per_instance", "", "", nil)
			row(name+": peak RDS calls/s", m, "peak_rds_calls_per_s", "/s", "", nil)
			row(name+": peak DescribeDBInstances/s", m, "peak_describe_calls_per_s", "/s", "", nil)
			row(name+": provision p50", m, "provision_s_p50", "s", "", nil)
		}
	}
	r.clientRows()
	r.quotaRows()
}

func verdict(ok bool) string { return map[bool]string{true: "met", false: "MISSED"}[ok] }

// print writes the table.
func (r *results) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tmedian\tmin – max\ttarget\t")
	fmt.Fprintln(tw, "------\t------\t---------\t------\t")
	for _, row := range r.rows {
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	_ = tw.Flush()
	m := sub(r.json, "machine")
	fmt.Fprintf(w, "machine: %v cores, %v, PostgreSQL %v\n", m["cores"], m["go"], m["postgres"])
}

func (r *results) write(path string) error {
	b, err := json.MarshalIndent(r.json, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// provisioning is B6's block: K instances provisioned at once with each
// kind of availability wait; nil when B6 did not run.
func (r *results) provisioning() map[string]any {
	if len(r.provision) == 0 {
		return nil
	}
	p := map[string]any{"instances": r.provision[0].Instances, "wait_min_delay_s": r.provision[0].WaitMinDelayS,
		"wait_max_delay_s": r.provision[0].WaitMaxDelayS,
		"measured":         "ProvisionDatabase runs started together on a fresh worker; the worker's RDS calls from localaws's request log; peak = most calls in any one-second window"}
	for _, pr := range r.provision {
		p[pr.Wait] = map[string]any{"wall_s": round(pr.WallS), "provision_s_p50": round(pr.ProvisionSP50), "provision_s_max": round(pr.ProvisionSMax),
			"rds_calls_per_instance": round(pr.RDSCallsPerInst), "describe_calls_per_instance": round(pr.DescribePerInst),
			"peak_rds_calls_per_s": pr.PeakRDSCallsPerS, "peak_describe_calls_per_s": pr.PeakDescribePerS, "rds_calls": pr.RDSCalls}
	}
	return p
}
