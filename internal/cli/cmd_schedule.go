package cli

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// Memo keys a schedule carries so `schedule list` can show what it runs
// and when in the words it was created with.
const (
	memoSpec     = "credstageSpec"
	memoPlan     = "credstagePlan"
	memoPlanFile = "credstagePlanFile"
)

func newScheduleCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Run plans on a cron or an interval with Temporal Schedules",
		Long: `Run plans on a cron or an interval with Temporal Schedules. Each action of
a schedule starts a StagedRotation of the plan the schedule was created
with (its selectors resolved at creation: re-create the schedule after
changing the plan or the secrets' tags).`,
		Example: `  credstage schedule create nightly --cron "0 2 * * *" --plan plans/nightly.yaml
  credstage schedule list
  credstage schedule trigger nightly`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		newScheduleCreateCmd(a),
		newScheduleListCmd(a),
		newScheduleDescribeCmd(a),
		newSchedulePauseCmd(a),
		newScheduleUnpauseCmd(a),
		newScheduleTriggerCmd(a),
		newScheduleDeleteCmd(a),
		newScheduleBackfillCmd(a),
	)
	return cmd
}

var overlapPolicies = map[string]enumspb.ScheduleOverlapPolicy{
	"skip":            enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
	"buffer-one":      enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE,
	"buffer-all":      enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL,
	"allow-all":       enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
	"cancel-other":    enumspb.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER,
	"terminate-other": enumspb.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER,
}

// parseOverlap reads an --overlap value; empty means the schedule's own.
func parseOverlap(v string) (enumspb.ScheduleOverlapPolicy, error) {
	if v == "" {
		return enumspb.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED, nil
	}
	if p, ok := overlapPolicies[v]; ok {
		return p, nil
	}
	return 0, badInput("--overlap: unknown policy %q (want %s)", v, overlapChoices())
}

func overlapChoices() string {
	var names []string
	for k := range overlapPolicies {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func overlapName(p enumspb.ScheduleOverlapPolicy) string {
	for k, v := range overlapPolicies {
		if v == p {
			return k
		}
	}
	return "skip" // Temporal's default
}

// schedule returns a handle after checking that the schedule exists, so
// every subcommand fails the same clear way on a wrong name.
func (a *app) schedule(ctx context.Context, name string) (client.ScheduleHandle, *client.ScheduleDescription, error) {
	c, err := a.client(ctx)
	if err != nil {
		return nil, nil, err
	}
	h := c.ScheduleClient().GetHandle(ctx, name)
	desc, err := h.Describe(ctx)
	if err != nil {
		return nil, nil, a.scheduleErr(err, name)
	}
	return h, desc, nil
}

func (a *app) scheduleErr(err error, name string) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return badInput("no schedule %s in namespace %s", name, a.conn.Namespace)
	}
	return a.temporalErr(err, runRef{})
}
