package workerapp

import (
	"context"
	"errors"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
)

// runChecker tells the activities whether a workflow run is open, so a
// batched rotation can judge the leases it finds (activities/lease.go).
// Describing a workflow is strongly consistent, unlike visibility:
// a run that has just started is seen as open.
type runChecker struct{ c client.Client }

var _ activities.RunChecker = runChecker{}

func (r runChecker) RunOpen(ctx context.Context, workflowID, runID string) (bool, error) {
	out, err := r.c.DescribeWorkflow(ctx, workflowID, runID)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return out.RawResponse.GetWorkflowExecutionInfo().GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING, nil
}

var _ activities.AttemptChecker = runChecker{}

// AttemptCurrent reports whether the server still has this attempt of the
// activity as the one running: the run is open, the activity is pending
// and started, on this attempt. A run or activity the server no longer
// has, or a later attempt, means the attempt has been given up on.
func (r runChecker) AttemptCurrent(ctx context.Context, workflowID, runID, activityID string, attempt int32) (bool, error) {
	out, err := r.c.DescribeWorkflow(ctx, workflowID, runID)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, pa := range out.RawResponse.GetPendingActivities() {
		if pa.GetActivityId() == activityID {
			state := pa.GetState()
			return pa.GetAttempt() == attempt && (state == enums.PENDING_ACTIVITY_STATE_STARTED || state == enums.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED), nil
		}
	}
	return false, nil
}
