package tests

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/engine"
	"github.com/credstage/credstage/localaws"
	"github.com/credstage/credstage/workflows"
)

// instance is one provisioned RDS instance of the end-to-end test.
type instance struct {
	id, env   string
	app, repo string // secret names: alternating-users "app", single-user "reporting"
	master    string // ARN of the RDS-managed master secret
}

func provision(ctx context.Context, t *testing.T, s *e2eStack, id, env string) instance {
	t.Helper()
	req := activities.ProvisionRequest{
		Identifier: id, Environment: env, DBName: "orders",
		Users: []activities.AppUser{
			{Name: "app", Strategy: activities.StrategyAlternatingUsers, Grants: []string{"readwrite"}},
			{Name: "reporting", Strategy: activities.StrategySingleUser, Grants: []string{"readonly"}},
		},
		WaitMinDelay: 200 * time.Millisecond, WaitMaxDelay: 2 * time.Second,
	}
	run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: "provision/" + id, TaskQueue: workflows.TaskQueue}, workflows.ProvisionDatabase, req)
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.ProvisionDatabaseResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatalf("provision %s: %v", id, err)
	}
	if len(res.Users) != 2 || res.Instance.MasterSecretARN == "" {
		t.Fatalf("provision %s: result %+v lacks users or the managed master secret", id, res)
	}
	return instance{id: id, env: env, app: res.Users[0].SecretName, repo: res.Users[1].SecretName, master: res.Instance.MasterSecretARN}
}

func stage(name string, validators []activities.Validator, in instance) workflows.Stage {
	return workflows.Stage{
		Name: name, MaxParallel: 2, Validators: validators,
		Targets: []workflows.Target{
			{SecretID: in.app, Strategy: activities.StrategyAlternatingUsers},
			{SecretID: in.repo, Strategy: activities.StrategySingleUser,
				Probes: []activities.SQLProbe{{Name: "catalog", Query: "SELECT count(*) > 0 FROM pg_catalog.pg_tables", Expect: "true"}}},
		},
	}
}

func rotate(ctx context.Context, t *testing.T, s *e2eStack, id string, plan workflows.Plan) (workflows.StagedRotationResult, client.WorkflowRun) {
	t.Helper()
	run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		workflows.StagedRotation, workflows.StagedRotationInput{Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.StagedRotationResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatalf("staged rotation %s: %v", id, err)
	}
	return res, run
}

var sqlCanary = []activities.Validator{{Name: "sql-canary", SQL: &activities.SQLProbe{Query: "SELECT 1", Expect: "1"}}}

