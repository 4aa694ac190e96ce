package activities

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

func TestProvisionInstanceAndUsers(t *testing.T) {
	st := localStack(t)
	if st.instance.MasterSecretARN == "" || st.instance.Status != "available" {
		t.Fatalf("instance: %+v", st.instance)
	}
	// The instance's managed master secret logs in.
	must[struct{}](t, st, st.acts.VerifyLogin, LoginCheckInput{SecretID: st.instance.MasterSecretARN})

	// The same run creating it again (a lost reply, a retry after a
	// crash) finds its own instance by the mark.
	req := ProvisionRequest{Identifier: stackInstance, Environment: stackEnv, DBName: stackDB, Run: stackRun}
	again := must[CreateInstanceResult](t, st, st.acts.CreateDBInstance, req)
	if again.Adopted || again.Outcome != OutcomeCreated || again.ARN != st.instance.ARN {
		t.Fatalf("repeat CreateDBInstance of the same run: %+v", again)
	}
	// Another run finds credstage's instance and leaves it as it is.
	req.Run = "other-run"
	other := must[CreateInstanceResult](t, st, st.acts.CreateDBInstance, req)
	if !other.Adopted || other.Outcome != OutcomeExisting {
		t.Fatalf("CreateDBInstance of another run: %+v", other)
	}

	for _, strategy := range []Strategy{StrategySingleUser, StrategyAlternatingUsers} {
		t.Run(string(strategy), func(t *testing.T) {
			in := AppUserInput{Instance: st.instance, Environment: stackEnv, Run: "run-a",
				User: AppUser{Name: "prov_" + map[Strategy]string{StrategySingleUser: "single", StrategyAlternatingUsers: "alt"}[strategy], Strategy: strategy, Grants: []string{"readwrite", "create"}},
				Tags: map[string]string{"team": "payments"}}
			first := must[AppUserResult](t, st, st.acts.CreateAppUser, in)
			if first.Adopted || first.Secret != OutcomeCreated || first.Role != OutcomeCreated || first.SecretARN == "" ||
				first.SecretName != stackEnv+"/"+stackInstance+"/"+in.User.Name || len(first.Grants.Granted) == 0 {
				t.Fatalf("first: %+v", first)
			}
			wantRoles := 1
			if strategy == StrategyAlternatingUsers {
				wantRoles = 2
			}
			if len(first.Roles) != wantRoles {
				t.Fatalf("roles %v", first.Roles)
			}
			// The same run again (a retry) finds its own secret and roles.
			retry := must[AppUserResult](t, st, st.acts.CreateAppUser, in)
			if retry.SecretARN != first.SecretARN || retry.Secret != OutcomeCreated || retry.Role != OutcomeCreated {
				t.Fatalf("retry: %+v", retry)
			}
			// A later provisioning run (a re-run) changes nothing and says so.
			rerun := in
			rerun.Run = "run-b"
			second := must[AppUserResult](t, st, st.acts.CreateAppUser, rerun)
			if second.SecretARN != first.SecretARN || !second.Adopted || second.Secret != OutcomeExisting ||
				second.Role != OutcomeExisting || len(second.Grants.Granted) != 0 {
				t.Fatalf("re-run: %+v", second)
			}
			// ... and its compensation deletes none of it.
			kept := must[UndoResult](t, st, st.acts.DeleteAppUser, rerun)
			if len(kept.Deleted) != 0 || len(kept.Kept) == 0 {
				t.Fatalf("re-run's compensation: %+v", kept)
			}
			st.assertInvariant(t, first.SecretName)
			s := st.secretJSON(t, first.SecretName, stageCurrent)
			if s.MasterARN != st.instance.MasterSecretARN || s.Engine != "postgres" || s.DBName != stackDB {
				t.Fatalf("secret JSON: %v master %q", s, s.MasterARN)
			}
			tags := st.secretTags(t, first.SecretName)
			if tags["Environment"] != stackEnv || tags[tagManaged] != "true" || tags["team"] != "payments" || tags[tagProvisionRun] != "run-a" {
				t.Fatalf("tags %v", tags)
			}
			for _, role := range first.Roles {
				if got := roleMarkRun(st.roleState(t, role).comment); got != "run-a" {
					t.Errorf("role %s marked with run %q, want run-a", role, got)
				}
			}
			// The grants work: the user can create a table and write to it.
			err := st.acts.login(context.Background(), first.SecretName, s, appLogin, func(q Querier) error {
				_, err := q.Exec(context.Background(), "CREATE TABLE IF NOT EXISTS "+quoteIdent("t_"+in.User.Name)+" (id int); INSERT INTO "+quoteIdent("t_"+in.User.Name)+" VALUES (1)")
				return err
			})
			if err != nil {
				t.Fatalf("grants: %v", err)
			}
			// The creating run's compensation drops roles and secret;
			// twice is fine.
			undo := must[UndoResult](t, st, st.acts.DeleteAppUser, in)
			if len(undo.Deleted) != wantRoles+1 {
				t.Fatalf("compensation deleted %v, want the roles and the secret", undo.Deleted)
			}
			must[UndoResult](t, st, st.acts.DeleteAppUser, in)
			if _, err := st.sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(first.SecretName)}); err == nil {
				t.Fatal("secret still there")
			}
			for _, role := range first.Roles {
				if st.roleState(t, role).exists {
					t.Errorf("role %s still exists", role)
				}
			}
		})
	}
}

