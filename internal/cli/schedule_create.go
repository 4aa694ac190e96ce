package cli

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/credstage/credstage/workflows"
)

// scheduleName keeps schedule IDs to what reads well in URLs and tables.
var scheduleName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

func newScheduleCreateCmd(a *app) *cobra.Command {
	var (
		cron, planFile, overlap, tz, note string
		every, jitter, catchup            time.Duration
		paused                            bool
	)
	cmd := &cobra.Command{
		Use:   "create NAME (--cron EXPR | --every DURATION) --plan FILE",
		Short: "Create a schedule that runs a plan",
		Long: `Create a Temporal Schedule named NAME whose every action starts a staged
rotation of the plan. The plan is checked first exactly as 'plan validate'
does. --cron takes a standard 5-field expression (minute hour
day-of-month month day-of-week), checked locally; --every an interval
(at least 1s). --overlap says what happens when an action comes while the
previous run is still going: skip (default), buffer-one, buffer-all,
allow-all, cancel-other or terminate-other.`,
		Example: `  credstage schedule create nightly --cron "0 2 * * *" --plan plans/nightly.yaml --time-zone Europe/Paris
  credstage schedule create smoke --every 10m --plan plans/staging.yaml --jitter 30s --paused`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if !scheduleName.MatchString(name) {
				return badInput("invalid schedule name %q (letters, digits, '.', '_' and '-', at most 100)", name)
			}
			spec, human, err := scheduleSpec(cron, every, jitter, tz)
			if err != nil {
				return err
			}
			if planFile == "" {
				return usageError(cmd, fmt.Errorf("--plan is required"))
			}
			policy, err := parseOverlap(overlap)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			r, err := a.loadPlan(ctx, planFile)
			if err != nil {
				return err
			}
			c, err := a.client(ctx)
			if err != nil {
				return err
			}
			_, err = c.ScheduleClient().Create(ctx, client.ScheduleOptions{
				ID:   name,
				Spec: spec,
				Action: &client.ScheduleWorkflowAction{
					// Temporal appends the action's time to this ID.
					ID:            "staged/" + r.Plan.Name,
					Workflow:      wfStagedRotation,
					Args:          []any{workflows.StagedRotationInput{Plan: r.Plan}},
					TaskQueue:     workflows.TaskQueue,
					StaticSummary: fmt.Sprintf("staged rotation of plan %s (schedule %s)", r.Plan.Name, name),
				},
				Overlap:       policy,
				CatchupWindow: catchup,
				Paused:        paused,
				Note:          note,
				Memo:          map[string]any{memoSpec: human, memoPlan: r.Plan.Name, memoPlanFile: planFile},
			})
			var exists *serviceerror.AlreadyExists
			switch {
			case errors.Is(err, temporal.ErrScheduleAlreadyRunning), errors.As(err, &exists):
				return badInput("schedule %s already exists in namespace %s (delete it first, or pick another name)", name, a.conn.Namespace)
			case err != nil:
				return a.temporalErr(err, runRef{})
			}
			if a.jsonOutput() {
				return writeJSON(a.stdout, map[string]any{"schedule": name, "spec": human, "plan": r.Plan.Name, "paused": paused})
			}
			state := ""
			if paused {
				state = " (paused)"
			}
			fmt.Fprintf(a.stdout, "Created schedule %s%s: plan %s, %s, overlap %s\n", name, state, r.Plan.Name, human, overlapName(policy))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cron, "cron", "", `5-field cron expression, e.g. "0 2 * * *" (02:00 every day)`)
	fl.DurationVar(&every, "every", 0, "interval between runs, e.g. 6h (at least 1s)")
	fl.StringVar(&planFile, "plan", "", "the plan file to run (required)")
	fl.StringVar(&overlap, "overlap", "skip", "when a run is still going: "+overlapChoices())
	fl.DurationVar(&jitter, "jitter", 0, "random delay up to this much added to each action")
	fl.StringVar(&tz, "time-zone", "", "IANA time zone of --cron, e.g. Europe/Paris (default UTC)")
	fl.DurationVar(&catchup, "catchup-window", 0, "how late a missed action may still run (default: Temporal's, 1 year)")
	fl.BoolVar(&paused, "paused", false, "create the schedule paused")
	fl.StringVar(&note, "note", "", "a note shown with the schedule's state")
	return cmd
}

// scheduleSpec checks the timing flags and returns the spec plus its
// description in the words the user gave.
func scheduleSpec(cron string, every, jitter time.Duration, tz string) (client.ScheduleSpec, string, error) {
	var spec client.ScheduleSpec
	switch {
	case cron != "" && every != 0:
		return spec, "", badInput("give --cron or --every, not both")
	case cron == "" && every == 0:
		return spec, "", badInput("give --cron EXPR or --every DURATION")
	case every != 0 && every < time.Second:
		return spec, "", badInput("--every: at least 1s (Temporal's finest interval), got %s", every)
	}
	if jitter < 0 {
		return spec, "", badInput("--jitter: must not be negative, got %s", jitter)
	}
	if tz != "" {
		if _, err := time.LoadLocation(tz); err != nil {
			return spec, "", badInput("--time-zone: unknown time zone %q (want an IANA name such as Europe/Paris)", tz)
		}
		spec.TimeZoneName = tz
	}
	spec.Jitter = jitter
	if cron != "" {
		if err := ValidateCron(cron); err != nil {
			return spec, "", err
		}
		spec.CronExpressions = []string{cron}
		human := "cron " + cron
		if tz != "" {
			human += " " + tz
		}
		return spec, human, nil
	}
	spec.Intervals = []client.ScheduleIntervalSpec{{Every: every}}
	return spec, "every " + every.String(), nil
}