// TestEndToEnd runs the main job over the real stack: provision two
// instances, rotate staging then production, break a production validator
// and watch production alone roll back, kill the worker mid-rotation, and
// finally check the metrics, the IAM policy and that no password leaked
// anywhere.
func TestEndToEnd(t *testing.T) {
	s := startE2EStack(t)
	ctx := testContext(t, 10*time.Minute)

	staging := provision(ctx, t, s, "e2e-staging", "staging")
	production := provision(ctx, t, s, "e2e-production", "production")
	secrets := []string{staging.app, staging.repo, production.app, production.repo}
	for _, id := range secrets {
		assertInvariant(ctx, t, s, id)
	}

	t.Run("staged rotation rotates every credential", func(t *testing.T) {
		before := currentVersions(ctx, t, s, secrets)
		// An alarm with no data is INSUFFICIENT_DATA, not ALARM: it passes.
		if _, err := s.cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String("e2e-orders-5xx"), Namespace: aws.String("Orders"), MetricName: aws.String("5xx"),
			Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
			Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		}); err != nil {
			t.Fatal(err)
		}
		stagingStage := withBake(stage("staging", append(sqlCanary, activities.Validator{Name: "orders-5xx",
			Alarm: &activities.AlarmCheck{AlarmName: "e2e-orders-5xx"}}), staging), time.Second)
		// RDS rotates its own master secret: credstage asks and verifies.
		stagingStage.Targets = append(stagingStage.Targets, workflows.Target{SecretID: staging.master, Strategy: activities.StrategyManagedMaster})
		masterBefore := versionWith(ctx, t, s.sm, staging.master, "AWSCURRENT")
		plan := workflows.Plan{Name: "e2e", Stages: []workflows.Stage{stagingStage, stage("production", sqlCanary, production)}}
		res, _ := rotate(ctx, t, s, "e2e-rotation-1", plan)
		if res.Status != workflows.StatusSucceeded {
			t.Fatalf("status %s, want succeeded: %s", res.Status, res.Summary)
		}
		if after := versionWith(ctx, t, s.sm, staging.master, "AWSCURRENT"); after == masterBefore {
			t.Errorf("managed master secret not rotated: AWSCURRENT still %s", after)
		}
		assertMasterLogin(ctx, t, s, staging)
		for _, id := range secrets {
			assertInvariant(ctx, t, s, id)
			after := versionWith(ctx, t, s.sm, id, "AWSCURRENT")
			if after == before[id] {
				t.Errorf("%s: AWSCURRENT still on %s: not rotated", id, after)
			}
			if prev := versionWith(ctx, t, s.sm, id, "AWSPREVIOUS"); prev != before[id] {
				t.Errorf("%s: AWSPREVIOUS is %s, want the version before, %s", id, prev, before[id])
			}
		}
		// Alternating users: the previous credentials still log in, so
		// applications holding them keep working.
		prev, err := readSecret(ctx, s.sm, staging.app, "AWSPREVIOUS", "")
		if err != nil || s.login(ctx, prev) != nil {
			t.Errorf("%s: AWSPREVIOUS of an alternating-users secret should still log in", staging.app)
		}
	})

	t.Run("failing production validator rolls back production only", func(t *testing.T) {
		before := currentVersions(ctx, t, s, secrets)
		broken := []activities.Validator{{Name: "orders-canary", SQL: &activities.SQLProbe{Query: "SELECT count(*) FROM orders_canary", Expect: "0"}}}
		plan := workflows.Plan{Name: "e2e-broken", Stages: []workflows.Stage{
			stage("staging", sqlCanary, staging),
			stage("production", broken, production),
		}}
		res, _ := rotate(ctx, t, s, "e2e-rotation-broken", plan)
		if res.Status != workflows.StatusRolledBack {
			t.Fatalf("status %s, want rolled-back: %s", res.Status, res.Summary)
		}
		for _, id := range secrets {
			assertInvariant(ctx, t, s, id)
		}
		for _, id := range []string{staging.app, staging.repo} {
			if versionWith(ctx, t, s.sm, id, "AWSCURRENT") == before[id] {
				t.Errorf("%s: staging was not rotated", id)
			}
		}
		for _, id := range []string{production.app, production.repo} {
			if got := versionWith(ctx, t, s.sm, id, "AWSCURRENT"); got != before[id] {
				t.Errorf("%s: production AWSCURRENT is %s after rollback, want %s", id, got, before[id])
			}
		}
	})

	t.Run("worker killed mid-rotation, restarted, finishes", func(t *testing.T) {
		before := currentVersions(ctx, t, s, secrets)
		// Promotion of the staging secrets stalls for 3s in localaws, so the
		// worker dies with activities in flight.
		fault := s.aws.Server.Faults().Add(localaws.Fault{Service: "secretsmanager", Op: "UpdateSecretVersionStage",
			Resource: staging.id, Latency: 3 * time.Second, Count: 2})
		defer s.aws.Server.Faults().Remove(fault)
		plan := workflows.Plan{Name: "e2e-crash", Stages: []workflows.Stage{stage("staging", sqlCanary, staging)}}
		run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "e2e-rotation-crash", TaskQueue: workflows.TaskQueue},
			workflows.StagedRotation, workflows.StagedRotationInput{Plan: plan})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(ctx, t, "a promotion in flight", func() bool { return s.aws.Server.Faults().Hits(fault) > 0 })
		s.killWorker()
		s.startWorker()
		var res workflows.StagedRotationResult
		if err := run.Get(ctx, &res); err != nil {
			t.Fatal(err)
		}
		if res.Status != workflows.StatusSucceeded && res.Status != workflows.StatusRolledBack {
			t.Fatalf("status %s after a worker crash: %s", res.Status, res.Summary)
		}
		for _, id := range []string{staging.app, staging.repo} {
			assertInvariant(ctx, t, s, id)
			if res.Status == workflows.StatusSucceeded {
				if prev := versionWith(ctx, t, s.sm, id, "AWSPREVIOUS"); prev != before[id] {
					t.Errorf("%s: AWSPREVIOUS %s, want %s", id, prev, before[id])
				}
			}
		}
	})

	t.Run("failed provisioning is compensated", func(t *testing.T) {
		// The second user's secret cannot be created: everything made before
		// it (the first user's secret, the instance) must be deleted.
		s.aws.Server.Faults().Add(localaws.Fault{Service: "secretsmanager", Op: "CreateSecret",
			Resource: "e2e-doomed/reporting", Code: "AccessDeniedException", Status: 400})
		defer s.aws.Server.Faults().Clear()
		run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "provision/e2e-doomed", TaskQueue: workflows.TaskQueue},
			workflows.ProvisionDatabase, activities.ProvisionRequest{Identifier: "e2e-doomed", Environment: "staging", DBName: "orders",
				Users:        []activities.AppUser{{Name: "app", Strategy: activities.StrategySingleUser}, {Name: "reporting", Strategy: activities.StrategySingleUser}},
				WaitMinDelay: 200 * time.Millisecond, WaitMaxDelay: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := run.Get(ctx, nil); err == nil {
			t.Fatal("provisioning succeeded despite the injected CreateSecret failure")
		}
		if _, err := s.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("staging/e2e-doomed/app")}); err == nil {
			t.Error("the first user's secret survived the compensation")
		}
		waitFor(ctx, t, "instance e2e-doomed deleted", func() bool {
			_, err := s.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("e2e-doomed")})
			return err != nil
		})
		if sum := metricSum(ctx, t, s.cw, "ProvisionFailed", map[string]string{"Environment": "staging", "DBInstanceIdentifier": "e2e-doomed"}); sum <= 0 {
			t.Error("no ProvisionFailed metric for e2e-doomed")
		}
	})

	t.Run("metrics carry the right dimensions", func(t *testing.T) {
		want := []struct {
			name string
			dims map[string]string
		}{
			{"RotationSucceeded", map[string]string{"Environment": "staging", "SecretName": staging.app}},
			{"RotationSucceeded", map[string]string{"Environment": "production", "SecretName": production.repo}},
			{"RotationRolledBack", map[string]string{"Environment": "production", "SecretName": production.app}},
			{"RotationDuration", map[string]string{"Environment": "staging", "SecretName": staging.repo}},
			{"ValidationFailed", map[string]string{"Environment": "production", "SecretName": production.app}},
			{"StageDuration", map[string]string{"Environment": "production"}},
			{"ProvisionSucceeded", map[string]string{"Environment": "staging", "DBInstanceIdentifier": staging.id}},
			{"ProvisionDuration", map[string]string{"Environment": "production", "DBInstanceIdentifier": production.id}},
			// The per-environment roll-ups the alarms watch.
			{"RotationSucceeded", map[string]string{"Environment": "staging"}},
			{"RotationRolledBack", map[string]string{"Environment": "production"}},
			{"RotationDuration", map[string]string{"Environment": "production"}},
			{"ProvisionSucceeded", map[string]string{"Environment": "staging"}},
		}
		for _, w := range want {
			if sum := metricSum(ctx, t, s.cw, w.name, w.dims); sum <= 0 {
				t.Errorf("metric %s %v: sum %v, want > 0", w.name, w.dims, sum)
			}
		}
	})

	t.Run("outcomes recorded on the secrets", func(t *testing.T) {
		for id, want := range map[string]string{staging.app: workflows.StatusSucceeded, production.app: workflows.StatusRolledBack} {
			out, err := s.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
			if err != nil {
				t.Fatal(err)
			}
			var got []engine.Outcome
			for _, tag := range out.Tags {
				if aws.ToString(tag.Key) == engine.TagOutcomes {
					got = engine.ParseOutcomes(aws.ToString(tag.Value))
				}
			}
			if len(got) == 0 || got[0].Status != want {
				t.Errorf("%s: outcomes %+v, want the newest %s", id, got, want)
			}
		}
	})

	t.Run("the inventory ages the fleet under the worker's policy", func(t *testing.T) {
		// The provisioned secrets are tagged credstage:managed: none is
		// older than a year, so each environment publishes OverdueSecrets 0.
		run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "inventory/e2e", TaskQueue: workflows.TaskQueue},
			workflows.Inventory, workflows.InventoryInput{DefaultMaxAge: 365 * 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		var res workflows.InventoryResult
		if err := run.Get(ctx, &res); err != nil {
			t.Fatal(err)
		}
		if res.Managed < len(secrets) || res.Overdue != 0 {
			t.Errorf("inventory: %d managed, %d overdue; want at least %d and none", res.Managed, res.Overdue, len(secrets))
		}
		for _, env := range []string{"staging", "production"} {
			if n := metricSum(ctx, t, s.cw, "OverdueSecrets", map[string]string{"Environment": env}); n <= 0 {
				t.Errorf("no OverdueSecrets sample for %s (0 must be published too)", env)
			}
		}
	})

	t.Run("worker IAM policy matches the actions used", func(t *testing.T) {
		checkPolicyMatchesRequestLog(t, s.aws.Server.Requests().Entries())
	})

	t.Run("no password in histories, logs, errors, metrics or the request log", func(t *testing.T) {
		passwords := allPasswords(ctx, t, s.sm)
		if len(passwords) < 10 {
			t.Fatalf("only %d passwords found: the scan would prove little", len(passwords))
		}
		histories := allHistories(ctx, t, s.client())
		if len(histories) < 8 {
			t.Fatalf("only %d workflow histories found", len(histories))
		}
		for id, h := range histories {
			assertNoPassword(t, "history of "+id, h, passwords)
		}
		assertNoPassword(t, "worker log", s.logs.String(), passwords)
		assertNoPassword(t, "localaws request log", fmt.Sprint(s.aws.Server.Requests().Entries()), passwords)
		metrics, err := s.cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String(workflows.DefaultMetricsNamespace)})
		if err != nil {
			t.Fatal(err)
		}
		assertNoPassword(t, "CloudWatch metrics", fmt.Sprintf("%+v", metrics.Metrics), passwords)
	})
}

