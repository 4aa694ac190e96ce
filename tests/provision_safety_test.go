package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/localaws"
	"github.com/credstage/credstage/workflows"
)

// TestProvisioningSafety: provisioning in an account that already has
// things in it, over the real stack and the CLI, never changes or
// destroys what it did not create and never leaves behind what it did
// (docs/architecture.md, "Provisioning and ownership").
func TestProvisioningSafety(t *testing.T) {
	s := startE2EStack(t)
	keepLogOnFailure(t, s)
	ctx := testContext(t, 8*time.Minute)
	cliOut := newCLIRecorder()
	env := s.cliEnv()
	const id = "safety-a"
	in, _ := provisionInstance(ctx, t, s, id, "staging",
		[]activities.AppUser{{Name: "owner", Strategy: activities.StrategySingleUser, Grants: []string{"readwrite"}}})
	provisionOwner := []string{"provision", "--identifier", id, "--environment", "staging", "--db-name", "orders",
		"--user", "owner:single-user:readwrite", "--wait"}

	// A role app, made by hand, with its own password and a table of rows.
	const appPassword = "Hand-Made-App-Password-9"
	in.sql(ctx, t, "", "CREATE ROLE app LOGIN PASSWORD '"+appPassword+"'", "GRANT CREATE ON SCHEMA public TO app")
	in.asRole(ctx, t, "app", appPassword, "CREATE TABLE ledger (id int, amount int)", "INSERT INTO ledger VALUES (1, 10), (2, 20)")

	t.Run("a foreign role is refused without --adopt, and nothing is written", func(t *testing.T) {
		res := cliOut.run(ctx, env, "provision", "--identifier", id, "--environment", "staging", "--db-name", "orders",
			"--user", "app:single-user:readwrite", "--wait")
		if res.code == 0 || !strings.Contains(res.stderr, "role app already exists") || !strings.Contains(res.stderr, "--adopt user:app") {
			t.Fatalf("want a refusal naming role app and --adopt user:app:\n%s", res)
		}
		requireNoSecret(ctx, t, s, "staging/"+id+"/app")
		in.requireLedger(ctx, t, appPassword)
	})

	t.Run("re-running a successful provisioning changes nothing and says so", func(t *testing.T) {
		before := secretVersions(ctx, t, s, "staging/"+id+"/owner")
		res := cliOut.run(ctx, env, provisionOwner...)
		if res.code != 0 || !strings.Contains(res.stdout, "No changes") || !strings.Contains(res.stdout, "Found "+id) {
			t.Fatalf("re-run:\n%s", res)
		}
		// ledger belongs to app: the master cannot grant on it, and says so.
		if !strings.Contains(res.stdout, "skipped") || !strings.Contains(res.stdout, "ledger") {
			t.Errorf("re-run does not report the table it could not grant on:\n%s", res.stdout)
		}
		if after := secretVersions(ctx, t, s, "staging/"+id+"/owner"); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("re-run changed the owner's secret: versions %v, then %v", before, after)
		}
	})

	t.Run("an adopted role keeps its password and table through a failed run", func(t *testing.T) {
		// The run adopts app, then fails on a later user's secret.
		fault := s.aws.Server.Faults().Add(workerFault(localaws.Fault{Service: "secretsmanager", Op: "CreateSecret",
			Resource: id + "/later", Code: "AccessDeniedException"}))
		defer s.aws.Server.Faults().Remove(fault)
		res := cliOut.runInput(ctx, env, appPassword+"\n", "provision", "--identifier", id, "--environment", "staging", "--db-name", "orders",
			"--user", "app:single-user:readwrite", "--user", "later:single-user", "--adopt", "user:app", "--password-stdin", "--wait")
		if res.code == 0 || !strings.Contains(res.stderr, "CreateSecret") {
			t.Fatalf("want the injected CreateSecret failure:\n%s", res)
		}
		if !strings.Contains(res.stderr, "undone: secret staging/"+id+"/app") {
			t.Errorf("compensation does not say it deleted the secret it wrote for app:\n%s", res.stderr)
		}
		requireNoSecret(ctx, t, s, "staging/"+id+"/app")
		in.requireLedger(ctx, t, appPassword)
		requireNoHandover(ctx, t, s)
	})

	t.Run("adopted, the role keeps its password and the secret holds it", func(t *testing.T) {
		res := cliOut.runInput(ctx, env, appPassword+"\n", "provision", "--identifier", id, "--environment", "staging", "--db-name", "orders",
			"--user", "app:single-user:readwrite", "--adopt", "user:app", "--password-stdin", "--wait")
		if res.code != 0 || !strings.Contains(res.stdout, "adopted") {
			t.Fatalf("adopt:\n%s", res)
		}
		got, err := readSecret(ctx, s.sm, "staging/"+id+"/app", "AWSCURRENT", "")
		if err != nil || got.Password != appPassword {
			t.Fatalf("the adopted role's secret does not hold its current password (%v)", err)
		}
		in.requireLedger(ctx, t, appPassword)
		requireNoHandover(ctx, t, s)
	})

	t.Run("an existing instance of another database or environment is refused, nothing changed", func(t *testing.T) {
		tagsBefore := instanceTags(ctx, t, s, id)
		for _, c := range []struct{ flag, value, says string }{
			{"--db-name", "billing", `database "orders", not "billing"`},
			{"--environment", "production", `environment "staging"`},
		} {
			args := []string{"provision", "--identifier", id, "--environment", "staging", "--db-name", "orders", "--user", "extra:single-user", "--wait"}
			for i, a := range args {
				if a == c.flag {
					args[i+1] = c.value
				}
			}
			res := cliOut.run(ctx, env, args...)
			if res.code == 0 || !strings.Contains(res.stderr, c.says) {
				t.Errorf("%s %s: want a refusal saying %q:\n%s", c.flag, c.value, c.says, res)
			}
		}
		requireNoSecret(ctx, t, s, "staging/"+id+"/extra")
		requireNoSecret(ctx, t, s, "production/"+id+"/extra")
		if after := instanceTags(ctx, t, s, id); fmt.Sprint(after) != fmt.Sprint(tagsBefore) {
			t.Errorf("instance tags changed: %v, then %v", tagsBefore, after)
		}
	})

	t.Run("a failure after a user's CreateSecret removes its secret and roles", func(t *testing.T) {
		// The master is left without any way to give CONNECT: the
		// database belongs to another role, PUBLIC has no CONNECT. The
		// user's secret and roles are written before its grants fail.
		in.sql(ctx, t, "", "CREATE ROLE db_keeper", "GRANT db_keeper TO "+in.master.Username,
			"ALTER DATABASE orders OWNER TO db_keeper", "SET ROLE db_keeper",
			"REVOKE CONNECT ON DATABASE orders FROM PUBLIC",
			"GRANT CONNECT ON DATABASE orders TO "+in.master.Username+", owner, app", "RESET ROLE",
			"REVOKE db_keeper FROM "+in.master.Username)
		res := cliOut.run(ctx, env, "provision", "--identifier", id, "--environment", "staging", "--db-name", "orders",
			"--user", "doomed:alternating-users:readonly", "--wait")
		if res.code == 0 || !strings.Contains(res.stderr, "CONNECT") {
			t.Fatalf("want the grant failure naming CONNECT:\n%s", res)
		}
		// The secret and both roles were there before the failure, and
		// compensation says it removed them.
		if want := "undone: role doomed_clone, role doomed, secret staging/" + id + "/doomed"; !strings.Contains(res.stderr, want) {
			t.Errorf("compensation does not say %q:\n%s", want, res.stderr)
		}
		requireNoSecret(ctx, t, s, "staging/"+id+"/doomed")
		for _, role := range []string{"doomed", "doomed_clone"} {
			if in.roleExists(ctx, t, role) {
				t.Errorf("role %s survived the compensation", role)
			}
		}
		in.requireLedger(ctx, t, appPassword)
	})

	t.Run("no password leaked", func(t *testing.T) {
		scanForLeaks(ctx, t, s, cliOut)
	})
}

