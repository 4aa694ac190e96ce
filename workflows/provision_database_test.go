package workflows

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/credstage/credstage/activities"
)

func provisionRequest() activities.ProvisionRequest {
	return activities.ProvisionRequest{
		Identifier:  "orders-db",
		Environment: "staging",
		DBName:      "orders",
		Users: []activities.AppUser{
			{Name: "orders_app", Strategy: activities.StrategyAlternatingUsers, Grants: []string{"readwrite"}},
			{Name: "orders_report", Strategy: activities.StrategySingleUser, Grants: []string{"readonly"}},
		},
	}
}

func TestProvisionDatabaseHappyPath(t *testing.T) {
	f := newFake()
	env := newTestEnv(t, f, nil)
	env.ExecuteWorkflow(ProvisionDatabase, provisionRequest())
	require.NoError(t, env.GetWorkflowError())
	var res ProvisionDatabaseResult
	require.NoError(t, env.GetWorkflowResult(&res))

	assert.Equal(t, []string{
		"CreateDBInstance:orders-db", "WaitInstanceAvailable:orders-db",
		"CreateAppUser:orders_app", "CreateAppUser:orders_report",
		"VerifyLogin:arn:aws:secretsmanager:us-east-1:123456789012:secret:staging/orders-db/orders_app-AbCdEf",
		"VerifyLogin:arn:aws:secretsmanager:us-east-1:123456789012:secret:staging/orders-db/orders_report-AbCdEf",
		"PublishMetrics:" + DefaultMetricsNamespace,
	}, f.names())
	assert.Equal(t, "available", res.Instance.Status)
	assert.False(t, res.Adopted)
	require.Len(t, res.Users, 2)
	assert.Equal(t, []string{"orders_app", "orders_app_clone"}, res.Users[0].Roles)
	// Users are created on the available instance.
	assert.Equal(t, "127.0.0.1", f.called("CreateAppUser")[0].Arg.(activities.AppUserInput).Instance.Address)

	names := map[string]float64{}
	for _, d := range f.datums() {
		names[d.Name] = d.Value
		assert.Equal(t, []activities.Dimension{{Name: "DBInstanceIdentifier", Value: "orders-db"}, {Name: "Environment", Value: "staging"}}, d.Dimensions)
	}
	assert.Equal(t, 1.0, names[MetricProvisionSucceeded])
	assert.Contains(t, names, MetricProvisionDuration)
}

// TestProvisionDatabaseCompensation fails each step in turn and checks
// which Delete* activities ran, in which order.
func TestProvisionDatabaseCompensation(t *testing.T) {
	tests := []struct {
		name     string
		failKey  string
		err      error
		adopt    bool
		adoptApp bool
		wantUndo []string
		errType  string
	}{
		// The instance may exist with this run's mark (a lost reply):
		// DeleteDBInstance decides by the mark.
		{name: "create instance", failKey: "CreateDBInstance", err: nonRetryable(activities.ErrAWSRequestRefused),
			wantUndo: []string{"DeleteDBInstance:orders-db"}, errType: activities.ErrAWSRequestRefused},
		// A refusal of an existing instance that is not this run's
		// created nothing.
		{name: "create instance refused", failKey: "CreateDBInstance", err: nonRetryable(activities.ErrNotCredstages),
			wantUndo: nil, errType: activities.ErrNotCredstages},
		{name: "wait available", failKey: "WaitInstanceAvailable", err: nonRetryable(activities.ErrInstanceNotAvailable),
			wantUndo: []string{"DeleteDBInstance:orders-db"}, errType: activities.ErrInstanceNotAvailable},
		// A failed CreateAppUser may have written its secret first: it is
		// compensated too.
		{name: "first user", failKey: "CreateAppUser:orders_app", err: nonRetryable(activities.ErrDatabaseRefused),
			wantUndo: []string{"DeleteAppUser:orders_app", "DeleteDBInstance:orders-db"}, errType: activities.ErrDatabaseRefused},
		{name: "second user", failKey: "CreateAppUser:orders_report", err: nonRetryable(activities.ErrMasterAuthFailed),
			wantUndo: []string{"DeleteAppUser:orders_report", "DeleteAppUser:orders_app", "DeleteDBInstance:orders-db"}, errType: activities.ErrMasterAuthFailed},
		{name: "login", failKey: "VerifyLogin", err: nonRetryable(activities.ErrLoginFailed),
			wantUndo: []string{"DeleteAppUser:orders_report", "DeleteAppUser:orders_app", "DeleteDBInstance:orders-db"}, errType: activities.ErrLoginFailed},
		{name: "login, adopted instance", failKey: "VerifyLogin", err: nonRetryable(activities.ErrLoginFailed), adopt: true,
			wantUndo: []string{"DeleteAppUser:orders_report", "DeleteAppUser:orders_app"}, errType: activities.ErrLoginFailed},
		{name: "login, adopted user", failKey: "VerifyLogin", err: nonRetryable(activities.ErrLoginFailed), adoptApp: true,
			wantUndo: []string{"DeleteAppUser:orders_report", "DeleteDBInstance:orders-db"}, errType: activities.ErrLoginFailed},
		{name: "untyped cause", failKey: "WaitInstanceAvailable", err: errors.New("still creating"),
			wantUndo: []string{"DeleteDBInstance:orders-db"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.fail[tt.failKey] = tt.err
			f.adoptInstance = tt.adopt
			f.adoptUsers["orders_app"] = tt.adoptApp
			env := newTestEnv(t, f, nil)
			env.ExecuteWorkflow(ProvisionDatabase, provisionRequest())
			require.True(t, env.IsWorkflowCompleted())
			var app *temporal.ApplicationError
			require.ErrorAs(t, env.GetWorkflowError(), &app)
			if tt.errType != "" {
				assert.Equal(t, tt.errType, app.Type())
			} else {
				assert.NotEmpty(t, app.Type())
			}
			assert.True(t, app.NonRetryable())

			var undo []string
			for _, n := range f.names() {
				if len(n) > 6 && n[:6] == "Delete" {
					undo = append(undo, n)
				}
			}
			assert.Equal(t, tt.wantUndo, undo)
			d := f.datums()
			require.Len(t, d, 1)
			assert.Equal(t, MetricProvisionFailed, d[0].Name)
		})
	}
}

