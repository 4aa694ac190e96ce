package bench

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// quotaFigures is B9's block, by number of workers; nil when B9 did not
// run. Rates are medians over the runs; failures and throttled calls
// are summed, peaks the highest.
func (r *results) quotaFigures() map[string]any {
	if len(r.quota) == 0 {
		return nil
	}
	c := r.c
	q := map[string]any{"secrets": r.quota[0].Secrets, "instances": c.Instances, "strategy": alt,
		"write_budget_per_s": c.QuotaWriteRate, "target_ratio_to_budget_ceiling": 0.9,
		"measured": "one batched stage of alternating-users secrets against localaws in quota mode at AWS's rates, on a stack of its own; " +
			"k fresh workers (fixed identities), each waited on until Temporal lists exactly them and each has taken its share of --aws-write-rate; " +
			"rotations/s = secrets over the plan's wall time (start to result, leases released); calls from localaws's request log, the worker's only: " +
			"per rotation those admitted, throttled by family those refused; ceilings = the family's rate ÷ its calls per rotation (the tighter of writes and GetRandomPassword); " +
			"peak = most write-family calls sent in any one-second window; budget + bursts = budget + each worker's bucket (one second of its share); " +
			"RotateBatch per worker and the time two ran on one worker at once from the run's history (each worker's share follows the batches it runs)"}
	byWorkers := map[string]any{}
	for _, k := range c.QuotaWorkers {
		var runs []quotaResult
		for _, qr := range r.quota {
			if qr.Workers == k {
				runs = append(runs, qr)
			}
		}
		if len(runs) == 0 {
			continue
		}
		get := func(f func(quotaResult) float64) stats {
			xs := make([]float64, 0, len(runs))
			for _, x := range runs {
				xs = append(xs, f(x))
			}
			return statsOf(xs)
		}
		m := map[string]any{"workers": k, "runs": len(runs)}
		put(m, "wall_s", get(func(x quotaResult) float64 { return x.WallS }))
		put(m, "rotations_per_s", get(func(x quotaResult) float64 { return x.RotationsPerS }))
		put(m, "ratio_to_budget_ceiling", get(func(x quotaResult) float64 { return x.RatioToBudget }))
		med := slices.Clone(runs)
		slices.SortFunc(med, func(a, b quotaResult) int { return cmp.Compare(a.RotationsPerS, b.RotationsPerS) })
		mid := med[len(med)/2]
		m["writes_per_rotation"], m["get_random_password_per_rotation"], m["reads_per_rotation"] = mid.WritesPerRot, mid.RandomPerRot, mid.ReadsPerRot
		m["quota_ceiling_rotations_per_s"], m["budget_ceiling_rotations_per_s"] = mid.QuotaCeiling, mid.BudgetCeiling
		m["aws_calls_per_rotation_by_action"] = mid.CallsPerRotation
		m["logins_per_rotation"] = round(mid.LoginsPerRotation)
		m["budget_plus_bursts_per_s"] = mid.WriteLimitPerS
		m["rotate_batches_by_worker"], m["batches_collocated_s"] = mid.BatchesByWorker, mid.CollocatedS
		failed, throttled, harness, peak, rss := 0, 0, 0, 0, 0.0
		byFamily := map[string]int{}
		for _, x := range runs {
			failed += x.Failed
			throttled += x.ThrottledTotal
			harness += x.HarnessThrottled
			peak = max(peak, x.PeakWritesPerS)
			for _, v := range x.WorkerPeakRSSMiB {
				rss = max(rss, v)
			}
			for f, n := range x.Throttled {
				byFamily[f] += n
			}
		}
		m["failed_rotations"], m["throttled_calls"], m["harness_throttled_calls"] = failed, throttled, harness
		m["throttled_by_family"] = byFamily
		m["peak_writes_per_s"], m["worker_peak_rss_mib"] = peak, rss
		cpu := map[string]any{}
		n := float64(mid.Secrets)
		cpu["workers"], cpu["temporal_dev_server"], cpu["postgres"] = round(mid.CPU.Worker*1000/n), round(mid.CPU.DevServer*1000/n), round(mid.CPU.Postgres*1000/n)
		cpu["bench_process_localaws"], cpu["other_processes"] = round(mid.CPU.Bench*1000/n), round(mid.CPU.Other*1000/n)
		m["cpu_ms_per_rotation"] = cpu
		byWorkers[strconv.Itoa(k)] = m
	}
	q["by_workers"] = byWorkers
	q["runs"] = r.quota
	return q
}

// quotaRows are B9's rows of the table.
func (r *results) quotaRows() {
	q := sub(r.json, "b9_quota")
	if len(q) == 0 {
		return
	}
	byWorkers := sub(q, "by_workers")
	for _, k := range slices.Sorted(maps.Keys(byWorkers)) {
		m := sub(byWorkers, k)
		name := fmt.Sprintf("B9 %v secrets under AWS's quotas, %s worker(s), budget %v/s", q["secrets"], k, q["write_budget_per_s"])
		row := func(label, value, target, v string) {
			r.rows = append(r.rows, []string{name + ": " + label, value, "", target, v})
		}
		rng := func(key string) string {
			if num(m, "runs") < 2 {
				return ""
			}
			return fmt.Sprintf("%.4g – %.4g", num(m, key+"_min"), num(m, key+"_max"))
		}
		r.rows = append(r.rows, []string{name + ": throughput", fmt.Sprintf("%.4g rot/s", num(m, "rotations_per_s")), rng("rotations_per_s"), "", ""})
		row("ceilings, quota / budget", fmt.Sprintf("%.4g / %.4g rot/s", num(m, "quota_ceiling_rotations_per_s"), num(m, "budget_ceiling_rotations_per_s")), "", "")
		ratio := num(m, "ratio_to_budget_ceiling")
		r.rows = append(r.rows, []string{name + ": ratio to budget ceiling", fmt.Sprintf("%.3g x", ratio), rng("ratio_to_budget_ceiling"), "≥ 0.9x", verdict(ratio >= 0.9)})
		row("failed rotations", fmt.Sprint(m["failed_rotations"]), "0", verdict(num(m, "failed_rotations") == 0))
		row("throttled calls (by family)", fmt.Sprintf("%v %v", m["throttled_calls"], m["throttled_by_family"]), "", "")
		limit := num(m, "budget_plus_bursts_per_s")
		row("peak writes in 1 s / budget + bursts", fmt.Sprintf("%v / %v", m["peak_writes_per_s"], limit), "≤ budget + bursts", verdict(limit == 0 || num(m, "peak_writes_per_s") <= limit))
		row("writes / GetRandomPassword / reads per rotation", fmt.Sprintf("%v / %v / %v", m["writes_per_rotation"], m["get_random_password_per_rotation"], m["reads_per_rotation"]), "", "")
		row("RotateBatch per worker; two on one worker for", fmt.Sprintf("%v; %v s of %.4g s", m["rotate_batches_by_worker"], m["batches_collocated_s"], num(m, "wall_s")), "", "")
		row("worker peak RSS (highest worker)", fmt.Sprintf("%.4g MiB", num(m, "worker_peak_rss_mib")), "", "")
	}
}
