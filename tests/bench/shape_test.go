package bench

import (
	"encoding/json"
	"os"
	"testing"
)

// checkShape asserts bench-results.json has every key of its agreed
// shape, each a number (or a string in the machine block), so runs stay
// comparable.
func checkShape(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var j map[string]any
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatalf("%s is not JSON: %v", path, err)
	}
	obj := func(m map[string]any, key string) map[string]any {
		v, ok := m[key].(map[string]any)
		if !ok {
			t.Errorf("%s: %q is not an object", path, key)
		}
		return v
	}
	nums := func(where string, m map[string]any, keys ...string) {
		for _, k := range keys {
			v, ok := m[k].(float64)
			if !ok {
				t.Errorf("%s: %s.%s is %v, want a number", path, where, k, m[k])
				continue
			}
			if v < 0 {
				t.Errorf("%s: %s.%s = %v < 0", path, where, k, v)
			}
		}
	}
	nums("baseline", obj(j, "baseline"), "sequential_rotations_per_s", "sequential_latency_ms_p50", "parallel_rotations_per_s", "parallel_goroutines")
	nums("b1", obj(j, "b1"), "p50_ms", "p95_ms", "ratio_to_baseline")
	b2 := obj(j, "b2")
	for _, st := range []string{alt, single} {
		nums("b2."+st, obj(b2, st), "secrets", "wall_s", "rotations_per_s", "ratio_to_parallel_baseline", "worker_peak_rss_mib", "actions_per_rotation",
			"writes_per_rotation", "get_random_password_per_rotation", "reads_per_rotation")
		obj(obj(b2, st), "aws_calls_per_rotation_by_action")
	}
	b3, ok := j["b3"].([]any)
	if !ok || len(b3) == 0 {
		t.Errorf("%s: b3 is not a non-empty list", path)
	}
	for _, e := range b3 {
		m, _ := e.(map[string]any)
		nums("b3[]", m, "secrets", "rotations_per_s", "worker_peak_rss_mib")
	}
	b4 := obj(j, "b4")
	for _, k := range []string{alt, single, "single-user-no-retry"} {
		nums("b4."+k, obj(b4, k), "attempts", "first_try_auth_failures", "failures_after_retry")
	}
	for _, k := range clientKinds {
		b4c := obj(j, "b4_"+k.key)
		b7 := obj(obj(j, "b7"), k.key)
		for _, st := range []string{alt, single} {
			nums("b4_"+k.key+"."+st, obj(b4c, st), "attempts", "first_try_auth_failures", "failures_after_retry")
			nums("b7."+k.key+"."+st, obj(b7, st), "rotations", "p50_ms", "p95_ms", "get_secret_value_per_rotation", "unserved")
		}
	}
	nums("b7", obj(j, "b7"), "check_interval_s", "poll_ms", "target_p95_ms")
	b8 := obj(j, "b8")
	for _, k := range []string{"agent", "direct_get_secret_value"} {
		nums("b8."+k, obj(b8, k), "sequential_p50_ms", "sequential_p99_ms", "concurrent_reads_per_s", "reads", "goroutines")
	}
	nums("b5", obj(j, "b5"), "p50_ms", "p95_ms")
	prov := obj(j, "provisioning")
	nums("provisioning", prov, "instances", "wait_min_delay_s", "wait_max_delay_s")
	for _, wait := range []string{waitCoalesced, waitPerInstance} {
		nums("provisioning."+wait, obj(prov, wait), "wall_s", "provision_s_p50", "rds_calls_per_instance",
			"describe_calls_per_instance", "peak_rds_calls_per_s", "peak_describe_calls_per_s")
	}
	b9 := obj(j, "b9_quota")
	nums("b9_quota", b9, "secrets", "instances", "write_budget_per_s")
	for _, k := range []string{"1", "2"} {
		w := obj(obj(b9, "by_workers"), k)
		nums("b9_quota.by_workers."+k, w, "wall_s", "rotations_per_s", "ratio_to_budget_ceiling", "quota_ceiling_rotations_per_s",
			"budget_ceiling_rotations_per_s", "writes_per_rotation", "get_random_password_per_rotation", "reads_per_rotation",
			"failed_rotations", "throttled_calls", "peak_writes_per_s", "budget_plus_bursts_per_s", "worker_peak_rss_mib")
		obj(w, "throttled_by_family")
		obj(w, "aws_calls_per_rotation_by_action")
	}
	m := obj(j, "machine")
	nums("machine", m, "cores")
	for _, k := range []string{"go", "postgres"} {
		if s, _ := m[k].(string); s == "" {
			t.Errorf("%s: machine.%s is empty", path, k)
		}
	}
}
