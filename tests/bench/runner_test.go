package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/workflows"
)

// design is how StagedRotation rotates a stage.
type design string

const (
	// designChildren: one RotateSecret child workflow per secret (six
	// activities each), the design for small stages.
	designChildren design = "one-workflow-per-secret"
	// designBatched: batches of secrets, each rotated by one activity.
	designBatched design = "batched"
)

// stageFor builds one stage of a benchmark plan.
func stageFor(name string, secrets []string, strategy activities.Strategy, d design, c config) workflows.Stage {
	st := workflows.Stage{Name: name, MaxParallel: c.Parallel}
	for _, id := range secrets {
		st.Targets = append(st.Targets, workflows.Target{SecretID: id, Strategy: strategy})
	}
	switch d {
	case designChildren:
		st.BatchSize = workflows.BatchSizeNever
	case designBatched:
		st.BatchSize = c.BatchSize
		if st.BatchSize == 0 {
			st.BatchSize = workflows.BatchSizeAuto
		}
	}
	return st
}

// fleetPlan is B2's plan: the first half of the secrets in staging, the
// rest in production; no bake, no approval, no validators.
func fleetPlan(name string, secrets []string, strategy activities.Strategy, d design, c config) workflows.Plan {
	half := len(secrets) / 2
	return workflows.Plan{Name: name, Stages: []workflows.Stage{
		stageFor("staging", secrets[:half], strategy, d, c),
		stageFor("production", secrets[half:], strategy, d, c),
	}}
}

// runResult is one measured fleet rotation (or baseline run).
type runResult struct {
	Design             string         `json:"design"`
	Strategy           string         `json:"strategy"`
	Secrets            int            `json:"secrets"`
	WallS              float64        `json:"wall_s"`
	RotationsPerS      float64        `json:"rotations_per_s"`
	WorkerPeakRSSMiB   float64        `json:"worker_peak_rss_mib,omitempty"`
	Actions            *actions       `json:"actions,omitempty"`
	ActionsPerRotation float64        `json:"actions_per_rotation,omitempty"`
	LoginsPerRotation  float64        `json:"logins_per_rotation"`
	AWSCallsPerRot     float64        `json:"aws_calls_per_rotation"`
	AWSCalls           map[string]int `json:"aws_calls"`
	CPU                cpuUse         `json:"cpu_s"`
	App                appCounts      `json:"app"`
	AppKind            appKind        `json:"app_kind"`
	AppRetry           bool           `json:"app_retry"`
	WorkflowID         string         `json:"workflow_id,omitempty"`
}

// measure wraps one run: CPU, logins, AWS calls, the simulated
// application and (for orchestrated runs) the worker's peak RSS.
func measure(ctx context.Context, s *benchStack, f *fleet, c config, secrets []string, app simApp, worker bool, accessKey string,
	run func(ctx context.Context) error) (runResult, error) {
	res := runResult{Secrets: len(secrets)}
	if worker {
		// A fresh worker per run: its peak RSS is this run's (a Go
		// process keeps the heap of an earlier, bigger run for a while).
		s.restartWorker()
	}
	s.resetAWSCalls()
	before, err := f.totalSessions(ctx, c.StatsWait)
	if err != nil {
		return res, err
	}
	stop, err := app.start(ctx)
	if err != nil {
		return res, fmt.Errorf("start the simulated application: %w", err)
	}
	cpu0 := s.cpu()
	start := time.Now()
	runErr := run(ctx)
	res.WallS = time.Since(start).Seconds()
	cpu1 := s.cpu()
	res.App = stop()
	if worker {
		res.WorkerPeakRSSMiB = peakRSSMiB(s.workerPID())
	}
	if runErr != nil {
		return res, runErr
	}
	after, err := f.totalSessions(ctx, c.StatsWait)
	if err != nil {
		return res, err
	}
	res.CPU = cpu0.to(cpu1)
	res.RotationsPerS = float64(len(secrets)) / res.WallS
	res.LoginsPerRotation = float64(after-before-res.App.Succeeded) / float64(len(secrets))
	res.AWSCalls = s.awsCalls(accessKey)
	total := 0
	for _, n := range res.AWSCalls {
		total += n
	}
	res.AWSCallsPerRot = float64(total) / float64(len(secrets))
	return res, nil
}