func withBake(st workflows.Stage, d time.Duration) workflows.Stage {
	st.Bake = d
	return st
}

func currentVersions(ctx context.Context, t *testing.T, s *e2eStack, ids []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, id := range ids {
		out[id] = versionWith(ctx, t, s.sm, id, "AWSCURRENT")
	}
	return out
}

func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// metricSum reads a metric back through GetMetricData, as a dashboard would.
func metricSum(ctx context.Context, t *testing.T, cw *cloudwatch.Client, name string, dims map[string]string) float64 {
	t.Helper()
	var dd []cwtypes.Dimension
	for k, v := range dims {
		dd = append(dd, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(v)})
	}
	now := time.Now()
	out, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now.Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{
			Id: aws.String("m"),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String(workflows.DefaultMetricsNamespace), MetricName: aws.String(name), Dimensions: dd},
				Period: aws.Int32(3600), Stat: aws.String("SampleCount"),
			},
		}},
	})
	if err != nil {
		t.Fatalf("GetMetricData %s: %v", name, err)
	}
	var sum float64
	for _, r := range out.MetricDataResults {
		for _, v := range r.Values {
			sum += v
		}
	}
	return sum
}

// assertMasterLogin checks the RDS-managed master secret, which holds only
// username and password: the endpoint comes from DescribeDBInstances, as
// RDS documents for these secrets.
func assertMasterLogin(ctx context.Context, t *testing.T, s *e2eStack, in instance) {
	t.Helper()
	if v := versionWith(ctx, t, s.sm, in.master, "AWSPENDING"); v != "" {
		t.Errorf("master secret of %s: AWSPENDING left on %s", in.id, v)
	}
	out, err := s.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(in.id)})
	if err != nil || len(out.DBInstances) != 1 {
		t.Fatalf("describe %s: %v", in.id, err)
	}
	db := out.DBInstances[0]
	sec, err := readSecret(ctx, s.sm, in.master, "AWSCURRENT", "")
	if err != nil {
		t.Fatal(err)
	}
	sec.Host, sec.Port, sec.DBName = aws.ToString(db.Endpoint.Address), float64(aws.ToInt32(db.Endpoint.Port)), aws.ToString(db.DBName)
	if err := s.login(ctx, sec); err != nil {
		t.Errorf("master secret of %s does not log in: %s", in.id, redact(err.Error(), sec.Password))
	}
}
