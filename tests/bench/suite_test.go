package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/credstage/credstage/activities"
)

// suite runs every benchmark, side by side on one stack, and
// collects the figures.
type suite struct {
	tb     testing.TB
	c      config
	cliBin string // the credstage command, for its agent
	// workerBin is the worker, started by each stack.
	workerBin string
	s         *benchStack
	f         *fleet
	out       io.Writer
	res       *results
	start     time.Time
}

func (su *suite) logf(format string, args ...any) {
	fmt.Fprintf(su.out, "[%6.1fs] %s\n", time.Since(su.start).Seconds(), fmt.Sprintf(format, args...))
}

// designs returns the designs to measure: CREDSTAGE_BENCH_DESIGNS, a
// comma-separated subset of children and batched (default both).
func designs() (children, batched bool) {
	v := os.Getenv("CREDSTAGE_BENCH_DESIGNS")
	if v == "" {
		return true, true
	}
	for _, d := range strings.Split(v, ",") {
		switch strings.TrimSpace(d) {
		case "children":
			children = true
		case "batched":
			batched = true
		}
	}
	return children, batched
}

func runSuite(tb testing.TB, c config, workerBin, cliBin string, out io.Writer) *results {
	// The baselines call the step functions outside any activity, where
	// they log through slog's default logger: keep that quiet.
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Hour)
	tb.Cleanup(cancel)
	su := &suite{tb: tb, c: c, workerBin: workerBin, cliBin: cliBin, out: out, start: time.Now(), res: newResults(c)}
	su.logf("config %+v", c)
	children, batched := designs()
	main := designBatched
	if !batched {
		main = designChildren
	}
	if c.runsMain() {
		su.mainStack(ctx, main, children, batched)
	}
	if c.runs(groupQuota) {
		su.quota(ctx)
	}
	su.res.finish(main)
	return su.res
}

// mainStack measures every figure but B9 on one stack, without quotas.
func (su *suite) mainStack(ctx context.Context, main design, children, batched bool) {
	tb, c := su.tb, su.c
	su.s = startBenchStack(tb, su.workerBin, stackOptions{})
	su.logf("stack up: dev server %s (SQLite %s), localaws %s, worker pid %d", su.s.temporal.Address, su.s.temporal.DBFile, su.s.aws.URL, su.s.workerPID())
	f, err := setupFleet(ctx, su.s, c, c.poolSizes())
	if err != nil {
		tb.Fatalf("fleet setup: %v", err)
	}
	tb.Cleanup(func() { f.close(context.Background()) })
	su.f = f
	su.logf("fleet ready: %d instances, %d alternating-users and %d single-user secrets", c.Instances, len(f.pools[poolAlt]), len(f.pools[poolSingle]))
	su.res.machine(ctx, f)
	su.res.info["localaws_data"] = "ephemeral folder on disk"
	if su.s.awsDir != "" {
		su.res.info["localaws_data"] = su.s.awsDir + " (see localAWSOptions)"
	}

	cfg, err := awsConfig(su.s)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Credentials = staticCreds(baselineAccessKey)
	bundle, err := activities.LoadCABundle(su.s.aws.Server.RDSCABundlePath())
	if err != nil {
		tb.Fatal(err)
	}
	base := activities.New(cfg, activities.Options{RDSCABundle: bundle})
	tb.Cleanup(base.Close)

	rotation := c.runs(groupRotation)
	if rotation {
		su.baselines(ctx, base)
		// B1 and B5 run beside the sequential baseline they are compared
		// with, before the fleet runs have grown localaws's state.
		su.res.b1 = su.latency(ctx, 0)
		if batched {
			su.res.b1Batched = su.latency(ctx, 1)
		}
		su.rollback(ctx)
		// Baseline and batched runs alternate, so both meet the same
		// emulator state (every rotation adds a secret version to
		// localaws).
		for _, pool := range []string{poolAlt, poolSingle} {
			strategy := string(f.strategy[pool])
			for rep := range c.Reps {
				r, _, err := baselineRun(ctx, su.s, f, c, base, pool, c.B2Secrets, c.Parallel)
				su.must(err, "parallel baseline %s", strategy)
				su.logf("baseline parallel %s rep %d: %.1f rotations/s (%.2f logins/rotation), cpu s: postgres %.1f, bench %.1f, other processes %.1f over %.1fs",
					strategy, rep+1, r.RotationsPerS, r.LoginsPerRotation, r.CPU.Postgres, r.CPU.Bench, r.CPU.Other, r.CPU.Wall)
				su.res.addRun("baseline-parallel", r)
				if batched {
					su.fleet(ctx, "b2-batched", pool, c.B2Secrets, designBatched, appHandWritten, rep)
				}
			}
		}
		su.fleet(ctx, "b4-no-retry", poolSingle, c.B2Secrets, main, appNoRetry, 0)
	}
	if c.runs(groupClients) {
		su.clients(ctx, main)
	}
	if rotation {
		for rep := range c.B3Reps {
			for _, n := range c.Sizes {
				if n != c.B2Secrets { // B2's runs are B3's at its size
					su.fleet(ctx, fmt.Sprintf("b3-%d", n), poolAlt, n, main, appHandWritten, rep)
				}
			}
		}
		// The one-workflow-per-secret runs come last: they leave a
		// closed rotate/<secret> workflow per secret behind, which every
		// later batched create would look up.
		if children {
			for rep := range c.ChildReps {
				for _, pool := range []string{poolAlt, poolSingle} {
					su.fleet(ctx, "b2-children", pool, c.B2Secrets, designChildren, appHandWritten, rep)
				}
			}
		}
	}
	if c.runs(groupProvisioning) {
		su.provisioning(ctx)
	}
	// B9 runs on a stack of its own: this one's worker stops, leaving
	// the machine to it.
	su.s.stopWorker()
}