var appClient atomic.Pointer[secretsmanager.Client]

func appSMClient(s *benchStack) *secretsmanager.Client {
	if c := appClient.Load(); c != nil {
		return c
	}
	cfg, _ := awsConfig(s)
	cfg.Credentials = staticCreds(appAccessKey)
	c := secretsmanager.NewFromConfig(cfg)
	appClient.Store(c)
	return c
}

// appFor builds B4's simulated application of a kind over secrets (the
// agent kind through agent, which may be nil otherwise).
func appFor(kind appKind, s *benchStack, c config, secrets []string, agent *agentProc) simApp {
	ca := s.aws.Server.RDSCABundlePath()
	prop := propagationOptions{admin: s.sm, checkInterval: c.CheckInterval}
	switch kind {
	case appLibrary:
		return newLibraryApp(appSMClient(s), ca, secrets, c.AppRate, prop)
	case appAgent:
		return &agentApp{application: newApplication(agentSource{agent}, ca, secrets, c.AppRate, true), agent: agent, s: s, prop: prop}
	}
	return newApplication(newSMSource(appSMClient(s), c.AppCacheTTL), ca, secrets, c.AppRate, kind != appNoRetry)
}

var runSeq atomic.Int64

// fleetRotation runs B2's plan over secrets with the given design and
// measures it, with the simulated application of a kind.
func fleetRotation(ctx context.Context, s *benchStack, f *fleet, c config, pool string, n int, d design, kind appKind, agent *agentProc) (runResult, error) {
	secrets := f.pools[pool][:n]
	strategy := f.strategy[pool]
	id := fmt.Sprintf("bench-%s-%s-%d-%d", d, strategy, n, runSeq.Add(1))
	plan := fleetPlan(strings.ReplaceAll(id, "/", "-"), secrets, strategy, d, c)
	var runID string
	app := appFor(kind, s, c, appSecretsOf(secrets, c.AppSecrets), agent)
	res, err := measure(ctx, s, f, c, secrets, app, true, workerAccessKey, func(ctx context.Context) error {
		r, err := startPlan(ctx, s.client(), id, plan)
		if err != nil {
			return err
		}
		runID = r.GetRunID()
		return waitPlan(ctx, r, id)
	})
	res.Design, res.Strategy, res.WorkflowID = string(d), string(strategy), id
	res.AppKind, res.AppRetry = kind, kind != appNoRetry
	if err != nil {
		return res, err
	}
	a, err := countActions(ctx, s.client(), id, runID)
	if err != nil {
		return res, fmt.Errorf("count actions of %s: %w", id, err)
	}
	res.Actions = &a
	res.ActionsPerRotation = float64(a.total()) / float64(n)
	return res, checkSettled(ctx, s.sm, secrets)
}

func startPlan(ctx context.Context, c client.Client, id string, plan workflows.Plan) (client.WorkflowRun, error) {
	return c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		workflows.StagedRotation, workflows.StagedRotationInput{Plan: plan})
}

func waitPlan(ctx context.Context, r client.WorkflowRun, id string) error {
	var out workflows.StagedRotationResult
	if err := r.Get(ctx, &out); err != nil {
		return fmt.Errorf("run %s: %w", id, err)
	}
	if out.Status != workflows.StatusSucceeded {
		return fmt.Errorf("run %s: status %s: %s", id, out.Status, firstLines(out.Summary, 8))
	}
	return nil
}

func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// checkSettled asserts the invariant's cheap half on every secret of a
// run: no AWSPENDING and no credstage lease left (the simulated
// application and the tests check logins).
func checkSettled(ctx context.Context, sm *secretsmanager.Client, secrets []string) error {
	return parallelDo(ctx, len(secrets), 16, func(ctx context.Context, i int) error {
		out, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secrets[i])})
		if err != nil {
			return err
		}
		for v, labels := range out.VersionIdsToStages {
			for _, l := range labels {
				if l == "AWSPENDING" || strings.HasPrefix(l, "credstage") {
					return fmt.Errorf("secret %s: label %s left on version %s after the run", secrets[i], l, v)
				}
			}
		}
		return nil
	})
}

