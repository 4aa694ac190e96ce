package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/client/secretcache"
)

// config sizes one benchmark run. fullConfig is what `make bench` runs;
// smallConfig is the harness check `make test` runs (a few secrets, no
// timing asserted). Every figure can be shrunk or grown with the
// CREDSTAGE_BENCH_* variables listed in scripts/bench.sh.
type config struct {
	Instances    int     // RDS instances the fleet spreads over
	B2Secrets    int     // B2 fleet size, half staging, half production
	Sizes        []int   // B3 fleet sizes
	Reps         int     // repeated runs per figure (median, min, max)
	B3Reps       int     // repeated runs per B3 size other than B2's
	ChildReps    int     // runs of the one-workflow-per-secret design at B2 size (0: skip)
	LatencyRuns  int     // B1 and B5 runs
	SeqRotations int     // rotations per sequential-baseline run
	Parallel     int     // baseline goroutines = the plan's maxParallel
	BatchSize    int     // the plan's batchSize for the batched design (0: the workflow's default)
	AppRate      float64 // B4: new connections per second
	AppSecrets   int     // B4: secrets the simulated application uses
	AppCacheTTL  time.Duration
	// CheckInterval is the library's and the agent's version check in
	// B4's library and agent runs, B7 and B8.
	CheckInterval time.Duration
	// AgentReads and AgentGoroutines size B8: reads per measurement, and
	// the goroutines of its concurrent half.
	AgentReads, AgentGoroutines int
	// Only, when not empty, names the groups of figures to run
	// (groupRotation, groupProvisioning, groupClients, groupQuota).
	Only []string
	// ProvisionInstances is how many instances the provisioning figure
	// creates at once (0: skip it), waiting with these delays.
	ProvisionInstances                 int
	ProvisionWaitMin, ProvisionWaitMax time.Duration
	// QuotaSecrets is B9's fleet (0: skip it), rotated in one batched
	// stage against localaws's quota mode at AWS's rates, QuotaReps times
	// with each number of workers in QuotaWorkers, sharing a write budget
	// of QuotaWriteRate calls a second.
	QuotaSecrets, QuotaReps int
	QuotaWorkers            []int
	QuotaWriteRate          float64
	// StatsWait lets PostgreSQL flush the statistics of connections just
	// closed before pg_stat_database is read (logins per rotation).
	StatsWait time.Duration
	Out       string // bench-results.json
}

func fullConfig(root string) config {
	return config{
		Instances: 4, B2Secrets: 1000, Sizes: []int{100, 1000, 5000},
		Reps: 3, B3Reps: 2, ChildReps: 1, LatencyRuns: 20, SeqRotations: 50,
		Parallel: 16, AppRate: 10, AppSecrets: 20, AppCacheTTL: time.Minute,
		CheckInterval: secretcache.DefaultCheckInterval, AgentReads: 2000, AgentGoroutines: 4,
		// ProvisionDatabase's default delays, as in production.
		ProvisionInstances: 10, ProvisionWaitMin: 2 * time.Second, ProvisionWaitMax: 30 * time.Second,
		QuotaSecrets: 2000, QuotaReps: 1, QuotaWorkers: []int{1, 2}, QuotaWriteRate: activities.DefaultWriteRate,
		StatsWait: 1200 * time.Millisecond,
		Out:       filepath.Join(root, "bench-results.json"),
	}
}

func smallConfig(dir string) config {
	return config{
		Instances: 1, B2Secrets: 6, Sizes: []int{4, 6},
		Reps: 1, B3Reps: 1, ChildReps: 1, LatencyRuns: 2, SeqRotations: 3,
		Parallel: 4, BatchSize: 2, AppRate: 10, AppSecrets: 3, AppCacheTTL: time.Minute,
		CheckInterval: time.Second, AgentReads: 100, AgentGoroutines: 2,
		ProvisionInstances: 2, ProvisionWaitMin: 200 * time.Millisecond, ProvisionWaitMax: time.Second,
		QuotaSecrets: 8, QuotaReps: 1, QuotaWorkers: []int{1, 2}, QuotaWriteRate: activities.DefaultWriteRate,
		StatsWait: 300 * time.Millisecond,
		Out:       filepath.Join(dir, "bench-results.json"),
	}
}