// TestProvisioningLostCreateReply: the CreateDBInstance reply is lost
// after RDS created the instance; the SDK's retry meets
// DBInstanceAlreadyExists. The run knows the instance by its mark, so
// when a later step fails, compensation deletes it.
func TestProvisioningLostCreateReply(t *testing.T) {
	s := startE2EStack(t)
	keepLogOnFailure(t, s)
	ctx := testContext(t, 5*time.Minute)
	const id = "safety-lost"
	drop := s.aws.Server.Faults().Add(workerFault(localaws.Fault{Service: "rds", Op: "CreateDBInstance", DropReply: true, Count: 1}))
	s.aws.Server.Faults().Add(workerFault(localaws.Fault{Service: "secretsmanager", Op: "CreateSecret", Resource: id + "/app", Code: "AccessDeniedException"}))
	defer s.aws.Server.Faults().Clear()
	run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "provision/" + id, TaskQueue: workflows.TaskQueue},
		workflows.ProvisionDatabase, activities.ProvisionRequest{Identifier: id, Environment: "staging", DBName: "orders",
			Users:        []activities.AppUser{{Name: "app", Strategy: activities.StrategySingleUser}},
			WaitMinDelay: 200 * time.Millisecond, WaitMaxDelay: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = run.Get(ctx, nil)
	if err == nil || !strings.Contains(err.Error(), "undone:") || !strings.Contains(err.Error(), "instance "+id) {
		t.Fatalf("want a failed run that undid instance %s, got %v", id, err)
	}
	if s.aws.Server.Faults().Hits(drop) != 1 {
		t.Fatal("the CreateDBInstance reply was never dropped")
	}
	var codes []string
	for _, e := range s.aws.Server.Requests().Entries() {
		if e.Op == "CreateDBInstance" {
			codes = append(codes, fmt.Sprintf("%d %s", e.Status, e.Error))
		}
	}
	if len(codes) < 2 || !strings.Contains(codes[1], "DBInstanceAlreadyExists") {
		t.Fatalf("CreateDBInstance calls %v: want the dropped one, then DBInstanceAlreadyExists", codes)
	}
	waitFor(ctx, t, "instance "+id+" deleted", func() bool {
		_, err := s.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
		return err != nil
	})
}