// TestCreateAppUserRefusesAndAdoptsForeignRole: a role that credstage did
// not make is refused, and nothing is written; adopted, it keeps its
// password and its table, even through compensation.
func TestCreateAppUserRefusesAndAdoptsForeignRole(t *testing.T) {
	st := localStack(t)
	const role, password = "legacy_owner", "Legacy-Own-Password-7"
	st.asMaster(t, "CREATE ROLE "+role+" LOGIN PASSWORD '"+password+"'",
		"GRANT CREATE ON SCHEMA public TO "+role)
	legacy := DBSecret{Host: st.instance.Address, Port: int(st.instance.Port), DBName: stackDB, Username: role, Password: password}
	st.asRole(t, legacy, "CREATE TABLE legacy_ledger (id int)", "INSERT INTO legacy_ledger VALUES (1), (2)")

	in := AppUserInput{Instance: st.instance, Environment: stackEnv, Run: "run-adopt",
		User: AppUser{Name: role, Strategy: StrategySingleUser, Grants: []string{"readwrite"}}}
	name := appUserSecretName(in)
	refused := mustFail(t, st, st.acts.CreateAppUser, in, ErrNotCredstages)
	for _, want := range []string{"role " + role, "--adopt user:" + role} {
		if !contains(refused.Error(), want) {
			t.Errorf("refusal %q does not say %q", refused.Error(), want)
		}
	}
	st.requireNoSecret(t, name)

	in.User.Adopt = true
	mustFail(t, st, st.acts.CreateAppUser, in, ErrInvalidInput) // no current password given

	wrong := st.handover(t, role, "Not-The-Password-1")
	in.User.PasswordFrom = wrong
	mustFail(t, st, st.acts.CreateAppUser, in, ErrLoginFailed)
	st.requireNoSecret(t, name)

	in.User.PasswordFrom = st.handover(t, role, password)
	res := must[AppUserResult](t, st, st.acts.CreateAppUser, in)
	if res.Secret != OutcomeCreated || res.Role != OutcomeAdopted || len(res.Grants.Granted) != 0 || len(res.Grants.Skipped) == 0 {
		t.Fatalf("adopted: %+v", res)
	}
	st.requireNoSecret(t, in.User.PasswordFrom) // the handover is gone
	if got := st.secretJSON(t, name, stageCurrent); got.Password != password || got.Username != role {
		t.Fatal("the new secret does not hold the role's current password")
	}
	st.assertInvariant(t, name)
	// A retry of the same run finds what it did.
	if again := must[AppUserResult](t, st, st.acts.CreateAppUser, in); again.Secret != OutcomeCreated || again.Role != OutcomeAdopted {
		t.Fatalf("retry: %+v", again)
	}

	// Compensation deletes the secret it wrote and keeps the role.
	undo := must[UndoResult](t, st, st.acts.DeleteAppUser, in)
	if len(undo.Deleted) != 1 || len(undo.Kept) != 1 {
		t.Fatalf("compensation: %+v", undo)
	}
	st.requireNoSecret(t, name)
	var rows int
	if err := st.acts.login(context.Background(), role, legacy, appLogin, func(q Querier) error {
		return q.QueryRow(context.Background(), "SELECT count(*) FROM legacy_ledger").Scan(&rows)
	}); err != nil || rows != 2 {
		t.Fatalf("legacy role after compensation: %d rows, %v", rows, err)
	}
	// The CLI drops a handover the worker never consumed.
	if err := st.acts.dropHandover(context.Background(), wrong); err != nil {
		t.Fatal(err)
	}
	st.requireNoSecret(t, wrong)
}

