// Package workerapp is the credstage worker: it connects to Temporal,
// registers every workflow and activity on the credstage task queue and
// serves them until its context ends, then stops gracefully, letting
// running activities finish. worker/main.go only calls Main; tests call
// Run in-process.
package workerapp

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/internal/awsconfig"
	"github.com/credstage/credstage/internal/inventory/scheduled"
	"github.com/credstage/credstage/internal/temporalconn"
	"github.com/credstage/credstage/workflows"
)

// DefaultAWSTimeout bounds one AWS request: Secrets Manager, RDS and
// CloudWatch answer in well under a second when healthy.
const DefaultAWSTimeout = 30 * time.Second

// Options configure a worker. Zero values take the defaults of the flags.
type Options struct {
	Conn temporalconn.Options

	LogFormat string    // json or text (default text)
	LogLevel  string    // debug, info, warn, error (default info)
	LogOutput io.Writer // default stderr

	// StopTimeout is how long a stopping worker lets running activities
	// finish before cancelling them (default 30s).
	StopTimeout time.Duration

	MaxConcurrentActivities      int // 0: the SDK's default
	MaxConcurrentWorkflowTasks   int
	MaxConcurrentLocalActivities int

	// MetricsAddress serves the SDK's metrics in Prometheus format on
	// /metrics; empty disables them.
	MetricsAddress string

	// DialTimeout bounds one connection attempt; ConnectWait keeps trying
	// that long (a worker started beside its server); 0 tries once.
	DialTimeout time.Duration
	ConnectWait time.Duration

	// AWSTimeout bounds one AWS HTTP request (default 30s): a call that
	// hangs is cut off and retried rather than holding its activity until
	// the activity's own timeout.
	AWSTimeout time.Duration

	// AWS is the AWS config of the activities; nil loads the default
	// chain, reading the main variables through Env.
	AWS *aws.Config
	Env func(string) string
	// Activities tune the activities (clients, timeouts, pool sizes).
	Activities activities.Options
	// Inventory tunes the inventory's activity; its Plans default to the
	// worker's own Temporal client's schedules.
	Inventory activities.InventoryOptions
	// RDSCABundle is the CA bundle file for database certificates
	// (activities.EnvRDSCABundle, read through Env when empty); ignored
	// when Activities.RDSCABundle is set.
	RDSCABundle string
	// AWSWriteRate is the deployment's Secrets Manager write budget in
	// calls a second, shared by every worker (write_share.go); 0 means
	// none. Ignored when Activities.WriteBudget is set.
	AWSWriteRate float64

	Identity string
	// Ready, when set, is called once the worker polls its task queue.
	Ready func(ReadyInfo)
}

// ReadyInfo tells a caller (a test) where the running worker listens.
type ReadyInfo struct {
	MetricsAddress string // the bound address, useful with port 0
}

