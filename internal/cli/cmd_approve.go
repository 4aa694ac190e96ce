package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/credstage/credstage/workflows"
)

func newApproveCmd(a *app) *cobra.Command {
	var stage, comment, runID string
	cmd := &cobra.Command{
		Use:   "approve RUN",
		Short: "Let a staged rotation waiting for approval start its next stage",
		Long: `Approve the stage a staged rotation is waiting on (stages with
requireApproval: true). --stage guards against approving the wrong one:
the run refuses when it waits on another stage. The approver is $USER
(or $CREDSTAGE_USER) and is recorded in the run's history.`,
		Example: `  credstage approve staged/nightly/20260101T020000Z
  credstage approve staged/nightly/20260101T020000Z --stage production --comment "change 1234"`,
		Args: exactArgs("RUN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := parseRun(args[0], runID)
			res, err := a.sendUpdate(cmd.Context(), ref, workflows.UpdateApprove, workflows.ApproveInput{Stage: stage, Approver: a.approver(), Comment: comment})
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return writeJSON(a.stdout, map[string]any{"workflowId": ref.WorkflowID, "approved": true, "stage": stage, "result": res})
			}
			what := "the waiting stage"
			if stage != "" {
				what = "stage " + stage
			}
			fmt.Fprintf(a.stdout, "Approved %s of %s.\n", what, ref.WorkflowID)
			return nil
		},
	}
	cmd.Flags().StringVar(&stage, "stage", "", "the stage being approved; refused if the run waits on another")
	cmd.Flags().StringVar(&comment, "comment", "", "a note kept in the run's history (ticket, reason)")
	cmd.Flags().StringVar(&runID, "run-id", "", "a specific run of the workflow ID (default: the latest)")
	return cmd
}

func newAbortCmd(a *app) *cobra.Command {
	var reason, runID string
	cmd := &cobra.Command{
		Use:   "abort RUN",
		Short: "Stop a staged rotation, rolling back its current stage",
		Long: `Abort a staged rotation: the stage in progress is rolled back (every
secret it promoted returns to its previous version) and later stages never
start. Stages already finished stay rotated.`,
		Example: `  credstage abort staged/nightly/20260101T020000Z --reason "orders API errors"`,
		Args:    exactArgs("RUN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := parseRun(args[0], runID)
			res, err := a.sendUpdate(cmd.Context(), ref, workflows.UpdateAbort, workflows.AbortInput{Reason: reason, By: a.approver()})
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return writeJSON(a.stdout, map[string]any{"workflowId": ref.WorkflowID, "aborted": true, "result": res})
			}
			fmt.Fprintf(a.stdout, "Abort requested for %s; follow it with: credstage status %s --wait\n", ref.WorkflowID, ref.WorkflowID)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, kept in the run's history")
	cmd.Flags().StringVar(&runID, "run-id", "", "a specific run of the workflow ID (default: the latest)")
	return cmd
}
