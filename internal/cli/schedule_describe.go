package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/credstage/credstage/workflows"
)

type scheduleActionJSON struct {
	ScheduledAt time.Time `json:"scheduledAt"`
	StartedAt   time.Time `json:"startedAt"`
	WorkflowID  string    `json:"workflowId,omitempty"`
	RunID       string    `json:"runId,omitempty"`
}

type scheduleJSON struct {
	Name           string               `json:"name"`
	Spec           string               `json:"spec"`
	TimeZone       string               `json:"timeZone,omitempty"`
	Jitter         string               `json:"jitter,omitempty"`
	Overlap        string               `json:"overlap"`
	Paused         bool                 `json:"paused"`
	Note           string               `json:"note,omitempty"`
	Plan           string               `json:"plan,omitempty"`
	PlanFile       string               `json:"planFile,omitempty"`
	Stages         []string             `json:"stages,omitempty"`
	Actions        int                  `json:"actions"`
	SkippedActions int                  `json:"skippedOverlap"`
	NextRuns       []time.Time          `json:"nextRuns,omitempty"`
	Recent         []scheduleActionJSON `json:"recentActions,omitempty"`
	Running        []string             `json:"running,omitempty"`
}

func newScheduleDescribeCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "describe NAME",
		Short: "Show a schedule: timing, plan, state, recent and next runs",
		Example: `  credstage schedule describe nightly
  credstage schedule describe nightly --output json`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, desc, err := a.schedule(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := scheduleJSONOf(args[0], desc)
			if a.jsonOutput() {
				return writeJSON(a.stdout, out)
			}
			w := a.stdout
			state := "active"
			if out.Paused {
				state = "paused"
			}
			fmt.Fprintf(w, "schedule %s (%s)\n", out.Name, state)
			fmt.Fprintf(w, "  spec:     %s\n", out.Spec)
			if out.Jitter != "" {
				fmt.Fprintf(w, "  jitter:   %s\n", out.Jitter)
			}
			fmt.Fprintf(w, "  overlap:  %s\n", out.Overlap)
			if out.Note != "" {
				fmt.Fprintf(w, "  note:     %s\n", out.Note)
			}
			if out.Plan != "" {
				fmt.Fprintf(w, "  plan:     %s (from %s)\n", out.Plan, firstNonEmpty(out.PlanFile, "?"))
			}
			for _, s := range out.Stages {
				fmt.Fprintf(w, "    %s\n", s)
			}
			fmt.Fprintf(w, "  actions:  %d taken, %d skipped for overlap\n", out.Actions, out.SkippedActions)
			for _, r := range out.Running {
				fmt.Fprintf(w, "  running:  %s\n", r)
			}
			for i, t := range out.NextRuns {
				if i == 3 { // the rest is in --output json
					break
				}
				fmt.Fprintf(w, "  next:     %s\n", timestamp(t))
			}
			for _, r := range out.Recent {
				fmt.Fprintf(w, "  recent:   %s  %s\n", timestamp(r.StartedAt), r.WorkflowID)
			}
			return nil
		},
	}
}

func scheduleJSONOf(name string, d *client.ScheduleDescription) scheduleJSON {
	s := d.Schedule
	out := scheduleJSON{
		Name:           name,
		Spec:           memoString(d.Memo, memoSpec),
		Plan:           memoString(d.Memo, memoPlan),
		PlanFile:       memoString(d.Memo, memoPlanFile),
		Actions:        d.Info.NumActions,
		SkippedActions: d.Info.NumActionsSkippedOverlap,
		NextRuns:       d.Info.NextActionTimes,
	}
	if s.Spec != nil {
		if out.Spec == "" {
			out.Spec = specSummary(s.Spec)
		}
		out.TimeZone = s.Spec.TimeZoneName
		if s.Spec.Jitter > 0 {
			out.Jitter = s.Spec.Jitter.String()
		}
	}
	if s.Policy != nil {
		out.Overlap = overlapName(s.Policy.Overlap)
	}
	if s.State != nil {
		out.Paused, out.Note = s.State.Paused, s.State.Note
	}
	if act, ok := s.Action.(*client.ScheduleWorkflowAction); ok && len(act.Args) > 0 {
		if p, ok := act.Args[0].(*commonpb.Payload); ok {
			var in workflows.StagedRotationInput
			if converter.GetDefaultDataConverter().FromPayload(p, &in) == nil {
				for _, st := range in.Plan.Stages {
					line := fmt.Sprintf("stage %s: %d secret(s)", st.Name, len(st.Targets))
					if st.RequireApproval {
						line += ", waits for approval"
					}
					out.Stages = append(out.Stages, line)
				}
			}
		}
	}
	for _, r := range d.Info.RecentActions {
		a := scheduleActionJSON{ScheduledAt: r.ScheduleTime, StartedAt: r.ActualTime}
		if r.StartWorkflowResult != nil {
			a.WorkflowID, a.RunID = r.StartWorkflowResult.WorkflowID, r.StartWorkflowResult.FirstExecutionRunID
		}
		out.Recent = append(out.Recent, a)
	}
	for _, r := range d.Info.RunningWorkflows {
		out.Running = append(out.Running, r.WorkflowID)
	}
	return out
}
