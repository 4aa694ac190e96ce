package cli

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"

	"github.com/credstage/credstage/internal/inventory"
	"github.com/credstage/credstage/internal/inventory/scheduled"
	"github.com/credstage/credstage/workflows"
)

func newReportCmd(a *app) *cobra.Command {
	var (
		maxAge ageFlag
		envs   []string
	)
	cmd := &cobra.Command{
		Use:   "report [--max-age DURATION] [--environment ENV]...",
		Short: "Show every managed secret's age, last rotation and next run; fail when one needs attention",
		Long: `Show every secret credstage manages (tagged credstage:managed=true, plus those
the plans of credstage's schedules name): its environment and strategy,
the age of its AWSCURRENT version (from the version's creation date; no
secret value is read), its last rotation and how it ended (the
credstage:outcomes tag), its next scheduled run, and whether it is
overdue: older than its maxAge, which is the smallest maxAge of the
scheduled plans' stages naming it, else --max-age, else the inventory
schedule's --max-age, else none. The rule is the inventory's, so the
report and the OverdueSecrets metric agree.

Exit status: 1 when any secret is overdue or its last rotation failed or
rolled back, 0 otherwise, so the report can gate a pipeline. Listing
10,000 secrets takes a few minutes: the calls keep to half of AWS's
ListSecrets and ListSecretVersionIds quotas.`,
		Example: `  credstage report
  credstage report --environment production
  credstage report --max-age 90d --output json | jq -c 'select(.overdue)'`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			c, err := a.client(ctx)
			if err != nil {
				return err
			}
			sm, err := a.secretsClient(ctx)
			if err != nil {
				return err
			}
			def := maxAge.D()
			if def == 0 {
				in, err := a.scheduledInventoryInput(ctx, c)
				if err != nil {
					return a.temporalErr(err, runRef{})
				}
				def = in.DefaultMaxAge
			}
			src := inventory.NewSource(sm, scheduled.Schedules{Client: c, DataConverter: a.dataConverter()}, inventory.Rates{})
			now := time.Now().UTC()
			rows, err := src.All(ctx, def, now)
			if err != nil {
				return reportErr(err)
			}
			if len(envs) > 0 {
				rows = slices.DeleteFunc(rows, func(r inventory.Row) bool { return !slices.Contains(envs, r.Environment) })
			}
			if err := writeReport(a.stdout, rows, now, a.jsonOutput()); err != nil {
				return err
			}
			for _, r := range rows {
				if r.NeedsAttention() {
					return withCode(ExitFailed, errSilent)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&envs, "environment", nil, "only these environments (repeat or comma-separate)")
	cmd.Flags().Var(&maxAge, "max-age", "limit for secrets no scheduled plan gives a maxAge, e.g. 90d (default: the inventory schedule's)")
	return cmd
}

// reportErr says which service failed the listing; both are "could not
// be reached" (exit 3) to a pipeline.
func reportErr(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		return withCode(ExitUnreachable, fmt.Errorf("AWS Secrets Manager refused the listing: %s", awsCause(err)))
	}
	return withCode(ExitUnreachable, fmt.Errorf("report: %w (schedule %s and credstage's plans are read from Temporal)", err, workflows.InventoryScheduleID))
}
