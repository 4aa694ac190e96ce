package cli

import (
	"context"
	"errors"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// sendUpdate runs an update on a staged run and waits for the workflow's
// answer. A validator's rejection comes back as an ApplicationError whose
// message is meant for people: it is printed as is, exit 1.
func (a *app) sendUpdate(ctx context.Context, ref runRef, name string, arg any) (any, error) {
	c, err := a.client(ctx)
	if err != nil {
		return nil, err
	}
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   ref.WorkflowID,
		RunID:        ref.RunID,
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var result any
	if err == nil {
		err = h.Get(ctx, &result)
	}
	if err == nil {
		return result, nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return nil, failed("%s refused by %s: %s", name, ref.WorkflowID, appErr.Message())
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		// Either no such run, or it already ended: say which.
		if d, derr := c.DescribeWorkflow(ctx, ref.WorkflowID, ref.RunID); derr == nil {
			return nil, failed("run %s already ended (%s): nothing to %s", ref.WorkflowID, executionStatus(d.RawResponse.WorkflowExecutionInfo.Status), name)
		}
	}
	return nil, a.temporalErr(err, ref)
}

// approver names the person acting, for the run's history.
func (a *app) approver() string {
	return firstNonEmpty(a.env("CREDSTAGE_USER"), a.env("USER"), a.env("USERNAME"), "credstage-cli")
}
