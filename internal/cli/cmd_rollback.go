package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/internal/plan"
	"github.com/credstage/credstage/workflows"
)

func newRollbackCmd(a *app) *cobra.Command {
	var in workflows.RollbackSecretInput
	var strategy string
	var wait bool
	cmd := &cobra.Command{
		Use:   "rollback SECRET",
		Short: "Return a secret to its previous version",
		Long: `Undo the last completed rotation of a secret: AWSCURRENT goes back to the
AWSPREVIOUS version and, for single-user secrets, the database password is
restored to match; the restored credentials are checked to log in. Runs as
workflow rotate/<secret>, so it is refused while a rotation of that secret
is running.

--strategy defaults to single-user, which is safe for every secret: it
also restores the password of a role that alternating users left alone.`,
		Example: `  credstage rollback staging/orders/app --reason "app cannot log in" --wait
  credstage rollback staging/orders/app --strategy alternating-users --expect-version 7d3c...`,
		Args: exactArgs("SECRET"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			in.Strategy = activities.Strategy(strategy)
			if !in.Strategy.Valid() {
				return badInput("--strategy: unknown strategy %q (want %s)", strategy, plan.StrategyChoices)
			}
			name, current, err := a.previousVersionExists(ctx, args[0])
			if err != nil {
				return err
			}
			in.SecretID = name
			if in.ExpectCurrentVersionID == "" {
				// Pin what was seen: a restore retried after a lost reply
				// then finds its own work done instead of swapping the
				// labels back.
				in.ExpectCurrentVersionID = current
			}
			run, ref, err := a.startUnderLock(ctx, name, "rollback of "+name, wfRollbackSecret, in)
			if err != nil {
				return err
			}
			if !wait {
				return nil
			}
			var res any
			if err := run.Get(ctx, &res); err != nil {
				return failed("rollback of %s failed: %s", name, failureMessage(err))
			}
			if a.jsonOutput() {
				return writeJSON(a.stdout, map[string]any{"type": "result", "workflowId": ref.WorkflowID, "result": res})
			}
			fmt.Fprintf(a.stdout, "Rolled back %s.%s\n", name, describeRestore(res))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&strategy, "strategy", string(activities.StrategySingleUser), "the secret's rotation strategy: "+plan.StrategyChoices)
	fl.StringVar(&in.ExpectCurrentVersionID, "expect-version", "", "refuse unless AWSCURRENT is this version id (default: the version AWSCURRENT is on when the command starts)")
	fl.StringVar(&in.Environment, "environment", "", "environment for metrics and the CredstageEnvironment search attribute")
	fl.StringVar(&in.Reason, "reason", "", "why, kept in the run's history")
	fl.BoolVar(&wait, "wait", false, "wait for the rollback to finish; exit 1 if it fails")
	return cmd
}

// startUnderLock starts a run of workflow type wf on one secret under
// its rotate/<secret> lock: refused, naming the holder, while a rotation,
// rollback or revoke of that secret runs.
func (a *app) startUnderLock(ctx context.Context, name, what, wf string, in any) (client.WorkflowRun, runRef, error) {
	c, err := a.client(ctx)
	if err != nil {
		return nil, runRef{}, err
	}
	id := workflows.RotateWorkflowID(name)
	if err := a.refuseIfRunning(ctx, c, id, name); err != nil {
		return nil, runRef{}, err
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        id,
		TaskQueue: workflows.TaskQueue,
		// The ID is the per-secret lock: never start beside a rotation
		// of the same secret.
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:            what,
	}, wf, in)
	if err != nil {
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			return nil, runRef{}, failed("secret %s is being changed right now by run %s: wait for it to end, then try again", name, id)
		}
		return nil, runRef{}, a.temporalErr(err, runRef{})
	}
	ref := runRef{WorkflowID: run.GetID(), RunID: run.GetRunID()}
	a.printStarted(what, ref)
	return run, ref, nil
}

// previousVersionExists checks with DescribeSecret (metadata only) that
// the secret exists and has an AWSPREVIOUS to return to; it returns the
// secret's name, the form the rotate/<name> lock uses, and the version
// AWSCURRENT is on.
func (a *app) previousVersionExists(ctx context.Context, secret string) (name, current string, err error) {
	out, err := a.describeSecretMeta(ctx, secret)
	if err != nil {
		return "", "", err
	}
	hasPrevious := false
	for id, stages := range out.VersionIdsToStages {
		for _, s := range stages {
			switch s {
			case "AWSPREVIOUS":
				hasPrevious = true
			case "AWSCURRENT":
				current = id
			}
		}
	}
	if hasPrevious && current != "" {
		return aws.ToString(out.Name), current, nil
	}
	return "", "", badInput("secret %s has no AWSPREVIOUS version: there is nothing to roll back to", aws.ToString(out.Name))
}

// describeSecretMeta is DescribeSecret (metadata only) of a secret the
// user named, with a missing secret as bad input.
func (a *app) describeSecretMeta(ctx context.Context, secret string) (*secretsmanager.DescribeSecretOutput, error) {
	sm, err := a.secretsClient(ctx)
	if err != nil {
		return nil, err
	}
	out, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secret)})
	var nf *smtypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		return nil, badInput("secret %q not found in Secrets Manager", secret)
	case err != nil:
		return nil, &plan.AWSError{Op: "DescribeSecret " + secret, Err: err}
	}
	return out, nil
}

// refuseIfRunning names the run holding a secret's lock, if any.
func (a *app) refuseIfRunning(ctx context.Context, c client.Client, id, secret string) error {
	d, err := c.DescribeWorkflow(ctx, id, "")
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
		return nil
	case err != nil:
		return a.temporalErr(err, runRef{})
	}
	info := d.RawResponse.WorkflowExecutionInfo
	if info.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return nil
	}
	what := "rotated"
	switch info.Type.Name {
	case wfRollbackSecret:
		what = "rolled back"
	case wfRevokeSecret:
		what = "revoked"
	}
	return failed("secret %s is being %s right now by run %s (run id %s): wait for it to end, or abort its staged run", secret, what, id, info.Execution.RunId)
}

func describeRestore(res any) string {
	m, ok := res.(map[string]any)
	if !ok {
		return ""
	}
	restored, _ := m["restoredVersionId"].(string)
	replaced, _ := m["replacedVersionId"].(string)
	if restored == "" {
		return ""
	}
	return fmt.Sprintf(" AWSCURRENT is version %s again (was %s).", restored, replaced)
}
