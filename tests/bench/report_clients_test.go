package bench

import (
	"fmt"
	"time"
)

// clientKinds are B4's applications measured by the clients group, with
// their JSON keys.
var clientKinds = []struct {
	kind appKind
	key  string
}{{appLibrary, "library"}, {appAgent, "agent"}}

// finishClients computes B4 through the library and the agent, B7 and B8.
func (r *results) finishClients() {
	c := r.c
	j := r.json
	b7 := map[string]any{"check_interval_s": c.CheckInterval.Seconds(), "poll_ms": ms(propagationPoll),
		"target_p95_ms": ms(c.CheckInterval + time.Second),
		"measured": fmt.Sprintf("during B4's library and agent runs: each of the application's secrets polled every %v with DescribeSecret as admin, "+
			"the promote taken at the send of the last poll still showing the old AWSCURRENT (the earliest it can be, so figures overstate by up to one poll and one call); "+
			"a read every %v through the application's cache (library) or the agent, the first returning the new version ends the span. "+
			"GetSecretValue per rotation: the application's cache's calls (library, AWSPENDING reads included) or the agent's (localaws's request log) during the run, "+
			"over the application's secrets rotated, each once per run", propagationPoll, propagationPoll)}
	for _, k := range clientKinds {
		runs := r.runs["b4-"+string(k.kind)]
		b4 := map[string]any{}
		prop := map[string]any{}
		var all []time.Duration
		for _, st := range []string{alt, single} {
			byS := byStrategy(runs, st)
			if len(byS) == 0 {
				continue
			}
			b4[st] = appTotals(byS)
			m, ds := readFigures(byS)
			prop[st] = m
			all = append(all, ds...)
		}
		if len(b4) == 0 {
			continue
		}
		b4["application"] = map[string]any{"connections_per_s": c.AppRate, "secrets": c.AppSecrets,
			"check_interval_s": c.CheckInterval.Seconds(), "pattern": clientPattern[k.kind]}
		j["b4_"+k.key] = b4
		prop["both_strategies"] = map[string]any{"rotations": len(all), "p50_ms": round(percentile(all, 50)), "p95_ms": round(percentile(all, 95))}
		b7[k.key] = prop
	}
	j["b7"] = b7
	if r.b8Agent.Reads > 0 {
		j["b8"] = map[string]any{"check_interval_s": c.CheckInterval.Seconds(), "agent": r.b8Agent, "direct_get_secret_value": r.b8Direct,
			"measured": "one secret read while nothing rotates: n reads in a row (latency), then n on the goroutines (throughput), after 20 unmeasured; " +
				"agent: GET /secretsmanager/get to `credstage agent` as its own process, answer decoded, cached (a version check every check interval); " +
				"direct: the SDK's GetSecretValue to localaws, which runs inside the bench process (real Secrets Manager is a network round trip away)"}
	}
}

var clientPattern = map[appKind]string{
	appLibrary: "one secretcache.Cache per process, every connection through pgsecret.Connect (re-check, AWSPENDING once, AWSCURRENT with backoff for up to 30 s); " +
		"a first try counts as refused when Connect called Secrets Manager although the application had just read the secret from the cache (tests/bench/app_library_test.go)",
	appAgent: "every connection reads the secret from `credstage agent`; on an authentication failure it reads again with refreshNow=true " +
		"(waiting up to 5 s for a version other than the refused one) and retries once (tests/bench/agent_test.go)",
}

// readFigures are B7's figures for one strategy's runs, and the spans.
func readFigures(runs []runResult) (map[string]any, []time.Duration) {
	var ds []time.Duration
	var rotations, unserved int
	var gsv, pending, describes int64
	for _, r := range runs {
		rd := r.App.Reads
		if rd == nil {
			continue
		}
		rotations += rd.Rotations
		unserved += rd.Unserved
		gsv += rd.GetSecretValue
		pending += rd.PendingReads
		describes += rd.Describes
		for _, x := range rd.PropagationMS {
			ds = append(ds, time.Duration(x*float64(time.Millisecond)))
		}
	}
	m := map[string]any{"rotations": rotations, "unserved": unserved, "runs": len(runs),
		"p50_ms": round(percentile(ds, 50)), "p95_ms": round(percentile(ds, 95)),
		"get_secret_value": gsv, "pending_reads": pending, "describes": describes}
	if s := durStats(ds); s.N > 0 {
		m["min_ms"], m["max_ms"] = round(s.Min), round(s.Max)
	}
	if rotations > 0 {
		m["get_secret_value_per_rotation"] = round(float64(gsv) / float64(rotations))
		m["pending_reads_per_rotation"] = round(float64(pending) / float64(rotations))
	}
	return m, ds
}

// clientRows are the table's rows of the clients group.
func (r *results) clientRows() {
	j := r.json
	for _, k := range clientKinds {
		b4 := sub(j, "b4_"+k.key)
		for _, st := range []string{alt, single} {
			m := sub(b4, st)
			if len(m) == 0 {
				continue
			}
			r.rows = append(r.rows, []string{fmt.Sprintf("B4 %s %s: attempts / first-try auth failures / after retry", k.key, st),
				fmt.Sprintf("%v / %v / %v", m["attempts"], m["first_try_auth_failures"], m["failures_after_retry"]), "",
				"0 after retry", verdict(num(m, "failures_after_retry") == 0 && num(m, "other_errors") == 0)})
		}
	}
	b7 := sub(j, "b7")
	target := num(b7, "target_p95_ms")
	for _, k := range clientKinds {
		for _, st := range []string{alt, single} {
			m := sub(b7, k.key, st)
			if len(m) == 0 {
				continue
			}
			name := fmt.Sprintf("B7 %s %s (check every %gs)", k.key, st, num(b7, "check_interval_s"))
			r.rows = append(r.rows, []string{name + ": promote to first read p50 / p95",
				fmt.Sprintf("%.0f / %.0f ms", num(m, "p50_ms"), num(m, "p95_ms")), fmt.Sprintf("%.0f – %.0f", num(m, "min_ms"), num(m, "max_ms")),
				fmt.Sprintf("p95 ≤ %.0f ms", target), verdict(num(m, "p95_ms") <= target && num(m, "unserved") == 0 && num(m, "rotations") > 0)})
			r.rows = append(r.rows, []string{name + ": GetSecretValue per rotation (AWSPENDING)",
				fmt.Sprintf("%.2f (%.2f)", num(m, "get_secret_value_per_rotation"), num(m, "pending_reads_per_rotation")), "",
				"≤ 1.1", verdict(num(m, "get_secret_value_per_rotation") <= 1.1)})
		}
	}
	b8 := sub(j, "b8")
	if len(b8) == 0 {
		return
	}
	for _, w := range []struct {
		name string
		l    readLatency
	}{{"B8 agent cached read", r.b8Agent}, {"B8 GetSecretValue to localaws", r.b8Direct}} {
		r.rows = append(r.rows, []string{w.name + ": p50 / p99", fmt.Sprintf("%.3f / %.3f ms", w.l.P50MS, w.l.P99MS), "", "", ""},
			[]string{fmt.Sprintf("%s: %d goroutines", w.name, w.l.Goroutines), fmt.Sprintf("%.0f reads/s", w.l.ReadsPerS), "", "", ""})
	}
}
