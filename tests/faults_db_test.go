package tests

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/localaws"
	"github.com/credstage/credstage/workflows"
)

// TestFaultsDatabase breaks the database side of rotations in flight: the
// PostgreSQL behind the instance stopped after the new password was set
// (before promotion, and during it), a database refusing logins (one role,
// then every new session), and the master secret deleted mid-run (before
// the set step, and after it with the worker restarted so its master pool
// is cold). Each ends in a clean rollback with an error naming the cause;
// afterwards every credential logs in and no application data is lost.
func TestFaultsDatabase(t *testing.T) {
	t.Parallel() // mostly waiting (timeouts, outages): runs beside the other waiting tests
	s := startE2EStack(t)
	ctx := testContext(t, 8*time.Minute)
	keepLogOnFailure(t, s)
	rep := newReport(t)

	in, provisioned := provisionInstance(ctx, t, s, "faults-db", "staging",
		[]activities.AppUser{{Name: "app", Strategy: activities.StrategyAlternatingUsers, Grants: []string{"readwrite"}}})
	rep.add(0, 1)
	in.writeCanary(ctx, t)
	secrets := append([]string(nil), provisioned...)
	newUser := func(t *testing.T, role string) string {
		id := in.makeUser(ctx, t, s, "staging/faults-db/"+role, role, "")
		secrets = append(secrets, id)
		return id
	}
	rotate := func(t *testing.T, id string, strategy activities.Strategy, probes []activities.SQLProbe, validators []activities.Validator) client.WorkflowRun {
		run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SecretWorkflowID(id), TaskQueue: workflows.TaskQueue},
			workflows.RotateSecret, workflows.RotateSecretInput{Target: workflows.Target{SecretID: id, Strategy: strategy, Probes: probes},
				Environment: "staging", Validators: validators, PublishMetrics: true})
		if err != nil {
			t.Fatal(err)
		}
		rep.add(0, 1)
		return run
	}
	wantRolledBack := func(t *testing.T, id string, run client.WorkflowRun, before labelPair, cause ...string) {
		t.Helper()
		out, err := outcomeOf(ctx, run)
		if out.Status != workflows.StatusRolledBack {
			t.Errorf("%s: status %q (%s), want rolled-back (run error: %v)", id, out.Status, out.Error, err)
		}
		for _, c := range cause {
			if !strings.Contains(out.Error, c) {
				t.Errorf("%s: error %q does not name the cause %q", id, out.Error, c)
			}
		}
		checkRolledBack(ctx, t, s, rep, id, before)
		t.Logf("%s: %s at %s: %s", id, out.Status, out.LastStep, out.Error)
	}
	stopDB := func(t *testing.T) {
		t.Helper()
		if err := s.aws.Server.StopInstancePostgres(in.id); err != nil {
			t.Fatal(err)
		}
		rep.add(1, 0)
	}
	startDB := func(t *testing.T) {
		t.Helper()
		if err := s.aws.Server.StartInstancePostgres(in.id); err != nil {
			t.Fatal(err)
		}
		in.refreshMaster(ctx, t, s)
	}

	// A reboot (the database stopped for a few seconds) is an outage,
	// shorter than the budget: each step waits it out and the rotation
	// succeeds. Neither the test step's probe nor verify's login is a
	// validation failure because the database was away.
	wantSucceeded := func(t *testing.T, id string, run client.WorkflowRun) {
		t.Helper()
		out, err := outcomeOf(ctx, run)
		if err != nil || out.Status != workflows.StatusSucceeded {
			t.Errorf("%s: status %q at %s (%s), want succeeded: an outage shorter than the budget is waited out (run error: %v)",
				id, out.Status, out.LastStep, out.Error, err)
			rep.goodRolledBack()
		}
		checkCredential(ctx, t, s, rep, id)
	}
	t.Run("database rebooted after set, before promote", func(t *testing.T) {
		// A slow probe holds the test step: the password is set, the
		// database goes away under the probe and comes back.
		single, alt := newUser(t, "dbstop_single"), newUser(t, "dbstop_alt")
		slow := []activities.SQLProbe{{Name: "slow", Query: "SELECT pg_sleep(3) IS NULL", Expect: "false"}}
		runs := map[string]client.WorkflowRun{
			single: rotate(t, single, activities.StrategySingleUser, slow, sqlCanary),
			alt:    rotate(t, alt, activities.StrategyAlternatingUsers, slow, sqlCanary),
		}
		waitFor(ctx, t, "both rotations testing", func() bool {
			return progressStep(ctx, s.client(), workflows.SecretWorkflowID(single)) == activities.StepTest &&
				progressStep(ctx, s.client(), workflows.SecretWorkflowID(alt)) == activities.StepTest
		})
		time.Sleep(500 * time.Millisecond) // inside pg_sleep
		stopDB(t)
		time.Sleep(6 * time.Second)
		startDB(t)
		for id, run := range runs {
			wantSucceeded(t, id, run)
		}
	})

	t.Run("database rebooted during promotion", func(t *testing.T) {
		single := newUser(t, "dbstop_promote")
		f := s.aws.Server.Faults().Add(workerFault(localaws.Fault{Service: "secretsmanager", Op: "UpdateSecretVersionStage",
			Resource: single, Latency: 2 * time.Second, Count: 1}))
		run := rotate(t, single, activities.StrategySingleUser, nil, sqlCanary)
		waitFor(ctx, t, "promotion in flight", func() bool { return hitsOf(s, f) > 0 })
		rep.add(1, 0)
		stopDB(t)
		time.Sleep(6 * time.Second)
		startDB(t)
		wantSucceeded(t, single, run)
	})

	t.Run("pending role refused login", func(t *testing.T) {
		// The role the new version will log in as may not log in: the
		// test step's fresh login says so and the rotation rolls back.
		alt := newUser(t, "refuse_alt")
		first := rotate(t, alt, activities.StrategyAlternatingUsers, nil, sqlCanary)
		if out, err := outcomeOf(ctx, first); err != nil || out.Status != workflows.StatusSucceeded {
			t.Fatalf("first rotation: %+v %v", out, err)
		}
		// AWSCURRENT is now refuse_alt_clone; the next rotation goes back
		// to refuse_alt, which may not log in.
		in.sql(ctx, t, "", `ALTER ROLE refuse_alt NOLOGIN`)
		rep.add(1, 0)
		before := labelsNow(ctx, t, s, alt)
		run := rotate(t, alt, activities.StrategyAlternatingUsers, nil, sqlCanary)
		wantRolledBack(t, alt, run, before, "not permitted to log in")
		in.sql(ctx, t, "", `ALTER ROLE refuse_alt LOGIN`)
	})

	t.Run("database refusing every new session", func(t *testing.T) {
		single := newUser(t, "refuse_db")
		before := labelsNow(ctx, t, s, single)
		f := s.aws.Server.Faults().Add(workerFault(localaws.Fault{Service: "secretsmanager", Op: "PutSecretValue",
			Resource: single, Latency: 2 * time.Second, Count: 1}))
		run := rotate(t, single, activities.StrategySingleUser, nil, sqlCanary)
		waitFor(ctx, t, "create in flight", func() bool { return hitsOf(s, f) > 0 })
		in.sql(ctx, t, "postgres", `ALTER DATABASE orders ALLOW_CONNECTIONS false`)
		rep.add(1, 0)
		time.Sleep(6 * time.Second)
		in.sql(ctx, t, "postgres", `ALTER DATABASE orders ALLOW_CONNECTIONS true`)
		wantRolledBack(t, single, run, before, "not currently accepting connections")
	})

	// A master secret of the secrets' own (not RDS-managed, so it can be
	// deleted), holding the instance's master login.
	customMaster := func(t *testing.T, name string) string {
		t.Helper()
		value, _ := json.Marshal(map[string]any{"engine": "postgres", "host": in.host, "port": in.port,
			"username": in.master.Username, "password": in.master.Password, "dbname": in.db})
		out, err := s.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(string(value))})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ARN)
	}
	deleteSecret := func(t *testing.T, arn string) {
		t.Helper()
		if _, err := s.sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(arn), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		rep.add(1, 0)
	}

	t.Run("master secret deleted before set", func(t *testing.T) {
		master := customMaster(t, "staging/faults-db/master-a")
		id := in.makeUser(ctx, t, s, "staging/faults-db/mdel_a", "mdel_a", master)
		secrets = append(secrets, id)
		before := labelsNow(ctx, t, s, id)
		f := s.aws.Server.Faults().Add(workerFault(localaws.Fault{Service: "secretsmanager", Op: "PutSecretValue",
			Resource: id, Latency: 2 * time.Second, Count: 1}))
		run := rotate(t, id, activities.StrategySingleUser, nil, sqlCanary)
		waitFor(ctx, t, "create in flight", func() bool { return hitsOf(s, f) > 0 })
		deleteSecret(t, master)
		wantRolledBack(t, id, run, before, "master secret", master)
	})

	t.Run("master secret deleted after set, worker restarted", func(t *testing.T) {
		// The password is set and promoted; then the master secret goes
		// and the worker restarts (no pooled master connection left). The
		// verification fails, and the rollback must give the role its old
		// password back without any master.
		master := customMaster(t, "staging/faults-db/master-b")
		id := in.makeUser(ctx, t, s, "staging/faults-db/mdel_b", "mdel_b", master)
		secrets = append(secrets, id)
		before := labelsNow(ctx, t, s, id)
		f := s.aws.Server.Faults().Add(workerFault(localaws.Fault{Service: "secretsmanager", Op: "UpdateSecretVersionStage",
			Resource: id, Latency: 2 * time.Second, Count: 1}))
		failing := []activities.Validator{{Name: "must-fail", SQL: &activities.SQLProbe{Query: "SELECT 1", Expect: "2"}}}
		run := rotate(t, id, activities.StrategySingleUser, nil, failing)
		waitFor(ctx, t, "promotion in flight", func() bool { return hitsOf(s, f) > 0 })
		deleteSecret(t, master)
		s.worker.stop(t) // graceful: the promotion in flight completes
		s.startWorker()
		rep.add(1, 0)
		wantRolledBack(t, id, run, before, "must-fail")
	})

	for _, id := range secrets {
		checkCredential(ctx, t, s, rep, id)
	}
	assertMasterLogin(ctx, t, s, instance{id: in.id, master: in.masterARN})
	in.checkCanary(ctx, t, rep)
	scanForLeaks(ctx, t, s, nil)
}
