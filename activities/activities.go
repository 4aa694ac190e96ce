package activities

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"golang.org/x/time/rate"
)

// Options tune an Activities. Every field is optional: nil clients are built
// from the aws.Config given to New, a nil Connector is the pgx one.
type Options struct {
	SecretsManager SecretsManagerAPI
	RDS            RDSAPI
	CloudWatch     CloudWatchAPI
	Connector      Connector
	// HTTPClient runs the HTTP validators (each bounded by its own timeout).
	HTTPClient *http.Client
	// ConnectTimeout bounds one PostgreSQL connection attempt (default 10s).
	ConnectTimeout time.Duration
	// RDSCABundle is what database certificates are checked against when
	// a secret has no sslrootcert (EnvRDSCABundle); nil: the system's roots.
	RDSCABundle *CABundle
	// MasterPoolSize is the most connections one instance's master pool
	// opens (default 2): role changes are short and serialised per secret.
	MasterPoolSize int32
	// MetricsAttempts and MetricsBackoff bound how long PublishMetrics keeps
	// trying one batch while CloudWatch fails (default 4 tries, 500ms
	// doubling): metrics never hold up a rotation for long.
	MetricsAttempts int
	MetricsBackoff  time.Duration
	// OutcomeTagRate bounds the TagResource calls that record outcomes
	// (activities/outcomes.go), per second and worker (default 20): AWS
	// allows 50 a second per account, shared with every other tagger.
	OutcomeTagRate float64
	// MasterAuthWindow and MasterAuthBackoff bound how long a refused
	// master login keeps re-reading the master secret before it is final
	// (default 2 minutes, 1s doubling; negative: no wait); see
	// master_window.go.
	MasterAuthWindow  time.Duration
	MasterAuthBackoff time.Duration
	// Runs tells whether the run holding a secret's lease is still open
	// (lease.go); the worker sets it from its Temporal client. Without it
	// every foreign lease counts as live, and batched rotation refuses.
	Runs RunChecker
	// StopTimeout is the worker's WorkerStopTimeout: how long a stopping
	// worker lets activities run. A batch hands itself over within it
	// (batch_handover.go). Default 30s, the worker's default.
	StopTimeout time.Duration
	// PollEachInstance makes every WaitInstanceAvailable poll its own
	// instance instead of sharing the worker's one DescribeDBInstances per
	// tick (instance_watch.go): the design before the shared one, kept so
	// the benchmarks can measure both.
	PollEachInstance bool
	// WriteBudget bounds this worker's Secrets Manager writes
	// (write_budget.go); nil means none.
	WriteBudget *WriteBudget
}

// RegisterOptions must be used to register an *Activities with a worker:
// Close is exported but is no activity, and the SDK refuses a struct with
// such a method unless told to skip it.
var RegisterOptions = activity.RegisterOptions{SkipInvalidStructFunctions: true}

// Activities holds every dependency of the activities; one value serves all
// workflows of a worker and is safe for concurrent use.
type Activities struct {
	sm   SecretsManagerAPI
	rds  RDSAPI
	cw   CloudWatchAPI
	db   Connector
	http *http.Client
	runs RunChecker
	// stopTimeout: Options.StopTimeout.
	stopTimeout time.Duration
	// assumedHeartbeatTimeout is the heartbeat timeout a batch fences by
	// when its activity info has none (tests calling it directly).
	assumedHeartbeatTimeout time.Duration
	opts                    Options
	// outcomeTags paces the TagResource calls of recordOutcome.
	outcomeTags *rate.Limiter

	// instanceMasters caches host:port -> managed master secret ARN found
	// through DescribeDBInstances for secrets without masterarn.
	instanceMasters sync.Map
	// refusedMasters remembers master logins refused through a whole
	// window (master_window.go), so a rollback does not wait again.
	refusedMasters sync.Map
	// watch answers every WaitInstanceAvailable of this worker with one
	// DescribeDBInstances per tick (instance_watch.go).
	watch *instanceWatch
}

// New builds the activities over real AWS clients made from cfg; because
// cfg comes from the default chain, AWS_ENDPOINT_URL points them at
// localaws without any code here knowing.
func New(cfg aws.Config, opts Options) *Activities {
	if opts.SecretsManager == nil {
		opts.SecretsManager = secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.Retryer = throttleTolerantRetryer() })
	}
	if opts.RDS == nil {
		opts.RDS = rds.NewFromConfig(cfg, func(o *rds.Options) { o.Retryer = throttleTolerantRetryer() })
	}
	if opts.CloudWatch == nil {
		// PublishMetrics retries on its own, with a bound that keeps a
		// CloudWatch outage short; SDK retries underneath would multiply it.
		opts.CloudWatch = cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.RetryMaxAttempts = 1 })
	}
	return NewWithClients(opts)
}

// NewWithClients builds the activities from the clients in opts, which must
// all be set; tests use it with fakes.
func NewWithClients(opts Options) *Activities {
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	if opts.MasterPoolSize <= 0 {
		opts.MasterPoolSize = 2
	}
	if opts.MetricsAttempts <= 0 {
		opts.MetricsAttempts = 4
	}
	if opts.MetricsBackoff <= 0 {
		opts.MetricsBackoff = 500 * time.Millisecond
	}
	if opts.OutcomeTagRate <= 0 {
		opts.OutcomeTagRate = defaultOutcomeTagRate
	}
	if opts.Connector == nil {
		opts.Connector = NewPGXConnector(opts.MasterPoolSize)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	return &Activities{sm: Budgeted(opts.SecretsManager, opts.WriteBudget), rds: opts.RDS, cw: opts.CloudWatch,
		db: opts.Connector, http: opts.HTTPClient, runs: opts.Runs, stopTimeout: opts.StopTimeout, opts: opts,
		watch: newInstanceWatch(opts.RDS), outcomeTags: rate.NewLimiter(rate.Limit(opts.OutcomeTagRate), outcomeConcurrency)}
}

// Close releases the pooled master connections. It is not an activity (see
// RegisterOptions). The instance watch needs no stopping: its loop ends
// with its last waiter.
func (a *Activities) Close() { a.db.Close() }

var fallbackLogger = log.NewStructuredLogger(slog.Default())

// logger is the activity's logger, or a plain one when an inner step runs
// outside an activity (unit tests).
func logger(ctx context.Context) log.Logger {
	if activity.IsActivity(ctx) {
		return activity.GetLogger(ctx)
	}
	return fallbackLogger
}

func heartbeat(ctx context.Context, details ...any) {
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, details...)
	}
}
