package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/credstage/credstage/workflows"
)

func newInventoryCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Measure the age of every managed secret on a schedule",
		Long: `The inventory lists every secret credstage manages (tagged
credstage:managed=true, plus those the plans of credstage's schedules
name), reads the creation date of each one's AWSCURRENT version (never its
value), and publishes per environment OldestSecretAge, OverdueSecrets and
ManagedSecrets to CloudWatch. A secret is overdue when it is older than
its maxAge: the smallest maxAge of the scheduled plans' stages naming it,
else the inventory's --max-age, else never. It runs as a Temporal
Schedule, ` + workflows.InventoryScheduleID + `; 'credstage report' shows the same picture.`,
		Example: `  credstage inventory apply --every 1h --max-age 90d
  credstage inventory run --wait`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newInventoryApplyCmd(a), newInventoryRunCmd(a))
	return cmd
}

func newInventoryApplyCmd(a *app) *cobra.Command {
	var (
		every     time.Duration
		maxAge    ageFlag
		perSecret bool
		namespace string
	)
	cmd := &cobra.Command{
		Use:   "apply [--every DURATION] [--max-age DURATION] [--per-secret-metrics]",
		Short: "Create or update the inventory's schedule",
		Long: `Create the inventory's schedule (` + workflows.InventoryScheduleID + `), or update it to these
settings; running it again with the same settings changes nothing.
--max-age is the limit for secrets no scheduled plan gives a maxAge
(default none: such secrets are never overdue); it takes days (90d) or a
Go duration (720h). --per-secret-metrics also publishes SecretAge for
every secret (one CloudWatch custom metric each, so off by default).`,
		Example: `  credstage inventory apply
  credstage inventory apply --every 6h --max-age 90d --per-secret-metrics`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if every < time.Second {
				return badInput("--every: at least 1s (Temporal's finest interval), got %s", every)
			}
			in := workflows.InventoryInput{DefaultMaxAge: maxAge.D(), PerSecretMetrics: perSecret, MetricsNamespace: namespace}
			ctx := cmd.Context()
			c, err := a.client(ctx)
			if err != nil {
				return err
			}
			verb, err := a.applyInventorySchedule(ctx, c, every, in)
			if err != nil {
				return a.temporalErr(err, runRef{})
			}
			if a.jsonOutput() {
				return writeJSON(a.stdout, map[string]any{"schedule": workflows.InventoryScheduleID, "result": verb,
					"every": every.String(), "maxAge": maxAge.String(), "perSecretMetrics": perSecret})
			}
			limit := "no default max age"
			if maxAge.D() > 0 {
				limit = "default max age " + maxAge.String()
			}
			fmt.Fprintf(a.stdout, "%s schedule %s: every %s, %s, per-secret metrics %s\n",
				verb, workflows.InventoryScheduleID, every, limit, onOff(perSecret))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.DurationVar(&every, "every", time.Hour, "interval between inventory runs")
	fl.Var(&maxAge, "max-age", "limit for secrets no scheduled plan gives a maxAge, e.g. 90d (default none)")
	fl.BoolVar(&perSecret, "per-secret-metrics", false, "also publish SecretAge per secret (one custom metric each)")
	fl.StringVar(&namespace, "metrics-namespace", "", "CloudWatch namespace (default "+workflows.DefaultMetricsNamespace+")")
	return cmd
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// inventoryAction is the schedule's action: an Inventory run.
func inventoryAction(in workflows.InventoryInput) *client.ScheduleWorkflowAction {
	return &client.ScheduleWorkflowAction{
		ID:            workflows.InventoryWorkflowID, // Temporal appends the action's time
		Workflow:      workflows.InventoryType,
		Args:          []any{in},
		TaskQueue:     workflows.TaskQueue,
		StaticSummary: "inventory of the managed secrets' ages",
	}
}

// applyInventorySchedule creates the schedule, or updates it when its
// interval or input differ; it says which ("Created", "Updated",
// "Unchanged").
func (a *app) applyInventorySchedule(ctx context.Context, c client.Client, every time.Duration, in workflows.InventoryInput) (string, error) {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	sc := c.ScheduleClient()
	_, err := sc.Create(ctx, client.ScheduleOptions{
		ID:      workflows.InventoryScheduleID,
		Spec:    spec,
		Action:  inventoryAction(in),
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, // one inventory at a time
	})
	var exists *serviceerror.AlreadyExists
	if err == nil || (!errors.Is(err, temporal.ErrScheduleAlreadyRunning) && !errors.As(err, &exists)) {
		return "Created", err
	}
	verb := "Unchanged"
	err = sc.GetHandle(ctx, workflows.InventoryScheduleID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(u client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := u.Description.Schedule
			old, ok := a.inventoryInputOf(s.Action)
			if ok && old == in && s.Spec != nil && len(s.Spec.Intervals) == 1 && s.Spec.Intervals[0].Every == every &&
				len(s.Spec.CronExpressions) == 0 && len(s.Spec.Calendars) == 0 {
				return nil, temporal.ErrSkipScheduleUpdate
			}
			verb = "Updated"
			s.Spec, s.Action = &spec, inventoryAction(in)
			if s.Policy == nil {
				s.Policy = &client.SchedulePolicies{}
			}
			s.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	return verb, err
}

// inventoryInputOf decodes the input a schedule's action carries.
func (a *app) inventoryInputOf(action client.ScheduleAction) (workflows.InventoryInput, bool) {
	var in workflows.InventoryInput
	act, ok := action.(*client.ScheduleWorkflowAction)
	if !ok || len(act.Args) == 0 {
		return in, false
	}
	return in, a.decodeArg(act.Args[0], &in)
}

func newInventoryRunCmd(a *app) *cobra.Command {
	var wait bool
	cmd := &cobra.Command{
		Use:   "run [--wait]",
		Short: "Run the inventory once now",
		Long: `Start one inventory run now, with the settings of the inventory's schedule
(none yet: no default max age, no per-secret metrics). Prints the run's
workflow ID and Web UI link; with --wait, waits for it and prints each
environment's totals.`,
		Example: `  credstage inventory run --wait`,
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			c, err := a.client(ctx)
			if err != nil {
				return err
			}
			in, err := a.scheduledInventoryInput(ctx, c)
			if err != nil {
				return a.temporalErr(err, runRef{})
			}
			id := workflows.InventoryWorkflowID + "/manual-" + time.Now().UTC().Format("20060102T150405Z")
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue,
				StaticSummary: "inventory of the managed secrets' ages (run by hand)"}, workflows.InventoryType, in)
			if err != nil {
				return a.temporalErr(err, runRef{})
			}
			ref := runRef{WorkflowID: run.GetID(), RunID: run.GetRunID()}
			if !wait {
				if a.jsonOutput() {
					return writeJSON(a.stdout, map[string]any{"workflowId": ref.WorkflowID, "runId": ref.RunID, "url": a.runURL(ref.WorkflowID, ref.RunID)})
				}
				fmt.Fprintf(a.stdout, "Started %s\n  %s\n", ref.WorkflowID, a.runURL(ref.WorkflowID, ref.RunID))
				return nil
			}
			var res workflows.InventoryResult
			if err := run.Get(ctx, &res); err != nil {
				return withCode(ExitFailed, fmt.Errorf("inventory %s failed: %w", ref.WorkflowID, err))
			}
			if a.jsonOutput() {
				return writeJSON(a.stdout, res)
			}
			t := newTable(a.stdout, "ENVIRONMENT", "MANAGED", "OVERDUE", "OLDEST", "UNKNOWN AGE")
			for _, e := range res.Environments {
				t.row(e.Environment, fmt.Sprint(e.Managed), fmt.Sprint(e.Overdue), ageString(time.Duration(e.OldestAgeSeconds)*time.Second), fmt.Sprint(e.Unknown))
			}
			t.flush()
			fmt.Fprintf(a.stdout, "%d managed secrets, %d overdue (see 'credstage report')\n", res.Managed, res.Overdue)
			return nil
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the run and print its totals")
	return cmd
}

// scheduledInventoryInput is the inventory schedule's input, or the
// defaults when there is no schedule.
func (a *app) scheduledInventoryInput(ctx context.Context, c client.Client) (workflows.InventoryInput, error) {
	d, err := c.ScheduleClient().GetHandle(ctx, workflows.InventoryScheduleID).Describe(ctx)
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
		return workflows.InventoryInput{}, nil
	case err != nil:
		return workflows.InventoryInput{}, err
	}
	in, _ := a.inventoryInputOf(d.Schedule.Action)
	return in, nil
}
