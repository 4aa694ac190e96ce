package tests

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/credstage/credstage/activities"
)

// TestConsumersEndToEnd drives part of the rotation that watches its
// consumers through the CLI on the real stack: a drain policy that refuses
// to change a role a client still logs in as, a bake that shows consumers
// moving over in `credstage status`, and `credstage revoke --previous`
// cutting off a leaked previous credential.
func TestConsumersEndToEnd(t *testing.T) {
	s := startE2EStack(t)
	ctx := testContext(t, 5*time.Minute)
	cli := newCLIRecorder()
	_, names := provisionInstance(ctx, t, s, "consumers", "staging", []activities.AppUser{
		{Name: "app", Strategy: activities.StrategyAlternatingUsers},
		{Name: "report", Strategy: activities.StrategySingleUser},
	})
	app, report := names[0], names[1]
	writePlan := func(name, body string) string {
		p := filepath.Join(t.TempDir(), name+".yaml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rotate := func(plan string) cliResult {
		return cli.run(ctx, s.cliEnv(), "rotate", plan, "--wait", "--poll-interval", "250ms")
	}
	if r := rotate(writePlan("first", fmt.Sprintf("name: first\nstages:\n  - name: staging\n    targets: [{secret: %s, strategy: alternating-users}]\n", app))); r.code != 0 {
		t.Fatalf("first rotation: %s", r)
	}
	prev := mustRead(ctx, t, s, app, "AWSPREVIOUS")
	stale := s.appSession(ctx, t, prev, "stale-e2e")

	t.Run("drain fail leaves the role alone and names the client", func(t *testing.T) {
		before := versionWith(ctx, t, s.sm, app, "AWSCURRENT")
		r := rotate(writePlan("strict", fmt.Sprintf(`name: strict
stages:
  - name: staging
    drain: {mode: fail}
    targets: [{secret: %s, strategy: alternating-users}]
`, app)))
		if r.code == 0 || !strings.Contains(r.stdout+r.stderr, `"stale-e2e"`) || !strings.Contains(r.stdout, "Nothing was changed") {
			t.Fatalf("a drain refusal must fail the run and name the client: %s", r)
		}
		if got := versionWith(ctx, t, s.sm, app, "AWSCURRENT"); got != before {
			t.Errorf("AWSCURRENT moved to %s", got)
		}
		if err := s.login(ctx, prev); err != nil {
			t.Errorf("the previous credentials stopped working although nothing was to change: %s", redact(err.Error(), prev.Password))
		}
		assertInvariant(ctx, t, s, app)
	})

	t.Run("a bake shows consumers moving over", func(t *testing.T) {
		plan := writePlan("watched", fmt.Sprintf(`name: watched
stages:
  - name: staging
    bake: 15s
    targets: [{secret: %s, strategy: alternating-users}]
  - name: production
    targets: [{secret: %s, strategy: single-user}]
`, app, report))
		// A client on today's credentials, which the rotation makes the
		// old ones: it counts on the old role until it reconnects.
		s.appSession(ctx, t, mustRead(ctx, t, s, app, "AWSCURRENT"), "lagging-e2e")
		var wg sync.WaitGroup
		var r cliResult
		wg.Add(1)
		go func() { defer wg.Done(); r = rotate(plan) }()
		var status string
		waitFor(ctx, t, "status to show the staging stage's consumers", func() bool {
			page := runIDs(ctx, t, s, "staged/watched/")
			if len(page) == 0 {
				return false
			}
			status = cli.run(ctx, s.cliEnv(), "status", page[0]).stdout
			return strings.Contains(status, "sessions on the new credentials")
		})
		wg.Wait()
		if r.code != 0 {
			t.Fatalf("watched rotation: %s", r)
		}
		if !strings.Contains(status, "baking") || !strings.Contains(status, "sessions on the new credentials 1, on the old 1") {
			t.Errorf("status during the bake:\n%s", status)
		}
		if !strings.Contains(r.stdout, `drain warn: still logging in as the old role`) || !strings.Contains(r.stdout, `"stale-e2e"`) {
			t.Errorf("the run's summary does not report the stale client:\n%s", r.stdout)
		}
		var one int
		if err := stale.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
			t.Errorf("an open session must survive the password change: %v", err)
		}
		if err := s.login(ctx, prev); !isPasswordRefused(err) {
			t.Errorf("a new login with the changed role's old password: %v, want 28P01", err)
		}
		assertInvariant(ctx, t, s, app)
		assertInvariant(ctx, t, s, report)
	})

	t.Run("revoke --previous cuts off the previous credentials", func(t *testing.T) {
		leakedCreds := mustRead(ctx, t, s, app, "AWSPREVIOUS")
		leaked := s.appSession(ctx, t, leakedCreds, "leaked-laptop")
		r := cli.run(ctx, s.cliEnv(), "revoke", app, "--previous", "--terminate", "--reason", "e2e", "--wait")
		if r.code != 0 || !strings.Contains(r.stdout, "Revoked role "+leakedCreds.Username) || !strings.Contains(r.stdout, `"leaked-laptop"`) ||
			!strings.Contains(r.stdout, "1 terminated") {
			t.Fatalf("revoke: %s", r)
		}
		if err := s.login(ctx, leakedCreds); !isPasswordRefused(err) {
			t.Errorf("login with the revoked credentials: %v, want 28P01", err)
		}
		var one int
		if err := leaked.QueryRow(ctx, "SELECT 1").Scan(&one); err == nil {
			t.Error("the revoked role's session survived --terminate")
		}
		if v := versionWith(ctx, t, s.sm, app, "AWSPREVIOUS"); v != "" {
			t.Errorf("AWSPREVIOUS still on %s after the revoke", v)
		}
		assertInvariant(ctx, t, s, app)
		if h := cli.run(ctx, s.cliEnv(), "history", app); !strings.Contains(h.stdout, "RevokeSecret") {
			t.Errorf("history does not list the revoke:\n%s", h)
		}
		if again := cli.run(ctx, s.cliEnv(), "revoke", app, "--previous"); again.code != 2 || !strings.Contains(again.stderr, "no AWSPREVIOUS") {
			t.Errorf("a second revoke: %s", again)
		}
	})
	scanForLeaks(ctx, t, s, cli)
}

func mustRead(ctx context.Context, t *testing.T, s *e2eStack, secret, stage string) rdsSecret {
	t.Helper()
	v, err := readSecret(ctx, s.sm, secret, stage, "")
	if err != nil {
		t.Fatalf("read %s %s: %v", secret, stage, err)
	}
	return v
}

// appSession opens a session an application keeps, named app.
func (s *e2eStack) appSession(ctx context.Context, t *testing.T, sec rdsSecret, app string) *pgx.Conn {
	t.Helper()
	port, err := sec.port()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := appConnConfig(sec.Host, int(port), s.aws.Server.RDSCABundlePath())
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Password, cfg.Database = sec.Username, sec.Password, sec.DBName
	cfg.RuntimeParams["application_name"] = app
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("session as %s: %s", sec.Username, redact(err.Error(), sec.Password))
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func isPasswordRefused(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "28P01"
}

// runIDs lists the workflow IDs that start with prefix.
func runIDs(ctx context.Context, t *testing.T, s *e2eStack, prefix string) []string {
	t.Helper()
	page, err := s.client().ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: "WorkflowId STARTS_WITH '" + prefix + "'"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range page.Executions {
		ids = append(ids, e.Execution.WorkflowId)
	}
	return ids
}