func TestProvisionDatabaseCompensationFailure(t *testing.T) {
	f := newFake()
	f.fail["VerifyLogin"] = nonRetryable(activities.ErrLoginFailed)
	f.fail["DeleteDBInstance"] = nonRetryable(activities.ErrAWSRequestRefused)
	env := newTestEnv(t, f, nil)
	env.ExecuteWorkflow(ProvisionDatabase, provisionRequest())
	var app *temporal.ApplicationError
	require.ErrorAs(t, env.GetWorkflowError(), &app)
	assert.Equal(t, ErrCompensationFailed, app.Type())
	assert.Contains(t, app.Message(), "COMPENSATION FAILED, left behind: instance orders-db")
	assert.Contains(t, app.Message(), "undone: secret of orders_report, secret of orders_app")
}

func TestProvisionDatabaseInvalidInput(t *testing.T) {
	f := newFake()
	req := provisionRequest()
	req.Identifier = "1bad--id-"
	req.Users = append(req.Users, activities.AppUser{Name: "orders_app", Strategy: activities.StrategyManagedMaster, Grants: []string{"superuser"}})
	env := newTestEnv(t, f, nil)
	env.ExecuteWorkflow(ProvisionDatabase, req)
	var app *temporal.ApplicationError
	require.ErrorAs(t, env.GetWorkflowError(), &app)
	assert.Equal(t, activities.ErrInvalidInput, app.Type())
	for _, field := range []string{"identifier", "users[2].name", "users[2].strategy", "users[2].grants[0]", "users[2].secretName"} {
		assert.Contains(t, app.Message(), field+":")
	}
	assert.Empty(t, f.names(), "bad input creates nothing")
}

// TestProvisionDatabaseDropsUntriedHandover: a run that fails before it
// reaches an adopted user still has that user's password handover
// removed (DeleteAppUser finds nothing else of the run for it), and every
// activity gets the run's mark.
func TestProvisionDatabaseDropsUntriedHandover(t *testing.T) {
	f := newFake()
	f.fail["WaitInstanceAvailable"] = nonRetryable(activities.ErrInstanceNotAvailable)
	req := provisionRequest()
	req.Users[1].Adopt, req.Users[1].PasswordFrom = true, "arn:aws:secretsmanager:us-east-1:1:secret:credstage/handover/orders-db/orders_report-1a2b3c4d"
	env := newTestEnv(t, f, nil)
	env.ExecuteWorkflow(ProvisionDatabase, req)
	require.Error(t, env.GetWorkflowError())
	var undo []string
	for _, n := range f.names() {
		if strings.HasPrefix(n, "Delete") {
			undo = append(undo, n)
		}
	}
	assert.Equal(t, []string{"DeleteAppUser:orders_report", "DeleteDBInstance:orders-db"}, undo)
	run := f.called("CreateDBInstance")[0].Arg.(activities.ProvisionRequest).Run
	assert.NotEmpty(t, run)
	assert.Equal(t, run, f.called("DeleteAppUser")[0].Arg.(activities.AppUserInput).Run)
	assert.Equal(t, run, f.called("DeleteDBInstance")[0].Arg.(activities.DeleteInstanceInput).Run)
}
