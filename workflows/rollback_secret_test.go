package workflows

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/credstage/credstage/activities"
)

func TestRollbackSecret(t *testing.T) {
	f := newFake()
	env := newTestEnv(t, f, nil)
	in := RollbackSecretInput{SecretID: "prod/app", Strategy: activities.StrategySingleUser,
		ExpectCurrentVersionID: "v-new", Environment: "production", Reason: "bad release"}
	env.ExecuteWorkflow(RollbackSecret, in)
	require.NoError(t, env.GetWorkflowError())
	var res activities.RestoreResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, activities.RestoreResult{RestoredVersionID: "old-prod/app", ReplacedVersionID: "v-new"}, res)
	assert.Equal(t, []string{"RestorePrevious:prod/app", "VerifyLogin:prod/app", "PublishMetrics:" + DefaultMetricsNamespace}, f.names())
	assert.Equal(t, activities.RestoreInput{SecretID: "prod/app", Strategy: activities.StrategySingleUser, ExpectCurrentVersionID: "v-new"},
		f.called("RestorePrevious")[0].Arg)
	d := f.datums()
	require.Len(t, d, 1)
	assert.Equal(t, MetricRotationRolledBack, d[0].Name)
	assert.Equal(t, 1.0, d[0].Value)
	assert.Equal(t, []activities.Dimension{{Name: "Environment", Value: "production"}, {Name: "SecretName", Value: "prod/app"}}, d[0].Dimensions)
}

func TestRollbackSecretRefusesSomeoneElsesChange(t *testing.T) {
	f := newFake()
	f.fail["RestorePrevious"] = nonRetryable(activities.ErrVersionConflict)
	env := newTestEnv(t, f, nil)
	env.ExecuteWorkflow(RollbackSecret, RollbackSecretInput{SecretID: "prod/app", Strategy: activities.StrategySingleUser, ExpectCurrentVersionID: "v-new"})
	var app *temporal.ApplicationError
	require.ErrorAs(t, env.GetWorkflowError(), &app)
	assert.Equal(t, activities.ErrVersionConflict, app.Type())
	assert.Empty(t, f.called("VerifyLogin"))
	d := f.datums()
	require.Len(t, d, 1)
	assert.Equal(t, MetricRotationFailed, d[0].Name)
	assert.Equal(t, []activities.Dimension{{Name: "SecretName", Value: "prod/app"}}, d[0].Dimensions, "no empty Environment dimension")
}

func TestRollbackSecretSkipMetricsAndInvalidInput(t *testing.T) {
	f := newFake()
	env := newTestEnv(t, f, nil)
	env.ExecuteWorkflow(RollbackSecret, RollbackSecretInput{SecretID: "s", Strategy: activities.StrategyAlternatingUsers, SkipMetrics: true})
	require.NoError(t, env.GetWorkflowError())
	assert.Empty(t, f.called("PublishMetrics"))

	f = newFake()
	env = newTestEnv(t, f, nil)
	env.ExecuteWorkflow(RollbackSecret, RollbackSecretInput{SecretID: "rds!db-1", Strategy: activities.StrategyManagedMaster})
	var app *temporal.ApplicationError
	require.ErrorAs(t, env.GetWorkflowError(), &app)
	assert.Equal(t, activities.ErrInvalidInput, app.Type())
	assert.Empty(t, f.names())
}
