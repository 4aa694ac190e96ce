package cli

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"

	"github.com/credstage/credstage/internal/awsconfig"
	"github.com/credstage/credstage/internal/plan"
)

// envWorkerPrincipal names the worker's principal when --worker-principal
// is not given (comma-separated for several).
const envWorkerPrincipal = "CREDSTAGE_WORKER_PRINCIPAL"

// auditSecrets is what `credstage audit` needs of Secrets Manager: which
// secrets, their ARNs and their resource policies. Never a value.
type auditSecrets interface {
	ListSecrets(ctx context.Context, in *secretsmanager.ListSecretsInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	GetResourcePolicy(ctx context.Context, in *secretsmanager.GetResourcePolicyInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetResourcePolicyOutput, error)
}

var _ auditSecrets = (*secretsmanager.Client)(nil)

type auditFlags struct {
	secret    string
	since     time.Duration
	workers   []string
	maxEvents int
}

func newAuditCmd(a *app) *cobra.Command {
	var f auditFlags
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show who read and who changed secrets, from CloudTrail",
		Long: `Read CloudTrail's event history (LookupEvents by resource name) and show,
per secret, who read it (GetSecretValue, BatchGetSecretValue) and who changed
it (PutSecretValue, UpdateSecret, UpdateSecretVersionStage, RotateSecret,
DeleteSecret, PutResourcePolicy, TagResource, ...): principal, count, failed
calls, first and last time. Callers that are not expected are flagged
UNEXPECTED. Expected readers are the worker (--worker-principal, or
` + envWorkerPrincipal + `; without either, the principals that wrote
credstage's version tokens) and the readers the secret's resource policy
allows GetSecretValue; the only expected writer is the worker.

Without --secret, every secret tagged credstage:managed=true is audited.
CloudTrail allows 2 lookups a second and keeps 90 days: the audit paces
itself, refuses --since beyond 90 days and reads at most --max-events events
per secret, saying so when it stops there. Exit code 1 when a caller is
flagged. No secret value is read or shown.`,
		Example: `  credstage audit --secret staging/app --since 24h
  credstage audit --worker-principal arn:aws:iam::123456789012:role/credstage-worker -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.since <= 0 || f.since > auditMaxSince {
				return badInput("--since: want a positive duration of at most 90 days (2160h), CloudTrail's event history; got %s", f.since)
			}
			if f.maxEvents < 1 {
				return badInput("--max-events: want at least 1, got %d", f.maxEvents)
			}
			if len(f.workers) == 0 {
				for _, w := range strings.Split(a.env(envWorkerPrincipal), ",") {
					if w = strings.TrimSpace(w); w != "" {
						f.workers = append(f.workers, w)
					}
				}
			}
			ctx := cmd.Context()
			cfg, err := awsconfig.Load(ctx, a.env, config.WithRetryMaxAttempts(3))
			if err != nil {
				return withCode(ExitUnreachable, err)
			}
			ct := &pacedLookup{ct: cloudtrail.NewFromConfig(cfg), interval: auditLookupInterval}
			now := time.Now()
			reports, err := runAudit(ctx, secretsmanager.NewFromConfig(cfg), ct, f, now)
			if err != nil {
				return err
			}
			flagged := 0
			for _, r := range reports {
				flagged += r.Flagged
			}
			if a.jsonOutput() {
				if err := writeJSON(a.stdout, map[string]any{"since": f.since.String(), "secrets": reports, "flagged": flagged}); err != nil {
					return err
				}
			} else {
				printAudit(a, now.Add(-f.since), reports)
			}
			if flagged > 0 {
				return withCode(ExitFailed, errSilent)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.secret, "secret", "", "audit only this secret (name or ARN); default every credstage:managed secret")
	fl.DurationVar(&f.since, "since", 24*time.Hour, "how far back to read (at most 2160h, CloudTrail's 90 days)")
	fl.StringArrayVar(&f.workers, "worker-principal", nil, "ARN of the worker's role, an expected reader and writer (repeatable; default $"+envWorkerPrincipal+")")
	fl.IntVar(&f.maxEvents, "max-events", auditDefaultMaxEvents, "read at most this many events per secret (newest first)")
	return cmd
}

// runAudit audits the secret named, or every credstage-managed one.
func runAudit(ctx context.Context, sm auditSecrets, ct *pacedLookup, f auditFlags, now time.Time) ([]secretAudit, error) {
	ids := []string{f.secret}
	if f.secret == "" {
		var err error
		if ids, err = managedSecrets(ctx, sm); err != nil {
			return nil, err
		}
	}
	reports := []secretAudit{}
	for _, id := range ids {
		d, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
		if err != nil {
			return nil, &plan.AWSError{Op: "DescribeSecret " + id, Err: err}
		}
		name, arn := aws.ToString(d.Name), aws.ToString(d.ARN)
		// credstage's own policies deny everyone but the readers, the
		// worker and the break-glass administrator: an auditor without
		// GetResourcePolicy still gets the events, and is told what it
		// could not read.
		var readers []string
		var anyone bool
		policyNote := ""
		pol, err := sm.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(arn)})
		switch {
		case isAccessDenied(err):
			policyNote = "cannot read the resource policy (" + awsCause(err) + "): its readers count as unexpected"
		case err != nil:
			return nil, &plan.AWSError{Op: "GetResourcePolicy " + name, Err: err}
		default:
			readers, anyone = policyReaders(aws.ToString(pol.ResourcePolicy))
		}
		events, truncated, err := secretEvents(ctx, ct, []string{arn, name}, now.Add(-f.since), now, f.maxEvents)
		if err != nil {
			return nil, err
		}
		rep := buildAudit(name, arn, events, f.workers, readers, anyone, truncated, f.maxEvents)
		rep.PolicyNote = policyNote
		reports = append(reports, rep)
	}
	return reports, nil
}

// managedSecrets are the ARNs of the secrets credstage manages.
func managedSecrets(ctx context.Context, sm auditSecrets) ([]string, error) {
	secrets, err := plan.ManagedSecrets(ctx, sm)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(secrets))
	for i, s := range secrets {
		ids[i] = aws.ToString(s.ARN)
	}
	return ids, nil
}

func isAccessDenied(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "AccessDeniedException"
}