// clients measures what applications see: B8, a cached read through
// `credstage agent` beside a GetSecretValue, while nothing rotates; then
// B4 with the application written with the library and through the
// agent, during B2's fleet rotation of each strategy, and B7, how soon
// each reads a new version.
func (su *suite) clients(ctx context.Context, main design) {
	c := su.c
	ag, err := startAgent(su.s, su.cliBin, c.CheckInterval)
	su.must(err, "credstage agent")
	defer ag.stop()
	secret := su.f.pools[poolAlt][0]
	a, d, err := agentLatency(ctx, ag, appSMClient(su.s), secret, c.AgentReads, c.AgentGoroutines)
	su.must(err, "B8")
	su.res.b8Agent, su.res.b8Direct = a, d
	su.logf("B8 agent (check every %v): p50 %.3f ms, p99 %.3f ms, %.0f reads/s on %d goroutines; GetSecretValue to localaws: p50 %.3f ms, p99 %.3f ms, %.0f reads/s",
		c.CheckInterval, a.P50MS, a.P99MS, a.ReadsPerS, a.Goroutines, d.P50MS, d.P99MS, d.ReadsPerS)
	for rep := range c.Reps {
		for _, kind := range []appKind{appLibrary, appAgent} {
			for _, pool := range []string{poolAlt, poolSingle} {
				r := su.fleetWith(ctx, "b4-"+string(kind), pool, c.B2Secrets, main, kind, ag, rep)
				if rd := r.App.Reads; rd != nil {
					ds := make([]time.Duration, 0, len(rd.PropagationMS))
					for _, x := range rd.PropagationMS {
						ds = append(ds, time.Duration(x*float64(time.Millisecond)))
					}
					su.logf("    B7 %s %s: %d rotations, promote to first read p50 %.0f ms, p95 %.0f ms, %d unserved; GetSecretValue %d (AWSPENDING %d), DescribeSecret %d",
						kind, r.Strategy, rd.Rotations, percentile(ds, 50), percentile(ds, 95), rd.Unserved, rd.GetSecretValue, rd.PendingReads, rd.Describes)
				}
			}
		}
	}
}