// Run serves until ctx ends, then stops gracefully.
func Run(ctx context.Context, opts Options) error {
	logger, err := newLogger(opts.LogFormat, opts.LogLevel, opts.LogOutput)
	if err != nil {
		return err
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 30 * time.Second
	}
	if opts.Env == nil {
		opts.Env = os.Getenv
	}

	if opts.Activities.RDSCABundle == nil {
		path := opts.RDSCABundle
		if path == "" {
			path = opts.Env(activities.EnvRDSCABundle)
		}
		if path != "" {
			if opts.Activities.RDSCABundle, err = activities.LoadCABundle(path); err != nil {
				return &usageError{err}
			}
			logger.Info("database certificates are checked against " + path)
		}
	}

	var ready ReadyInfo
	clientOpts, err := opts.Conn.ClientOptions()
	if err != nil {
		return err
	}
	clientOpts.Logger = log.NewStructuredLogger(logger)
	if opts.MetricsAddress != "" {
		m, err := startMetrics(opts.MetricsAddress, logger)
		if err != nil {
			return err
		}
		defer m.close()
		clientOpts.MetricsHandler = m.handler
		ready.MetricsAddress = m.addr
	}
	c, err := dialWithRetry(ctx, clientOpts, opts.DialTimeout, opts.ConnectWait, logger)
	if err != nil {
		return err
	}
	defer c.Close()
	registerSearchAttributes(ctx, c, opts.Conn.Namespace, logger)

	cfg := opts.AWS
	if cfg == nil {
		loaded, err := awsconfig.Load(ctx, opts.Env)
		if err != nil {
			return err
		}
		cfg = &loaded
	}
	if opts.AWSTimeout <= 0 {
		opts.AWSTimeout = DefaultAWSTimeout
	}
	withTimeout := cfg.Copy()
	switch hc := withTimeout.HTTPClient.(type) {
	case nil:
		withTimeout.HTTPClient = awshttp.NewBuildableClient().WithTimeout(opts.AWSTimeout)
	case *awshttp.BuildableClient: // the SDK's default; a caller's own client is left alone
		withTimeout.HTTPClient = hc.WithTimeout(opts.AWSTimeout)
	}
	cfg = &withTimeout
	actOpts := opts.Activities
	if actOpts.Runs == nil {
		actOpts.Runs = runChecker{c}
	}
	if actOpts.StopTimeout == 0 {
		actOpts.StopTimeout = opts.StopTimeout
	}
	if actOpts.WriteBudget == nil && opts.AWSWriteRate > 0 {
		actOpts.WriteBudget = activities.NewWriteBudget(opts.AWSWriteRate)
	}
	acts := activities.New(*cfg, actOpts)
	defer acts.Close()
	invOpts := opts.Inventory
	if invOpts.Plans == nil {
		invOpts.Plans = scheduled.Schedules{Client: c, DataConverter: clientOpts.DataConverter}
	}
	inv := activities.NewInventory(*cfg, invOpts)

	if opts.Identity == "" {
		// The SDK's own default, set here so that the write budget's
		// share (write_share.go) can find this worker among Temporal's.
		host, _ := os.Hostname()
		opts.Identity = fmt.Sprintf("%d@%s@", os.Getpid(), host)
	}
	w := worker.New(c, workflows.TaskQueue, worker.Options{
		Identity:                                opts.Identity,
		WorkerStopTimeout:                       opts.StopTimeout,
		MaxConcurrentActivityExecutionSize:      opts.MaxConcurrentActivities,
		MaxConcurrentWorkflowTaskExecutionSize:  opts.MaxConcurrentWorkflowTasks,
		MaxConcurrentLocalActivityExecutionSize: opts.MaxConcurrentLocalActivities,
	})
	register(w, acts, inv)
	if b := actOpts.WriteBudget; b != nil {
		// The first share before the first task, so that a worker joining
		// a busy deployment never starts at the whole budget.
		if v, err := viewBudget(ctx, c); err == nil {
			b.SetShare(shareOf(v, opts.Identity))
		}
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	if actOpts.WriteBudget != nil {
		go shareWriteBudget(ctx, c, actOpts.WriteBudget, opts.Identity, logger)
	}
	encryption := "off"
	if pc, _ := opts.Conn.PayloadCodec(); pc != nil {
		encryption = "AES-256-GCM, active key " + pc.ActiveKeyID()
	}
	logger.Info("worker started", "taskQueue", workflows.TaskQueue, "namespace", opts.Conn.Namespace,
		"address", opts.Conn.Address, "metrics", ready.MetricsAddress, "payloadEncryption", encryption,
		"awsTimeout", opts.AWSTimeout, "awsWriteRate", opts.AWSWriteRate)
	if opts.Ready != nil {
		opts.Ready(ready)
	}
	<-ctx.Done()
	logger.Info("worker stopping: running activities may finish", "stopTimeout", opts.StopTimeout)
	w.Stop() // blocks until activities finish or StopTimeout passes
	logger.Info("worker stopped")
	return nil
}

// register puts every workflow and activity of credstage on the worker.
func register(w worker.Worker, acts *activities.Activities, inv *activities.Inventory) {
	for _, wf := range workflows.Workflows() { // StagedRotation, RotateSecret, RollbackSecret, RevokeSecret, ProvisionDatabase, Inventory
		w.RegisterWorkflow(wf)
	}
	w.RegisterActivityWithOptions(acts, activities.RegisterOptions)
	w.RegisterActivity(inv)
}

// dialWithRetry connects, trying again until wait has passed: a worker
// started together with its server (docker compose) should not need a
// restart loop to find it.
func dialWithRetry(ctx context.Context, opts client.Options, timeout, wait time.Duration, logger *slog.Logger) (client.Client, error) {
	deadline := time.Now().Add(wait)
	backoff := 500 * time.Millisecond
	for {
		c, err := temporalconn.Dial(ctx, opts, timeout)
		if err == nil {
			return c, nil
		}
		if time.Now().Add(backoff).After(deadline) || ctx.Err() != nil {
			return nil, err
		}
		logger.Warn("Temporal not reachable yet; retrying", "error", err.Error(), "in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil, err
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}