// fromEnv applies the CREDSTAGE_BENCH_* overrides.
func (c config) fromEnv() (config, error) {
	ints := []struct {
		name string
		dst  *int
		min  int
	}{
		{"CREDSTAGE_BENCH_INSTANCES", &c.Instances, 1},
		{"CREDSTAGE_BENCH_B2_SECRETS", &c.B2Secrets, 2},
		{"CREDSTAGE_BENCH_REPS", &c.Reps, 1},
		{"CREDSTAGE_BENCH_B3_REPS", &c.B3Reps, 1},
		{"CREDSTAGE_BENCH_CHILD_REPS", &c.ChildReps, 0},
		{"CREDSTAGE_BENCH_LATENCY_RUNS", &c.LatencyRuns, 1},
		{"CREDSTAGE_BENCH_SEQ_ROTATIONS", &c.SeqRotations, 1},
		{"CREDSTAGE_BENCH_PARALLEL", &c.Parallel, 1},
		{"CREDSTAGE_BENCH_BATCH_SIZE", &c.BatchSize, 0},
		{"CREDSTAGE_BENCH_APP_SECRETS", &c.AppSecrets, 1},
		{"CREDSTAGE_BENCH_PROVISION", &c.ProvisionInstances, 0},
		{"CREDSTAGE_BENCH_AGENT_READS", &c.AgentReads, 1},
		{"CREDSTAGE_BENCH_AGENT_GOROUTINES", &c.AgentGoroutines, 1},
		{"CREDSTAGE_BENCH_QUOTA_SECRETS", &c.QuotaSecrets, 0},
		{"CREDSTAGE_BENCH_QUOTA_REPS", &c.QuotaReps, 1},
	}
	for _, v := range ints {
		s := os.Getenv(v.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < v.min {
			return c, fmt.Errorf("%s=%q: want an integer ≥ %d", v.name, s, v.min)
		}
		*v.dst = n
	}
	if s := os.Getenv("CREDSTAGE_BENCH_SIZES"); s != "" {
		c.Sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 2 {
				return c, fmt.Errorf("CREDSTAGE_BENCH_SIZES=%q: want sizes ≥ 2, comma separated", s)
			}
			c.Sizes = append(c.Sizes, n)
		}
		slices.Sort(c.Sizes)
	}
	if s := os.Getenv("CREDSTAGE_BENCH_QUOTA_WORKERS"); s != "" {
		c.QuotaWorkers = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return c, fmt.Errorf("CREDSTAGE_BENCH_QUOTA_WORKERS=%q: want worker counts ≥ 1, comma separated", s)
			}
			c.QuotaWorkers = append(c.QuotaWorkers, n)
		}
	}
	if s := os.Getenv("CREDSTAGE_BENCH_QUOTA_WRITE_RATE"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 {
			return c, fmt.Errorf("CREDSTAGE_BENCH_QUOTA_WRITE_RATE=%q: want a number ≥ 0 (0: no budget)", s)
		}
		c.QuotaWriteRate = f
	}
	if s := os.Getenv("CREDSTAGE_BENCH_APP_RATE"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 {
			return c, fmt.Errorf("CREDSTAGE_BENCH_APP_RATE=%q: want a number ≥ 0", s)
		}
		c.AppRate = f
	}
	if s := os.Getenv("CREDSTAGE_BENCH_CHECK_INTERVAL"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 100*time.Millisecond {
			return c, fmt.Errorf("CREDSTAGE_BENCH_CHECK_INTERVAL=%q: want a duration ≥ 100ms", s)
		}
		c.CheckInterval = d
	}
	if s := os.Getenv("CREDSTAGE_BENCH_ONLY"); s != "" {
		c.Only = nil
		for _, g := range strings.Split(s, ",") {
			g = strings.TrimSpace(g)
			if !slices.Contains(groups, g) {
				return c, fmt.Errorf("CREDSTAGE_BENCH_ONLY=%q: want a comma-separated subset of %s", s, strings.Join(groups, ","))
			}
			c.Only = append(c.Only, g)
		}
	}
	if s := os.Getenv("CREDSTAGE_BENCH_OUT"); s != "" {
		c.Out = s
	}
	c.AppSecrets = min(c.AppSecrets, c.B2Secrets)
	return c, nil
}

// Groups of figures, for CREDSTAGE_BENCH_ONLY.
const (
	groupRotation     = "rotation"     // baselines, B1, B2, B3, B4 with the hand-written pattern, B5
	groupProvisioning = "provisioning" // B6
	groupClients      = "clients"      // B4 through the library and the agent, B7, B8
	groupQuota        = "quota"        // B9, on a stack of its own
)

var groups = []string{groupRotation, groupProvisioning, groupClients, groupQuota}

// runsMain says whether any figure of the main stack (every group but
// quota) is measured.
func (c config) runsMain() bool {
	return c.runs(groupRotation) || c.runs(groupProvisioning) || c.runs(groupClients)
}

// runs says whether the group's figures are measured.
func (c config) runs(group string) bool { return len(c.Only) == 0 || slices.Contains(c.Only, group) }

// poolSizes sizes the main fleet's pools.
func (c config) poolSizes() map[string]int {
	return map[string]int{poolAlt: c.poolSize(), poolSingle: c.B2Secrets, poolB1: 2, poolB5: 1}
}

// poolSize is how many secrets of one strategy the fleet needs.
func (c config) poolSize() int {
	n := c.B2Secrets
	if c.runs(groupRotation) {
		for _, s := range c.Sizes {
			n = max(n, s)
		}
	}
	return n
}
