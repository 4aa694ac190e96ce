package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

const rootLong = `credstage rotates PostgreSQL credentials kept in AWS Secrets Manager, stage
by stage, with Temporal workflows: each secret's new password is created,
set, tested and promoted, then checked by the stage's validators; any
failure rolls the stage back. It also provisions RDS PostgreSQL instances
with their application users, and runs plans on cron with Temporal
Schedules.

Temporal connection flags and variables are the Temporal CLI's. AWS
settings come from the default AWS chain (AWS_REGION, AWS_PROFILE,
AWS_ENDPOINT_URL=http://127.0.0.1:4566 for localaws, ...).

Exit codes:
  0  success
  1  the operation failed, was rolled back or was aborted
  2  bad input: usage, an invalid plan or cron expression, an unknown run,
     schedule or secret
  3  Temporal or AWS could not be reached (or refused the credentials)`

const rootExample = `  credstage plan validate plans/nightly.yaml
  credstage rotate plans/nightly.yaml --wait
  credstage approve staged/nightly/20260101T020000Z --stage production
  credstage schedule create nightly --cron "0 2 * * *" --plan plans/nightly.yaml`

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:           "credstage",
		Short:         "Staged rotation of database credentials with Temporal",
		Long:          rootLong,
		Example:       rootExample,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Without subcommand there is nothing to do but explain.
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError(cmd, fmt.Errorf("unknown command %q", args[0]))
			}
			return nil
		},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if a.output != "text" && a.output != "json" {
				return badInput("--output: want text or json, got %q", a.output)
			}
			return nil
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	pf := root.PersistentFlags()
	a.conn.AddFlags(pf, a.env)
	pf.StringVar(&a.uiAddress, "ui-address", firstNonEmpty(a.env("CREDSTAGE_UI_ADDRESS"), DefaultUIAddress), "Temporal Web UI base URL, for links to runs [$CREDSTAGE_UI_ADDRESS]")
	pf.StringVarP(&a.output, "output", "o", "text", "output format: text or json")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError(cmd, err)
	})
	root.AddCommand(
		newPlanCmd(a),
		newProvisionCmd(a),
		newRotateCmd(a),
		newStatusCmd(a),
		newListCmd(a),
		newApproveCmd(a),
		newAbortCmd(a),
		newRollbackCmd(a),
		newRevokeCmd(a),
		newHistoryCmd(a),
		newScheduleCmd(a),
		newInventoryCmd(a),
		newReportCmd(a),
		newMetricsCmd(a),
		newAlarmsCmd(a),
		newDashboardCmd(a),
		newAuditCmd(a),
		newCodecServerCmd(a),
		newIAMCmd(a),
		newAgentCmd(a),
	)
	return root
}

// usageError is a malformed command line: exit 2 and a pointer to help.
func usageError(cmd *cobra.Command, err error) error {
	return withCode(ExitBadInput, fmt.Errorf("%s: %w (see '%s --help')", cmd.CommandPath(), err, cmd.CommandPath()))
}

// exactArgs is cobra.ExactArgs naming the missing or extra argument,
// with exit code 2.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < len(names) {
			return usageError(cmd, fmt.Errorf("missing %s", strings.Join(names[len(args):], " ")))
		}
		return maxArgs(names...)(cmd, args)
	}
}

// maxArgs allows the named optional arguments and no more.
func maxArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > len(names) {
			return usageError(cmd, fmt.Errorf("unexpected argument %q", args[len(names)]))
		}
		return nil
	}
}
