package cli

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/workflows"
)

func newRevokeCmd(a *app) *cobra.Command {
	var in workflows.RevokeSecretInput
	var previous, wait bool
	cmd := &cobra.Command{
		Use:   "revoke SECRET --previous",
		Short: "Make a secret's previous credentials stop working now",
		Long: `With alternating users the role AWSPREVIOUS names keeps a working password
until the next rotation, so a leaked previous credential stays valid for
days. revoke --previous gives that role a fresh password that nobody is
told, ends its open sessions with --terminate (sessions survive a password
change), and removes AWSPREVIOUS from the version, so that a rollback cannot
bring the old password back. It shows who still used the role: its sessions
opened since the current version was created.

Runs as workflow rotate/<secret>, like a rotation, so it is refused while a
rotation of that secret is running, and is recorded like one (credstage
history SECRET; the PreviousRevoked metric). A single-user secret has
nothing to revoke: its previous password stopped working when it was
rotated away.`,
		Example: `  credstage revoke staging/orders/app --previous --wait
  credstage revoke staging/orders/app --previous --terminate --reason "laptop lost" --wait`,
		Args: exactArgs("SECRET"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !previous {
				return badInput("say what to revoke: --previous (the credentials of the AWSPREVIOUS version)")
			}
			ctx := cmd.Context()
			name, version, env, err := a.previousToRevoke(ctx, args[0])
			if err != nil {
				return err
			}
			in.SecretID, in.VersionID = name, version
			if in.Environment == "" {
				in.Environment = env
			}
			run, ref, err := a.startUnderLock(ctx, name, "revoke of the previous credentials of "+name, wfRevokeSecret, in)
			if err != nil {
				return err
			}
			if !wait {
				return nil
			}
			var res activities.RevokeResult
			if err := run.Get(ctx, &res); err != nil {
				return failed("revoke of %s failed: %s", name, failureMessage(err))
			}
			if a.jsonOutput() {
				return writeJSON(a.stdout, map[string]any{"type": "result", "workflowId": ref.WorkflowID, "result": res})
			}
			fmt.Fprintf(a.stdout, "Revoked role %s (version %s): it has a password nobody knows.\n", res.Role, res.VersionID)
			if res.Sessions.Count > 0 {
				fmt.Fprintf(a.stdout, "Still used it: %s\n", res.Sessions)
			}
			fmt.Fprintf(a.stdout, "Open sessions: %d", res.OpenSessions)
			if in.Terminate {
				fmt.Fprintf(a.stdout, ", %d terminated", res.Terminated)
			} else if res.OpenSessions > 0 {
				fmt.Fprint(a.stdout, " (still open: --terminate ends them)")
			}
			fmt.Fprintln(a.stdout)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&previous, "previous", false, "revoke the credentials of the AWSPREVIOUS version (required)")
	fl.BoolVar(&in.Terminate, "terminate", false, "also end the role's open sessions")
	fl.StringVar(&in.Environment, "environment", "", "environment for metrics and the CredstageEnvironment search attribute (default: the secret's Environment tag)")
	fl.StringVar(&in.Reason, "reason", "", "why, kept in the run's history")
	fl.BoolVar(&wait, "wait", false, "wait for the revoke to finish; exit 1 if it fails")
	return cmd
}

// previousToRevoke reads with DescribeSecret (metadata only) the secret's
// name, its AWSPREVIOUS version and its Environment tag.
func (a *app) previousToRevoke(ctx context.Context, secret string) (name, previous, env string, err error) {
	out, err := a.describeSecretMeta(ctx, secret)
	if err != nil {
		return "", "", "", err
	}
	for id, stages := range out.VersionIdsToStages {
		for _, s := range stages {
			if s == "AWSPREVIOUS" {
				previous = id
			}
		}
	}
	for _, t := range out.Tags {
		if aws.ToString(t.Key) == "Environment" {
			env = aws.ToString(t.Value)
		}
	}
	if previous == "" {
		return "", "", "", badInput("secret %s has no AWSPREVIOUS version: nothing to revoke (never rotated, or already revoked)", aws.ToString(out.Name))
	}
	return aws.ToString(out.Name), previous, env, nil
}
