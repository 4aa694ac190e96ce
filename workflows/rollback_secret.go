package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/engine"
)

// stepVerifyLogin is RollbackSecret's second step, as progress shows it.
const stepVerifyLogin = "verify-login"

// startSecretRun is how an on-demand run on one secret (RollbackSecret,
// RevokeSecret) begins: its progress answers the query, and its search
// attributes say running.
func startSecretRun(ctx workflow.Context, secretID, environment, step string) (*TargetProgress, error) {
	progress := &TargetProgress{SecretID: secretID, Status: StatusRunning, Step: step}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (TargetProgress, error) { return *progress, nil }); err != nil {
		return nil, err
	}
	upsertSearchAttrs(ctx, searchAttrs{Environment: environment, Secret: secretID, Status: StatusRunning})
	return progress, nil
}

// publishSecretCount publishes 1 of metric for one secret.
func publishSecretCount(ctx workflow.Context, metric, environment, secretID string) {
	dims := []activities.Dimension{{Name: engine.DimEnvironment, Value: environment}, {Name: engine.DimSecretName, Value: SecretName(secretID)}}
	publishMetrics(ctx, DefaultMetricsNamespace, []activities.MetricDatum{datum(metric, 1, unitCount, workflow.Now(ctx), dims...)})
}

// RollbackSecret undoes a completed rotation on demand: the secret goes
// back to its AWSPREVIOUS version (labels, and for single-user the
// database password), refusing when AWSCURRENT is not
// ExpectCurrentVersionID (someone else changed the secret since), then a
// fresh login through AWSCURRENT proves the result. It runs under the
// secret's lock ID like RotateSecret. An RDS-managed master secret cannot
// be rolled back this way (RDS owns its password) and is refused.
//
// It publishes RotationRolledBack (or RotationFailed when the rollback
// failed) unless in.SkipMetrics, and fails with the activity's error
// type when the restore or the login fails.
func RollbackSecret(ctx workflow.Context, in RollbackSecretInput) (activities.RestoreResult, error) {
	var problems planProblems
	if in.SecretID == "" {
		problems.add("secretId", "required")
	}
	switch {
	case in.Strategy == activities.StrategyManagedMaster:
		problems.add("strategy", "an RDS-managed master secret cannot be rolled back by credstage (RDS sets its password)")
	case !in.Strategy.Valid():
		problems.add("strategy", "unknown strategy %q (want %s or %s)", in.Strategy, activities.StrategySingleUser, activities.StrategyAlternatingUsers)
	}
	if err := problems.err("rollback secret"); err != nil {
		return activities.RestoreResult{}, err
	}
	progress, err := startSecretRun(ctx, in.SecretID, in.Environment, activities.StepRollback)
	if err != nil {
		return activities.RestoreResult{}, err
	}
	workflow.GetLogger(ctx).Info("rolling back", "secret", in.SecretID, "expectCurrent", in.ExpectCurrentVersionID, "reason", in.Reason)

	var a *activities.Activities
	var res activities.RestoreResult
	err = workflow.ExecuteActivity(withUndoOptions(ctx), a.RestorePrevious, activities.RestoreInput{
		SecretID:               in.SecretID,
		Strategy:               in.Strategy,
		ExpectCurrentVersionID: in.ExpectCurrentVersionID,
		PreviousVersionID:      in.PreviousVersionID,
		RestorePrevious:        in.RestorePrevious,
	}).Get(ctx, &res)
	if err == nil {
		progress.Step = stepVerifyLogin
		err = workflow.ExecuteActivity(withLoginOptions(ctx), a.VerifyLogin, activities.LoginCheckInput{SecretID: in.SecretID}).Get(ctx, nil)
	}

	status := StatusRolledBack
	if err != nil {
		status = StatusFailed
		progress.Error, _ = describeError(err)
		workflow.GetLogger(ctx).Error("ROLLBACK FAILED", "secret", in.SecretID, "step", progress.Step, "error", err)
	}
	progress.Status = status
	upsertSearchAttrs(ctx, searchAttrs{Status: status})
	if !in.SkipMetrics {
		metric := MetricRotationRolledBack
		if err != nil {
			metric = MetricRotationFailed
		}
		publishSecretCount(ctx, metric, in.Environment, in.SecretID)
	}
	if err != nil {
		msg, typ := describeError(err)
		if typ == "" {
			typ = ErrRotationFailed
		}
		return res, temporal.NewNonRetryableApplicationError("roll back "+in.SecretID+" ("+progress.Step+"): "+msg, typ, nil)
	}
	workflow.GetLogger(ctx).Info("rolled back", "secret", in.SecretID, "restored", res.RestoredVersionID,
		"replaced", res.ReplacedVersionID, "alreadyRestored", res.AlreadyRestored)
	return res, nil
}
