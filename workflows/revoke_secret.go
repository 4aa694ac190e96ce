package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/credstage/credstage/activities"
)

// stepRevoke is RevokeSecret's one step, as progress shows it.
const stepRevoke = "revoke-previous"

// RevokeSecretInput asks RevokeSecret to revoke a secret's AWSPREVIOUS
// credentials now.
type RevokeSecretInput struct {
	SecretID string `json:"secretId"`
	// VersionID is the AWSPREVIOUS version the caller saw.
	VersionID   string `json:"versionId"`
	Terminate   bool   `json:"terminate,omitempty"`
	Environment string `json:"environment,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// RevokeSecret makes an alternating-users secret's previous credentials
// stop working now (activities.RevokePrevious: a password nobody knows on
// the previous role, its sessions ended when asked, AWSPREVIOUS removed),
// rather than at the next rotation. It runs under the secret's lock ID
// like RotateSecret, so it never overlaps a rotation or a rollback of the
// secret, and it is recorded like one: search attributes, history, and
// the PreviousRevoked (or RevokeFailed) metric.
func RevokeSecret(ctx workflow.Context, in RevokeSecretInput) (activities.RevokeResult, error) {
	var problems planProblems
	if in.SecretID == "" {
		problems.add("secretId", "required")
	}
	if in.VersionID == "" {
		problems.add("versionId", "required: the AWSPREVIOUS version to revoke")
	}
	if err := problems.err("revoke secret"); err != nil {
		return activities.RevokeResult{}, err
	}
	progress, err := startSecretRun(ctx, in.SecretID, in.Environment, stepRevoke)
	if err != nil {
		return activities.RevokeResult{}, err
	}
	workflow.GetLogger(ctx).Info("revoking the previous credentials", "secret", in.SecretID, "version", in.VersionID, "reason", in.Reason)

	var a *activities.Activities
	var res activities.RevokeResult
	err = workflow.ExecuteActivity(withUndoOptions(ctx), a.RevokePrevious, activities.RevokeInput{
		SecretID: in.SecretID, VersionID: in.VersionID, Terminate: in.Terminate,
	}).Get(ctx, &res)
	status, metric := StatusSucceeded, MetricPreviousRevoked
	if err != nil {
		status, metric = StatusFailed, MetricRevokeFailed
		progress.Error, _ = describeError(err)
	}
	progress.Status = status
	upsertSearchAttrs(ctx, searchAttrs{Status: status})
	publishSecretCount(ctx, metric, in.Environment, in.SecretID)
	if err != nil {
		msg, typ := describeError(err)
		if typ == "" {
			typ = ErrRotationFailed
		}
		return res, temporal.NewNonRetryableApplicationError("revoke the previous credentials of "+in.SecretID+": "+msg, typ, nil)
	}
	workflow.GetLogger(ctx).Info("revoked the previous credentials", "secret", in.SecretID, "role", res.Role,
		"sessionsSinceRotation", res.Sessions.Count, "terminated", res.Terminated)
	return res, nil
}
