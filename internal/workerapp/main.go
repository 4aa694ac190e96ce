package workerapp

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/internal/temporalconn"
)

// Exit codes of the worker, the CLI's where they apply.
const (
	exitFailed      = 1
	exitBadInput    = 2
	exitUnreachable = 3
)

// Main parses the worker's command line and runs it until ctx ends (the
// caller cancels ctx on SIGINT/SIGTERM). It returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	cmd, opts := newCommand(env)
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if _, err := newLogger(opts.LogFormat, opts.LogLevel, io.Discard); err != nil {
			return &usageError{err}
		}
		opts.LogOutput = stderr
		opts.Env = env
		return Run(cmd.Context(), *opts)
	}
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, err)
	var unreachable *temporalconn.UnreachableError
	var usage *usageError
	switch {
	case errors.As(err, &unreachable):
		return exitUnreachable
	case errors.As(err, &usage):
		return exitBadInput
	}
	return exitFailed
}

type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func newCommand(env func(string) string) (*cobra.Command, *Options) {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "credstage-worker",
		Short: "The credstage Temporal worker",
		Long: `The credstage worker serves every credstage workflow (StagedRotation,
RotateSecret, RollbackSecret, ProvisionDatabase) and activity on the task
queue "credstage". It registers credstage's search attributes when they are
missing. On SIGINT or SIGTERM it stops polling and lets running activities
finish for up to --stop-timeout.

Temporal connection flags and variables are the Temporal CLI's. AWS
settings come from the default AWS chain (AWS_ENDPOINT_URL points at
localaws). Database connections use TLS and check the server's
certificate and host name (verify-full) unless a secret's sslmode says
otherwise: give RDS's CA bundle with --rds-ca-bundle. Exit codes: 0 stopped cleanly, 1 failed, 2 bad flags,
3 Temporal unreachable.`,
		Example: `  credstage-worker
  credstage-worker --log-format json --metrics-address 127.0.0.1:9464
  TEMPORAL_ADDRESS=temporal:7233 credstage-worker --connect-wait 2m`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &usageError{fmt.Errorf("unexpected argument %q (the worker takes flags only)", args[0])}
			}
			return nil
		},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.CompletionOptions.DisableDefaultCmd = true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	fl := cmd.Flags()
	opts.Conn.AddFlags(fl, env)
	fl.StringVar(&opts.LogFormat, "log-format", "text", "log format: text or json")
	fl.StringVar(&opts.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fl.DurationVar(&opts.StopTimeout, "stop-timeout", 30e9, "on shutdown, how long running activities may finish before they are cancelled")
	fl.IntVar(&opts.MaxConcurrentActivities, "max-concurrent-activities", 0, "activities run at once (0: the SDK default, 1000)")
	fl.IntVar(&opts.MaxConcurrentWorkflowTasks, "max-concurrent-workflow-tasks", 0, "workflow tasks run at once (0: the SDK default, 1000)")
	fl.IntVar(&opts.MaxConcurrentLocalActivities, "max-concurrent-local-activities", 0, "local activities run at once (0: the SDK default, 1000)")
	fl.StringVar(&opts.MetricsAddress, "metrics-address", env("CREDSTAGE_METRICS_ADDRESS"), "serve Prometheus metrics on host:port/metrics, e.g. 127.0.0.1:9464; empty disables [$CREDSTAGE_METRICS_ADDRESS]")
	fl.DurationVar(&opts.DialTimeout, "connect-timeout", temporalconn.DefaultDialTimeout, "bound of one connection attempt to Temporal")
	fl.DurationVar(&opts.ConnectWait, "connect-wait", 0, "keep trying to reach Temporal this long at start (0: one attempt)")
	fl.DurationVar(&opts.AWSTimeout, "aws-timeout", DefaultAWSTimeout, "bound of one AWS request; a call that hangs longer is cut off and retried")
	fl.StringVar(&opts.Identity, "identity", "", "worker identity shown in Temporal (default: pid@host)")
	fl.StringVar(&opts.RDSCABundle, "rds-ca-bundle", env(activities.EnvRDSCABundle),
		"PEM file of the CAs database certificates are checked against (on AWS: RDS's global-bundle.pem; a secret's sslrootcert takes precedence); empty: the system's roots [$"+activities.EnvRDSCABundle+"]")
	fl.Float64Var(&opts.AWSWriteRate, "aws-write-rate", activities.DefaultWriteRate,
		"Secrets Manager writes a second (PutSecretValue, UpdateSecretVersionStage; GetRandomPassword apart) for the whole deployment, shared by the workers in proportion to the batches each runs; AWS allows 50 per account and Region; 0: no budget")
	fl.BoolVar(&opts.Activities.PollEachInstance, "poll-each-instance", false,
		"each availability wait polls DescribeDBInstances for its own instance, as before the worker shared one call per tick among them (for comparisons)")
	fl.DurationVar(&opts.Activities.MasterAuthWindow, "master-auth-window", 0,
		"how long a refused master login keeps re-reading the master secret (RDS rotating it) before it is final (0: 2m; negative: no wait)")
	return cmd, opts
}
