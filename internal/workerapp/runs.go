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
