package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// Workflow type names, as the worker registers them (function names).
const (
	wfStagedRotation    = "StagedRotation"
	wfRotateSecret      = "RotateSecret"
	wfRollbackSecret    = "RollbackSecret"
	wfRevokeSecret      = "RevokeSecret"
	wfProvisionDatabase = "ProvisionDatabase"
)

// runRef names one workflow run; RunID empty means the latest run.
type runRef struct {
	WorkflowID string
	RunID      string
}

// parseRun accepts a workflow ID or a Web UI link to a run, so a link
// copied from the browser works as well.
func parseRun(arg, runID string) runRef {
	if u, err := url.Parse(arg); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		parts := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
		for i := 0; i+1 < len(parts); i++ {
			if parts[i] == "workflows" {
				id, _ := url.PathUnescape(parts[i+1])
				ref := runRef{WorkflowID: id, RunID: runID}
				if i+2 < len(parts) && ref.RunID == "" && parts[i+2] != "history" {
					ref.RunID, _ = url.PathUnescape(parts[i+2])
				}
				return ref
			}
		}
	}
	return runRef{WorkflowID: arg, RunID: runID}
}

func (r runRef) String() string {
	if r.RunID == "" {
		return r.WorkflowID
	}
	return r.WorkflowID + " (run " + r.RunID + ")"
}

// describe fetches a run's execution info, turning "not found" into the
// exit-2 error people need.
func (a *app) describe(ctx context.Context, c client.Client, ref runRef) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	desc, err := c.DescribeWorkflow(ctx, ref.WorkflowID, ref.RunID)
	if err != nil {
		return nil, a.temporalErr(err, ref)
	}
	return desc.RawResponse, nil
}

// temporalErr classifies a Temporal service error: an unknown run or
// namespace is bad input (2), an unavailable server is unreachable (3).
func (a *app) temporalErr(err error, ref runRef) error {
	var nf *serviceerror.NotFound
	var nsnf *serviceerror.NamespaceNotFound
	var unavailable *serviceerror.Unavailable
	var denied *serviceerror.PermissionDenied
	var invalid *serviceerror.InvalidArgument
	switch {
	case errors.As(err, &nsnf):
		return badInput("namespace %q not found on Temporal at %s", a.conn.Namespace, a.conn.Address)
	case errors.As(err, &nf) && ref.WorkflowID != "":
		return badInput("no workflow run %s in namespace %s", ref, a.conn.Namespace)
	case errors.As(err, &unavailable), errors.Is(err, context.DeadlineExceeded):
		return withCode(ExitUnreachable, fmt.Errorf("cannot reach Temporal at %s: %s", a.conn.Address, cleanTemporalMsg(err)))
	case errors.As(err, &denied):
		return withCode(ExitUnreachable, fmt.Errorf("the Temporal server at %s refused the request: %s", a.conn.Address, cleanTemporalMsg(err)))
	case errors.As(err, &invalid):
		return badInput("%s", cleanTemporalMsg(err))
	}
	return err
}

func cleanTemporalMsg(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
}

// executionStatus names a closed run's status the way credstage's own
// statuses are written (lower case, dash-separated).
func executionStatus(s enumspb.WorkflowExecutionStatus) string {
	switch s {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return "running"
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return "completed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "failed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return "canceled"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "terminated"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return "continued-as-new"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "timed-out"
	}
	return "unknown"
}

// failureMessage is the innermost useful message of a workflow's error:
// the application error's text rather than the SDK's wrapping.
func failureMessage(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) {
		return "canceled"
	}
	var terminated *temporal.TerminatedError
	if errors.As(err, &terminated) {
		return "terminated"
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "timed out"
	}
	return err.Error()
}

// startErr explains a failed start: an ID already running is the usual
// cause and deserves its own words.
func (a *app) startErr(err error, workflowID string) error {
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return failed("a run with workflow ID %s is already running (run %s); see: credstage status %s", workflowID, started.RunId, workflowID)
	}
	return a.temporalErr(err, runRef{})
}