// baselineRun is one parallel (or sequential) baseline run, measured like
// a fleet rotation.
func baselineRun(ctx context.Context, s *benchStack, f *fleet, c config, a *activities.Activities, pool string, n, workers int) (runResult, loopResult, error) {
	secrets := f.pools[pool][:n]
	var loop loopResult
	app := appFor(appHandWritten, s, c, appSecretsOf(secrets, c.AppSecrets), nil)
	res, err := measure(ctx, s, f, c, secrets, app, false, baselineAccessKey, func(ctx context.Context) error {
		var err error
		loop, err = runLoop(ctx, a, secrets, f.strategy[pool], workers)
		return err
	})
	res.Design, res.Strategy = fmt.Sprintf("baseline-%d-goroutines", workers), string(f.strategy[pool])
	res.AppKind, res.AppRetry = appHandWritten, true
	if err == nil {
		res.RotationsPerS = loop.perSecond()
	}
	return res, loop, err
}

// latencyRun is one B1 run: one secret in staging, one in production.
// With batchSize set, the plan forces batches of that size.
func latencyRun(ctx context.Context, s *benchStack, f *fleet, k, batchSize int) (time.Duration, error) {
	secrets := f.pools[poolB1]
	strategy := f.strategy[poolB1]
	id := fmt.Sprintf("bench-b1-%d-%d", batchSize, k)
	plan := workflows.Plan{Name: id, Stages: []workflows.Stage{
		{Name: "staging", BatchSize: batchSize, Targets: []workflows.Target{{SecretID: secrets[0], Strategy: strategy}}},
		{Name: "production", BatchSize: batchSize, Targets: []workflows.Target{{SecretID: secrets[1], Strategy: strategy}}},
	}}
	start := time.Now()
	r, err := startPlan(ctx, s.client(), id, plan)
	if err != nil {
		return 0, err
	}
	if err := waitPlan(ctx, r, id); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// rollbackRun is one B5 run: a single-user secret whose stage validator
// fails after promotion. It returns the time from the failed Verify to the
// completed Rollback (credentials restored and a fresh login through
// AWSCURRENT proven), read from the secret's RotateSecret history.
func rollbackRun(ctx context.Context, s *benchStack, f *fleet, k int) (time.Duration, error) {
	secret := f.pools[poolB5][0]
	id := fmt.Sprintf("bench-b5-%d", k)
	plan := workflows.Plan{Name: id, Stages: []workflows.Stage{{
		Name:    "production",
		Targets: []workflows.Target{{SecretID: secret, Strategy: f.strategy[poolB5]}},
		Validators: []activities.Validator{{Name: "orders-canary",
			SQL: &activities.SQLProbe{Query: "SELECT count(*) FROM bench_missing_table", Expect: "0"}}},
	}}}
	r, err := startPlan(ctx, s.client(), id, plan)
	if err != nil {
		return 0, err
	}
	var out workflows.StagedRotationResult
	if err := r.Get(ctx, &out); err != nil {
		return 0, err
	}
	if out.Status != workflows.StatusRolledBack {
		return 0, fmt.Errorf("run %s: status %s, want rolled-back: %s", id, out.Status, out.Summary)
	}
	d, ok, err := activitySpan(ctx, s.client(), workflows.SecretWorkflowID(secret), "", "Verify", "Rollback")
	if err != nil || !ok {
		return 0, fmt.Errorf("run %s: no failed Verify followed by a completed Rollback in %s (%v)", id, workflows.SecretWorkflowID(secret), err)
	}
	return d, checkSettled(ctx, s.sm, []string{secret})
}

// stats is the median, min and max of repeated figures.
type stats struct {
	Median, Min, Max float64
	N                int
}

func statsOf(xs []float64) stats {
	if len(xs) == 0 {
		return stats{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stats{Median: m, Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// percentile is the nearest-rank percentile of durations, in ms.
func percentile(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(float64(len(s))*p/100+0.999999) - 1
	rank = max(0, min(rank, len(s)-1))
	return float64(s[rank].Microseconds()) / 1000
}