// TestCreateAppUserAdoptsExistingSecret: a secret without credstage's
// mark is refused, and adopted as it is when asked.
func TestCreateAppUserAdoptsExistingSecret(t *testing.T) {
	st := localStack(t)
	const user, password = "adopted_user", "Hand-Made-Password-42"
	st.asMaster(t, "CREATE ROLE "+user+" LOGIN PASSWORD '"+password+"'")
	name := "byhand/" + user
	st.putSecret(t, name, map[string]any{"engine": "postgres", "host": st.instance.Address, "port": st.instance.Port,
		"username": user, "password": password, "dbname": stackDB})
	in := AppUserInput{Instance: st.instance, Environment: stackEnv, Run: "run-secret",
		User: AppUser{Name: user, Strategy: StrategySingleUser, SecretName: name}}
	mustFail(t, st, st.acts.CreateAppUser, in, ErrNotCredstages)
	in.User.Adopt = true
	res := must[AppUserResult](t, st, st.acts.CreateAppUser, in)
	if !res.Adopted || res.Secret != OutcomeAdopted || res.Role != OutcomeAdopted {
		t.Fatalf("%+v", res)
	}
	st.assertInvariant(t, name)
	// An adopted user is not ours to delete.
	must[UndoResult](t, st, st.acts.DeleteAppUser, in)
	st.assertInvariant(t, name)
	if _, ok := st.secretTags(t, name)[tagManaged]; ok {
		t.Fatal("adopting tagged the operator's secret")
	}
}

// TestCreateDBInstanceChecksExisting: an existing instance of another
// database, environment or without credstage's mark is refused.
func TestCreateDBInstanceChecksExisting(t *testing.T) {
	st := localStack(t)
	base := ProvisionRequest{Identifier: stackInstance, Environment: stackEnv, DBName: stackDB, Run: "run-check"}
	for name, tc := range map[string]struct {
		change  func(*ProvisionRequest)
		errType string
		says    string
	}{
		"database":    {func(r *ProvisionRequest) { r.DBName = "otherdb" }, ErrInvalidInput, `database "appdb", not "otherdb"`},
		"environment": {func(r *ProvisionRequest) { r.Environment = "production" }, ErrInvalidInput, `environment "staging"`},
		"master":      {func(r *ProvisionRequest) { r.MasterUsername = "admin" }, ErrInvalidInput, `master user "postgres"`},
	} {
		t.Run(name, func(t *testing.T) {
			req := base
			tc.change(&req)
			app := mustFail(t, st, st.acts.CreateDBInstance, req, tc.errType)
			if !contains(app.Error(), tc.says) {
				t.Fatalf("%q does not say %q", app.Error(), tc.says)
			}
		})
	}
}

func TestWaitInstanceAvailableFailsFastOnMissingInstance(t *testing.T) {
	st := localStack(t)
	start := time.Now()
	app := mustFail(t, st, st.acts.WaitInstanceAvailable, WaitInstanceInput{Identifier: "no-such-instance"}, ErrInstanceNotAvailable)
	if time.Since(start) > 5*time.Second || !contains(app.Error(), "no-such-instance") {
		t.Fatalf("%v after %v", app, time.Since(start))
	}
}

// TestDeleteDBInstanceDeletesOnlyItsRun: a missing instance is fine, and
// an instance of another run is kept.
func TestDeleteDBInstanceDeletesOnlyItsRun(t *testing.T) {
	st := localStack(t)
	must[UndoResult](t, st, st.acts.DeleteDBInstance, DeleteInstanceInput{Identifier: "never-existed", Run: "r"})
	kept := must[UndoResult](t, st, st.acts.DeleteDBInstance, DeleteInstanceInput{Identifier: stackInstance, Run: "another-run"})
	if len(kept.Deleted) != 0 || len(kept.Kept) != 1 {
		t.Fatalf("%+v", kept)
	}
}

func (st *stack) secretTags(t *testing.T, name string) map[string]string {
	t.Helper()
	out, err := st.sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return smTagMap(out.Tags)
}

func (st *stack) requireNoSecret(t *testing.T, name string) {
	t.Helper()
	if _, err := st.sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)}); err == nil {
		t.Fatalf("secret %s exists", name)
	}
}

// handover stores password as the CLI's --password-stdin does.
func (st *stack) handover(t *testing.T, role, password string) string {
	t.Helper()
	out, err := st.sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name:         aws.String("credstage/handover/" + stackInstance + "/" + role + "-" + time.Now().Format("150405.000000")),
		SecretString: aws.String(password), Tags: HandoverTags(stackInstance, role)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

func (st *stack) roleState(t *testing.T, role string) roleState {
	t.Helper()
	var rs roleState
	err := st.acts.login(context.Background(), "master", st.masterLogin(t), masterLogin, func(q Querier) error {
		var err error
		rs, err = readRoleState(context.Background(), q, role)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func (st *stack) asMaster(t *testing.T, stmts ...string) {
	t.Helper()
	st.asRole(t, st.masterLogin(t), stmts...)
}

func (st *stack) asRole(t *testing.T, s DBSecret, stmts ...string) {
	t.Helper()
	err := st.acts.login(context.Background(), s.Username, s, appLogin, func(q Querier) error {
		for _, stmt := range stmts {
			if _, err := q.Exec(context.Background(), stmt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("as %s: %v", s.Username, err)
	}
}