func (in *faultInstance) asRole(ctx context.Context, t *testing.T, role, password string, stmts ...string) {
	t.Helper()
	conn, err := in.connectAs(ctx, "", role, password)
	if err != nil {
		t.Fatalf("login as %s: %v", role, redact(err.Error(), password))
	}
	defer conn.Close(context.Background())
	for _, st := range stmts {
		if _, err := conn.Exec(ctx, st); err != nil {
			t.Fatalf("as %s: %.60s: %v", role, st, err)
		}
	}
}

// requireLedger: app still logs in with its own password and its rows
// are all there.
func (in *faultInstance) requireLedger(ctx context.Context, t *testing.T, password string) {
	t.Helper()
	conn, err := in.connectAs(ctx, "", "app", password)
	if err != nil {
		t.Fatalf("role app no longer logs in with its own password: %v", redact(err.Error(), password))
	}
	defer conn.Close(context.Background())
	var n, sum int
	if err := conn.QueryRow(ctx, "SELECT count(*), sum(amount) FROM ledger").Scan(&n, &sum); err != nil || n != 2 || sum != 30 {
		t.Fatalf("app's ledger: %d rows summing %d (%v), want 2 and 30", n, sum, err)
	}
}

func (in *faultInstance) roleExists(ctx context.Context, t *testing.T, role string) bool {
	t.Helper()
	conn, err := in.connect(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", role).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	return exists
}

func requireNoSecret(ctx context.Context, t *testing.T, s *e2eStack, name string) {
	t.Helper()
	if _, err := s.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)}); err == nil {
		t.Errorf("secret %s exists", name)
	}
}

// requireNoHandover: no password handover secret is left.
func requireNoHandover(ctx context.Context, t *testing.T, s *e2eStack) {
	t.Helper()
	out, err := s.sm.ListSecrets(ctx, &secretsmanager.ListSecretsInput{
		Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"credstage/handover/"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range out.SecretList {
		b, _ := json.Marshal(sec.Tags)
		t.Errorf("handover secret %s left behind (tags %s)", aws.ToString(sec.Name), b)
	}
}

func instanceTags(ctx context.Context, t *testing.T, s *e2eStack, id string) map[string]string {
	t.Helper()
	out, err := s.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil || len(out.DBInstances) != 1 {
		t.Fatalf("describe %s: %v", id, err)
	}
	m := map[string]string{}
	for _, tag := range out.DBInstances[0].TagList {
		m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return m
}
