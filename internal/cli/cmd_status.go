package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/internal/codec"
	"github.com/credstage/credstage/workflows"
)

func newStatusCmd(a *app) *cobra.Command {
	var runID string
	var wait bool
	var poll time.Duration
	cmd := &cobra.Command{
		Use:   "status [RUN]",
		Short: "Show the progress or result of a run",
		Long: `Show the progress or result of a run. RUN is a workflow ID (or a Web UI
link to the run); without it, the most recent staged rotation. A running
staged rotation answers with its live progress per stage and target; a
finished one with its result. --wait follows a staged rotation like
'rotate --wait' until it ends, and exits 1 if it failed, was rolled back
or was aborted.`,
		Example: `  credstage status
  credstage status staged/nightly/20260101T020000Z
  credstage status rotate/staging/orders/app --output json
  credstage status staged/nightly/20260101T020000Z --wait`,
		Args: maxArgs("RUN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := a.client(ctx)
			if err != nil {
				return err
			}
			var ref runRef
			if len(args) == 1 {
				ref = parseRun(args[0], runID)
			} else if ref, err = a.latestStaged(ctx, c); err != nil {
				return err
			}
			desc, err := a.describe(ctx, c, ref)
			if err != nil {
				return err
			}
			info := desc.WorkflowExecutionInfo
			ref.RunID = info.Execution.RunId
			if wait && info.Type.Name == wfStagedRotation {
				// A run that already ended is "followed" to its result too,
				// so the exit code always tells the outcome.
				return a.follow(ctx, c, ref, poll)
			}
			return a.printStatus(ctx, c, ref, desc)
		},
	}
	cmd.Flags().StringVar(&runID, "run-id", "", "a specific run of the workflow ID (default: the latest)")
	cmd.Flags().BoolVar(&wait, "wait", false, "follow a staged rotation until it ends; exit 1 if it fails, rolls back or is aborted")
	cmd.Flags().DurationVar(&poll, "poll-interval", DefaultPollInterval, "how often --wait asks the run for its progress")
	return cmd
}

// latestStaged finds the most recently started StagedRotation. SQL
// visibility cannot ORDER BY, so the newest of the first page wins.
func (a *app) latestStaged(ctx context.Context, c client.Client) (runRef, error) {
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: a.conn.Namespace,
		Query:     fmt.Sprintf("WorkflowType = '%s'", wfStagedRotation),
		PageSize:  100,
	})
	if err != nil {
		return runRef{}, a.temporalErr(err, runRef{})
	}
	var best runRef
	var bestStart time.Time
	for _, e := range resp.Executions {
		if st := e.StartTime.AsTime(); best.WorkflowID == "" || st.After(bestStart) {
			best, bestStart = runRef{WorkflowID: e.Execution.WorkflowId, RunID: e.Execution.RunId}, st
		}
	}
	if best.WorkflowID == "" {
		return best, badInput("no staged rotation has run in namespace %s yet", a.conn.Namespace)
	}
	return best, nil
}

type statusJSON struct {
	WorkflowID      string              `json:"workflowId"`
	RunID           string              `json:"runId"`
	Type            string              `json:"type"`
	ExecutionStatus string              `json:"executionStatus"`
	StartTime       time.Time           `json:"startTime"`
	CloseTime       *time.Time          `json:"closeTime,omitempty"`
	URL             string              `json:"url"`
	Progress        *workflows.Progress `json:"progress,omitempty"`
	Result          any                 `json:"result,omitempty"`
	Error           string              `json:"error,omitempty"`
}

func (a *app) printStatus(ctx context.Context, c client.Client, ref runRef, desc *workflowservice.DescribeWorkflowExecutionResponse) error {
	info := desc.WorkflowExecutionInfo
	out := statusJSON{
		WorkflowID:      ref.WorkflowID,
		RunID:           ref.RunID,
		Type:            info.Type.Name,
		ExecutionStatus: executionStatus(info.Status),
		StartTime:       info.StartTime.AsTime(),
		URL:             a.runURL(ref.WorkflowID, ref.RunID),
	}
	running := info.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	if info.CloseTime != nil {
		t := info.CloseTime.AsTime()
		out.CloseTime = &t
	}
	if info.Type.Name == wfStagedRotation && running {
		if p, ok := a.queryProgress(ctx, c, ref.WorkflowID, 5*time.Second); ok {
			out.Progress = &p
		}
	}
	if !running {
		out.Result, out.Error = a.result(ctx, c, ref, info.Type.Name)
		if strings.Contains(out.Error, codec.ErrNoKey.Error()) {
			return badInput("run %s: its result cannot be read: %s", ref, out.Error)
		}
		if res, ok := out.Result.(*workflows.StagedRotationResult); ok {
			out.Progress = &workflows.Progress{Plan: res.Plan, Status: res.Status, Stages: res.Stages}
		}
	}
	if a.jsonOutput() {
		return writeJSON(a.stdout, out)
	}
	w := a.stdout
	fmt.Fprintf(w, "run %s (%s)\n", out.WorkflowID, out.Type)
	fmt.Fprintf(w, "  run id:    %s\n", out.RunID)
	fmt.Fprintf(w, "  execution: %s\n", out.ExecutionStatus)
	fmt.Fprintf(w, "  started:   %s\n", timestamp(out.StartTime))
	if out.CloseTime != nil {
		fmt.Fprintf(w, "  closed:    %s (%s)\n", timestamp(*out.CloseTime), humanDuration(out.CloseTime.Sub(out.StartTime)))
	}
	fmt.Fprintf(w, "  web UI:    %s\n", out.URL)
	if out.Progress != nil {
		fmt.Fprintf(w, "\n%s\n", headline(*out.Progress))
		for _, l := range progressLines(*out.Progress, out.WorkflowID, time.Now()) {
			fmt.Fprintln(w, l)
		}
	}
	if res, ok := out.Result.(*workflows.StagedRotationResult); ok && res.Summary != "" {
		fmt.Fprintf(w, "\n%s\n", res.Summary)
	} else if out.Result != nil && out.Progress == nil {
		data, _ := json.MarshalIndent(out.Result, "  ", "  ")
		fmt.Fprintf(w, "  result:    %s\n", data)
	}
	if out.Error != "" {
		fmt.Fprintf(w, "  error:     %s\n", out.Error)
	}
	return nil
}

// result reads a closed run's result (typed for staged rotations) or the
// message of its failure.
func (a *app) result(ctx context.Context, c client.Client, ref runRef, workflowType string) (any, string) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	run := c.GetWorkflow(ctx, ref.WorkflowID, ref.RunID)
	if workflowType == wfStagedRotation {
		var res workflows.StagedRotationResult
		if err := run.Get(ctx, &res); err != nil {
			if res, ok := resultInFailure(err); ok {
				return &res, failureMessage(err)
			}
			return nil, failureMessage(err)
		}
		return &res, ""
	}
	var res any
	if err := run.Get(ctx, &res); err != nil {
		return nil, failureMessage(err)
	}
	return res, ""
}
