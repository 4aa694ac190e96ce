package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/workflows"
)

// stagedWorkflowID names a run of a plan: the plan and the UTC start time
// to the second, so runs sort by time and `list` reads naturally.
func stagedWorkflowID(planName string, now time.Time) string {
	return "staged/" + planName + "/" + now.UTC().Format("20060102T150405Z")
}

func newRotateCmd(a *app) *cobra.Command {
	var wait bool
	var poll time.Duration
	cmd := &cobra.Command{
		Use:   "rotate PLAN",
		Short: "Start a staged rotation from a plan file",
		Long: `Start a staged rotation (workflow StagedRotation) from a plan file. The plan
is checked first exactly as 'plan validate' does, so a bad plan never
starts. Prints the run's workflow ID and its Web UI link. With --wait,
follows the run's progress per stage and target until it ends: a live
table on a terminal, one line per change otherwise, JSON lines with
--output json; the exit code is then 1 if the run failed, was rolled back
or was aborted.`,
		Example: `  credstage rotate plans/nightly.yaml
  credstage rotate plans/nightly.yaml --wait
  credstage rotate plans/nightly.yaml --wait --output json | jq -c .`,
		Args: exactArgs("PLAN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			r, err := a.loadPlan(ctx, args[0])
			if err != nil {
				return err
			}
			c, err := a.client(ctx)
			if err != nil {
				return err
			}
			id := stagedWorkflowID(r.Plan.Name, time.Now())
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
				ID:        id,
				TaskQueue: workflows.TaskQueue,
				// Two starts of one plan in the same second would be the
				// same rotation twice: refuse the second.
				WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
				StaticSummary:            fmt.Sprintf("staged rotation of plan %s", r.Plan.Name),
			}, wfStagedRotation, workflows.StagedRotationInput{Plan: r.Plan})
			if err != nil {
				return a.startErr(err, id)
			}
			ref := runRef{WorkflowID: run.GetID(), RunID: run.GetRunID()}
			a.printStarted("staged rotation of plan "+r.Plan.Name, ref)
			if !wait {
				return nil
			}
			return a.follow(ctx, c, runRef{WorkflowID: ref.WorkflowID}, poll)
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the run until it ends; exit 1 if it fails, rolls back or is aborted")
	cmd.Flags().DurationVar(&poll, "poll-interval", DefaultPollInterval, "how often --wait asks the run for its progress")
	return cmd
}

// printStarted announces a started run with its Web UI link.
func (a *app) printStarted(what string, ref runRef) {
	if a.jsonOutput() {
		_ = writeJSON(a.stdout, map[string]any{"type": "started", "workflowId": ref.WorkflowID, "runId": ref.RunID, "url": a.runURL(ref.WorkflowID, ref.RunID)})
		return
	}
	fmt.Fprintf(a.stdout, "Started %s\n  workflow: %s\n  run:      %s\n  web UI:   %s\n", what, ref.WorkflowID, ref.RunID, a.runURL(ref.WorkflowID, ref.RunID))
}