// provisioning is B6: c.ProvisionInstances instances provisioned at once,
// with the worker's shared availability wait and then with one poller per
// instance, each run on a fresh worker.
func (su *suite) provisioning(ctx context.Context) {
	if su.c.ProvisionInstances == 0 {
		return
	}
	for _, wait := range []string{waitCoalesced, waitPerInstance} {
		r, err := provisionFleet(ctx, su.s, su.c, wait)
		su.must(err, "B6 %s, %d instances", wait, su.c.ProvisionInstances)
		su.logf("B6 provisioning K=%d at once, %s wait (MinDelay %gs, MaxDelay %gs): %.1fs, provision p50 %.1fs, %.2f RDS calls/instance (%.2f DescribeDBInstances), peak %d RDS calls/s (%d DescribeDBInstances/s), calls %v",
			r.Instances, wait, r.WaitMinDelayS, r.WaitMaxDelayS, r.WallS, r.ProvisionSP50, r.RDSCallsPerInst, r.DescribePerInst, r.PeakRDSCallsPerS, r.PeakDescribePerS, r.RDSCalls)
		su.res.provision = append(su.res.provision, r)
	}
}

func (su *suite) must(err error, format string, args ...any) {
	if err != nil {
		su.tb.Fatalf("%s: %v", fmt.Sprintf(format, args...), err)
	}
}

func (su *suite) fleet(ctx context.Context, kind, pool string, n int, d design, app appKind, rep int) {
	su.fleetWith(ctx, kind, pool, n, d, app, nil, rep)
}

// fleetWith is fleet with the agent the application may read through.
func (su *suite) fleetWith(ctx context.Context, kind, pool string, n int, d design, app appKind, agent *agentProc, rep int) runResult {
	r, err := fleetRotation(ctx, su.s, su.f, su.c, pool, n, d, app, agent)
	su.must(err, "%s %s %d secrets", kind, pool, n)
	counts := r.App
	counts.Reads = nil // B7's figures have a line of their own
	su.logf("%s %s %s n=%d rep %d: %.1fs, %.1f rotations/s, %.3f actions/rotation, %.2f logins/rotation, %.1f AWS calls/rotation, RSS %.0f MiB, app %+v",
		kind, d, r.Strategy, n, rep+1, r.WallS, r.RotationsPerS, r.ActionsPerRotation, r.LoginsPerRotation, r.AWSCallsPerRot, r.WorkerPeakRSSMiB, counts)
	su.logf("    cpu s: worker %.1f, dev server %.1f, postgres %.1f, bench+localaws+app %.1f, other processes %.1f over %.1fs wall",
		r.CPU.Worker, r.CPU.DevServer, r.CPU.Postgres, r.CPU.Bench, r.CPU.Other, r.CPU.Wall)
	su.res.addRun(kind, r)
	return r
}

func (su *suite) baselines(ctx context.Context, base *activities.Activities) {
	quiet := su.c
	quiet.AppRate = 0
	for _, pool := range []string{poolAlt, poolSingle} {
		n := min(su.c.SeqRotations, len(su.f.pools[pool]))
		for rep := range su.c.Reps {
			r, loop, err := baselineRun(ctx, su.s, su.f, quiet, base, pool, n, 1)
			su.must(err, "sequential baseline")
			su.res.addSequential(string(su.f.strategy[pool]), r, loop)
			su.logf("baseline sequential %s rep %d: %.1f rotations/s, p50 %.1f ms (%.2f logins/rotation, %.1f AWS calls/rotation)",
				r.Strategy, rep+1, r.RotationsPerS, percentile(loop.latencies, 50), r.LoginsPerRotation, r.AWSCallsPerRot)
		}
	}
}

// latency runs B1; batchSize 1 forces the batched path on its 1-secret
// stages (0: the plan's default, a RotateSecret child each).
func (su *suite) latency(ctx context.Context, batchSize int) []time.Duration {
	var ds []time.Duration
	for k := range su.c.LatencyRuns {
		d, err := latencyRun(ctx, su.s, su.f, k, batchSize)
		su.must(err, "B1 run %d", k)
		ds = append(ds, d)
	}
	su.logf("B1 (batchSize %d): p50 %.0f ms, p95 %.0f ms over %d runs", batchSize, percentile(ds, 50), percentile(ds, 95), len(ds))
	return ds
}

func (su *suite) rollback(ctx context.Context) {
	var ds []time.Duration
	for k := range su.c.LatencyRuns {
		d, err := rollbackRun(ctx, su.s, su.f, k)
		su.must(err, "B5 run %d", k)
		ds = append(ds, d)
	}
	su.res.b5 = ds
	su.logf("B5: p50 %.0f ms, p95 %.0f ms over %d runs", percentile(ds, 50), percentile(ds, 95), len(ds))
}

func cores() int { return runtime.NumCPU() }
