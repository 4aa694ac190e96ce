package activities

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/rds"
)

var hostileStrings = []string{
	"plain", "it's", "'; DROP ROLE postgres; --", `back\slash`, `\'; SELECT 1; --`, `''\\''`,
	"$$dollar$$", "$tag$x$tag$", "new\nline\ttab", "ünïcödé ✓", `"quoted"`, "E'x'", "/*c*/--d",
	`\`, `'`, `\\'`, "trailing\\",
}

// TestQuoteLiteralRoundTripsThroughPostgres sends every hostile string as a
// literal to the real server, with standard_conforming_strings on and off,
// and gets it back unchanged.
func TestQuoteLiteralRoundTripsThroughPostgres(t *testing.T) {
	st := localStack(t)
	ctx := context.Background()
	err := st.acts.login(ctx, "master", st.masterLogin(t), masterLogin, func(q Querier) error {
		for _, scs := range []string{"on", "off"} {
			if _, err := q.Exec(ctx, "SET standard_conforming_strings = "+scs); err != nil {
				return err
			}
			for _, s := range hostileStrings {
				lit, err := quoteLiteral(s)
				if err != nil {
					t.Fatalf("%q: %v", s, err)
				}
				var got string
				if err := q.QueryRow(ctx, "SELECT "+lit).Scan(&got); err != nil {
					t.Fatalf("scs=%s %q as %s: %v", scs, s, lit, err)
				}
				if got != s {
					t.Fatalf("scs=%s: %q came back as %q", scs, s, got)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHostilePasswordsAndRoleNamesLogIn creates roles with hostile names
// and passwords (ASCII ones go as SCRAM verifiers, others as literals) and
// logs in with each.
func TestHostilePasswordsAndRoleNamesLogIn(t *testing.T) {
	st := localStack(t)
	ctx := context.Background()
	master := st.masterLogin(t)
	cases := []struct{ role, password string }{
		{`we"ird role`, `'; DROP ROLE postgres; --\`},
		{"Ümlaut_role", "pä'ss\\wörd;--"},
		{"plain_role_x", `$$'"\\`},
	}
	for _, c := range cases {
		err := st.acts.login(ctx, "master", master, masterLogin, func(q Querier) error {
			if _, err := createLoginRole(ctx, q, c.role, c.password, ""); err != nil {
				return err
			}
			_, err := q.Exec(ctx, "GRANT CONNECT ON DATABASE "+quoteIdent(stackDB)+" TO "+quoteIdent(c.role))
			return err
		})
		if err != nil {
			t.Fatalf("%q: %v", c.role, err)
		}
		login := DBSecret{Host: master.Host, Port: master.Port, DBName: stackDB, Username: c.role, Password: c.password}
		if err := st.acts.login(ctx, "hostile", login, appLogin, selectOne(ctx)); err != nil {
			t.Fatalf("%q cannot log in with its password: %v", c.role, err)
		}
		_ = st.acts.login(ctx, "master", master, masterLogin, func(q Querier) error { _, err := dropRole(ctx, q, c.role); return err })
	}
}

// noInstances is an RDS that knows no instance, so a secret without
// masterarn has no master at all.
type noInstances struct{ RDSAPI }

func (noInstances) DescribeDBInstances(context.Context, *rds.DescribeDBInstancesInput, ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error) {
	return &rds.DescribeDBInstancesOutput{}, nil
}

// TestRotationWithoutMaster: a single-user secret without masterarn, on a
// database no RDS instance describes, changes its own password; rollback
// restores it the same way.
func TestRotationWithoutMaster(t *testing.T) {
	st := localStack(t)
	secret := st.newUser(t, StrategySingleUser)
	// Drop masterarn from the secret (a new AWSCURRENT version).
	cur := st.secretJSON(t, secret, stageCurrent)
	delete(cur.raw, "masterarn")
	st.putCurrent(t, secret, cur)

	selfActs := st.newActs(Options{RDS: noInstances{}})
	defer selfActs.Close()
	saved := st.acts
	st.acts = selfActs
	defer func() { st.acts = saved }()

	rotate(t, st, timings{}, secret, StrategySingleUser)

	step := newStep(secret, StrategySingleUser)
	c := must[CreateResult](t, st, st.acts.CreatePending, step)
	must[SetResult](t, st, st.acts.SetPending, step)
	again := must[SetResult](t, st, st.acts.SetPending, step)
	if !again.AlreadySet {
		t.Fatalf("a repeated self-service set must find the password in place: %+v", again)
	}
	r := must[RollbackResult](t, st, st.acts.Rollback, RollbackInput{Step: step, CurrentVersionID: c.CurrentVersionID, PasswordSet: true})
	if !r.RestoredPassword || !r.CurrentLoginCheck {
		t.Fatalf("%+v", r)
	}
	st.assertInvariant(t, secret)
	// Alternating users need a master to create the clone.
	alt := newStep(secret, StrategyAlternatingUsers)
	ac := must[CreateResult](t, st, st.acts.CreatePending, alt)
	mustFail(t, st, st.acts.SetPending, alt, ErrInvalidInput)
	must[RollbackResult](t, st, st.acts.Rollback, RollbackInput{Step: alt, CurrentVersionID: ac.CurrentVersionID})
	st.assertInvariant(t, secret)
}
