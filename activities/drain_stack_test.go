package activities

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/temporal"
)

// appSession opens an application's session with s, named app, as a
// client that never moved to the new credentials would.
func appSession(t *testing.T, secret string, s DBSecret, app string) *pgx.Conn {
	t.Helper()
	cfg := localStack(t).connConfig(t, secret, s)
	cfg.RuntimeParams["application_name"] = app
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("login as %s: %v", s.Username, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// rotatedAlternating is an alternating-users secret rotated once:
// AWSPREVIOUS holds the original role, AWSCURRENT the clone.
func rotatedAlternating(t *testing.T, st *stack) (secret string, previous DBSecret) {
	t.Helper()
	secret = st.newUser(t, StrategyAlternatingUsers)
	rotate(t, st, timings{}, secret, StrategyAlternatingUsers)
	return secret, st.secretJSON(t, secret, stagePrevious)
}

func isAuthRefused(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "28P01"
}

func TestDrainPolicies(t *testing.T) {
	st := localStack(t)
	secret, prev := rotatedAlternating(t, st)
	stale := appSession(t, secret, prev, "stale-billing")

	t.Run("fail changes nothing and names the client", func(t *testing.T) {
		step := newStep(secret, StrategyAlternatingUsers)
		step.Drain = &Drain{Mode: DrainFail}
		c := must[CreateResult](t, st, st.acts.CreatePending, step)
		app := mustFail(t, st, st.acts.SetPending, step, ErrConsumersActive)
		for _, want := range []string{`role "` + prev.Username + `"`, `127.0.0.1 "stale-billing" ×1`, "Nothing was changed"} {
			if !strings.Contains(app.Error(), want) {
				t.Errorf("refusal %q does not say %q", app.Error(), want)
			}
		}
		mustLogin(t, secret, prev) // the previous password still works: nothing changed
		must[RollbackResult](t, st, st.acts.Rollback, RollbackInput{Step: step, CurrentVersionID: c.CurrentVersionID})
		st.assertInvariant(t, secret)
	})

	t.Run("wait gives up after its timeout", func(t *testing.T) {
		step := newStep(secret, StrategyAlternatingUsers)
		step.Drain = &Drain{Mode: DrainWait, Timeout: time.Second}
		c := must[CreateResult](t, st, st.acts.CreatePending, step)
		start := time.Now()
		app := mustFail(t, st, st.acts.SetPending, step, ErrConsumersActive)
		if !strings.Contains(app.Error(), "waited") || time.Since(start) < time.Second {
			t.Errorf("refusal after %s: %v", time.Since(start), app)
		}
		mustLogin(t, secret, prev)
		must[RollbackResult](t, st, st.acts.Rollback, RollbackInput{Step: step, CurrentVersionID: c.CurrentVersionID})
	})

	t.Run("an attempt on another worker keeps the wait's clock", func(t *testing.T) {
		step := newStep(secret, StrategyAlternatingUsers)
		step.Drain = &Drain{Mode: DrainWait, Timeout: time.Minute}
		c := must[CreateResult](t, st, st.acts.CreatePending, step)
		env := st.suite.NewTestActivityEnvironment()
		env.RegisterActivityWithOptions(st.acts, RegisterOptions)
		// The earlier attempt's last heartbeat: waiting for two minutes.
		env.SetHeartbeatDetails(stepBeat{DrainSince: time.Now().Add(-2 * time.Minute)})
		start := time.Now()
		_, err := env.ExecuteActivity(st.acts.SetPending, step)
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || app.Type() != ErrConsumersActive || !strings.Contains(err.Error(), "waited 2m") {
			t.Fatalf("a resumed wait past its timeout: %v, want ConsumersActive after 2m", err)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Fatalf("the resumed wait started over: %s", took)
		}
		mustLogin(t, secret, prev)
		must[RollbackResult](t, st, st.acts.Rollback, RollbackInput{Step: step, CurrentVersionID: c.CurrentVersionID})
	})

	t.Run("wait proceeds once the clients are gone", func(t *testing.T) {
		step := newStep(secret, StrategyAlternatingUsers)
		step.Drain = &Drain{Mode: DrainWait, Timeout: time.Minute}
		c := must[CreateResult](t, st, st.acts.CreatePending, step)
		leaver := appSession(t, secret, prev, "leaving-app")
		go func() {
			time.Sleep(2 * time.Second)
			leaver.Close(context.Background())
			stale.Close(context.Background())
		}()
		s := must[SetResult](t, st, st.acts.SetPending, step)
		if s.Drain == nil || s.Drain.Sessions.Count != 0 || s.Drain.WaitedMS < 2000 {
			t.Fatalf("drain report %+v, want no sessions after a wait of at least 2s", s.Drain)
		}
		must[TestResult](t, st, st.acts.TestPending, step)
		must[PromoteResult](t, st, st.acts.Promote, PromoteInput{Step: step, CurrentVersionID: c.CurrentVersionID})
		st.assertInvariant(t, secret)
	})

	t.Run("warn proceeds and reports", func(t *testing.T) {
		prev := st.secretJSON(t, secret, stagePrevious)
		old := appSession(t, secret, prev, "stale-reports")
		step := newStep(secret, StrategyAlternatingUsers) // no policy: warn
		c := must[CreateResult](t, st, st.acts.CreatePending, step)
		s := must[SetResult](t, st, st.acts.SetPending, step)
		if s.Drain == nil || s.Drain.Mode != DrainWarn || s.Drain.Sessions.Count != 1 || s.Drain.Sessions.Clients[0].ApplicationName != "stale-reports" {
			t.Fatalf("drain report %+v, want the one stale session", s.Drain)
		}
		must[TestResult](t, st, st.acts.TestPending, step)
		must[PromoteResult](t, st, st.acts.Promote, PromoteInput{Step: step, CurrentVersionID: c.CurrentVersionID})
		var one int
		if err := old.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil {
			t.Fatalf("a session open before the change must survive it: %v", err)
		}
		if _, err := pooledLogin(t, secret, prev); !isAuthRefused(err) {
			t.Fatalf("a new login with the changed role's old password: %v, want 28P01", err)
		}
		st.assertInvariant(t, secret)
	})
	st.assertNoPasswords(t, st.logs.String())
}

func TestCountConsumers(t *testing.T) {
	st := localStack(t)
	alt, prev := rotatedAlternating(t, st)
	cur := st.secretJSON(t, alt, stageCurrent)
	appSession(t, alt, cur, "moved")
	appSession(t, alt, cur, "moved")
	appSession(t, alt, prev, "stayed")

	single := st.newUser(t, StrategySingleUser)
	before := appSession(t, single, st.secretJSON(t, single, stageCurrent), "before")
	rotate(t, st, timings{}, single, StrategySingleUser)
	appSession(t, single, st.secretJSON(t, single, stageCurrent), "after")
	_ = before

	got := must[ConsumerCounts](t, st, st.acts.CountConsumers, CountConsumersInput{Targets: []ConsumerTarget{
		{SecretID: alt, Strategy: StrategyAlternatingUsers},
		{SecretID: single, Strategy: StrategySingleUser},
		{SecretID: "no/such/secret", Strategy: StrategySingleUser},
	}})
	want := ConsumerCounts{Secrets: 2, OnCurrent: 3, OnPrevious: 2, Uncounted: 1}
	if got != want {
		t.Fatalf("counts %+v, want %+v", got, want)
	}
}

func TestRevokePrevious(t *testing.T) {
	st := localStack(t)
	secret, prev := rotatedAlternating(t, st)
	prevVersion := versionWith(st.stages(t, secret), stagePrevious)
	leaked := appSession(t, secret, prev, "leaked-laptop")

	in := RevokeInput{SecretID: secret, VersionID: prevVersion, Terminate: true}
	res := must[RevokeResult](t, st, st.acts.RevokePrevious, in)
	if res.Role != prev.Username || res.Sessions.Count != 1 || res.Sessions.Clients[0].ApplicationName != "leaked-laptop" ||
		res.OpenSessions != 1 || res.Terminated != 1 || !res.LabelRemoved {
		t.Fatalf("revoke %+v", res)
	}
	if _, err := pooledLogin(t, secret, prev); !isAuthRefused(err) {
		t.Fatalf("login with the revoked credentials: %v, want 28P01", err)
	}
	var one int
	if err := leaked.QueryRow(context.Background(), "SELECT 1").Scan(&one); err == nil {
		t.Fatal("the revoked role's session survived --terminate")
	}
	if v := versionWith(st.stages(t, secret), stagePrevious); v != "" {
		t.Fatalf("AWSPREVIOUS still on %s", v)
	}
	mustLogin(t, secret, st.secretJSON(t, secret, stageCurrent))

	// A retry after a lost reply finds the label gone and does it again.
	again := must[RevokeResult](t, st, st.acts.RevokePrevious, in)
	if again.Role != prev.Username || again.LabelRemoved {
		t.Fatalf("repeated revoke %+v", again)
	}
	// Nothing to roll back to any more, so nothing can give the old
	// password back.
	mustFail(t, st, st.acts.RestorePrevious, RestoreInput{SecretID: secret, Strategy: StrategyAlternatingUsers}, ErrVersionConflict)

	// The next rotation takes the revoked role as usual.
	rotate(t, st, timings{}, secret, StrategyAlternatingUsers)
	if cur := st.secretJSON(t, secret, stageCurrent); cur.Username != prev.Username {
		t.Fatalf("the next rotation moved to %s, want %s", cur.Username, prev.Username)
	}
	st.assertInvariant(t, secret)

	// The credentials in use are never revoked; a single user has none
	// to revoke.
	current := versionWith(st.stages(t, secret), stageCurrent)
	mustFail(t, st, st.acts.RevokePrevious, RevokeInput{SecretID: secret, VersionID: current}, ErrVersionConflict)
	single := st.newUser(t, StrategySingleUser)
	rotate(t, st, timings{}, single, StrategySingleUser)
	app := mustFail(t, st, st.acts.RevokePrevious, RevokeInput{SecretID: single, VersionID: versionWith(st.stages(t, single), stagePrevious)}, ErrInvalidInput)
	if !strings.Contains(app.Error(), "nothing to revoke") {
		t.Errorf("single-user refusal: %v", app)
	}
	st.assertNoPasswords(t, st.logs.String())
}
