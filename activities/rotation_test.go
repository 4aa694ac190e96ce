package activities

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// timings collects how long each step took against localaws.
type timings map[string][]time.Duration

func (tm timings) add(step string, d time.Duration) { tm[step] = append(tm[step], d) }

func (tm timings) String() string {
	var names []string
	for n := range tm {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		var sum time.Duration
		for _, d := range tm[n] {
			sum += d
		}
		fmt.Fprintf(&b, "%s=%v(n=%d) ", n, (sum / time.Duration(len(tm[n]))).Round(100*time.Microsecond), len(tm[n]))
	}
	return b.String()
}

func timed[T any](t *testing.T, st *stack, tm timings, step string, fn any, arg any) T {
	t.Helper()
	start := time.Now()
	out := must[T](t, st, fn, arg)
	tm.add(step, time.Since(start))
	return out
}

// rotate runs a full rotation, every step twice to prove it idempotent,
// and returns the token.
func rotate(t *testing.T, st *stack, tm timings, secret string, strategy Strategy) (RotationStep, CreateResult) {
	t.Helper()
	step := newStep(secret, strategy)
	step.Probes = []SQLProbe{{Name: "whoami", Query: "SELECT current_user"}, {Name: "db", Query: "SELECT current_database()", Expect: stackDB}}

	c1 := timed[CreateResult](t, st, tm, "create", st.acts.CreatePending, step)
	c2 := timed[CreateResult](t, st, tm, "create(again)", st.acts.CreatePending, step)
	if c1.AlreadyPending || !c2.AlreadyPending || c1.Username != c2.Username || c1.CurrentVersionID != c2.CurrentVersionID || c1.SecretARN != c2.SecretARN {
		t.Fatalf("create not idempotent: %+v then %+v", c1, c2)
	}
	s1 := timed[SetResult](t, st, tm, "set", st.acts.SetPending, step)
	s2 := timed[SetResult](t, st, tm, "set(again)", st.acts.SetPending, step)
	if s1.Username != c1.Username || s2.Username != c1.Username || s2.CreatedRole {
		t.Fatalf("set not idempotent: %+v then %+v", s1, s2)
	}
	t1 := timed[TestResult](t, st, tm, "test", st.acts.TestPending, step)
	t2 := timed[TestResult](t, st, tm, "test(again)", st.acts.TestPending, step)
	if len(t1.Probes) != 3 || fmt.Sprint(t1) != fmt.Sprint(t2) {
		t.Fatalf("test: %+v then %+v", t1, t2)
	}
	p1 := timed[PromoteResult](t, st, tm, "promote", st.acts.Promote, PromoteInput{Step: step, CurrentVersionID: c1.CurrentVersionID})
	p2 := timed[PromoteResult](t, st, tm, "promote(again)", st.acts.Promote, PromoteInput{Step: step, CurrentVersionID: c1.CurrentVersionID})
	if p1.AlreadyPromoted || !p2.AlreadyPromoted || p1.PreviousVersionID != c1.CurrentVersionID || p2.PreviousVersionID != c1.CurrentVersionID {
		t.Fatalf("promote: %+v then %+v", p1, p2)
	}
	vin := VerifyInput{SecretID: secret, Environment: stackEnv, Validators: []Validator{{Name: "rows", SQL: &SQLProbe{Query: "SELECT 1", Expect: "1"}}}}
	v1 := timed[VerifyResult](t, st, tm, "verify", st.acts.Verify, vin)
	v2 := timed[VerifyResult](t, st, tm, "verify(again)", st.acts.Verify, vin)
	if len(v1.Checks) != 2 || len(v2.Checks) != 2 || !v1.Checks[0].Passed || !v1.Checks[1].Passed {
		t.Fatalf("verify: %+v then %+v", v1, v2)
	}
	stages := st.stages(t, secret)
	if versionWith(stages, stageCurrent) != step.Token || versionWith(stages, stagePrevious) != c1.CurrentVersionID {
		t.Fatalf("labels after rotation: %v", stages)
	}
	st.assertInvariant(t, secret)
	return step, c1
}

func TestFullRotation(t *testing.T) {
	st := localStack(t)
	tm := timings{}
	// Log every statement, so the check below proves that ALTER ROLE never
	// carried a plaintext password (credstage sends SCRAM verifiers).
	su := superuserConn(t, st)
	ctx := context.Background()
	for _, stmt := range []string{"ALTER SYSTEM SET log_statement = 'all'", "SELECT pg_reload_conf()"} {
		if _, err := su.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		_, _ = su.Exec(ctx, "ALTER SYSTEM RESET log_statement")
		_, _ = su.Exec(ctx, "SELECT pg_reload_conf()")
	}()
	for _, strategy := range []Strategy{StrategySingleUser, StrategyAlternatingUsers} {
		t.Run(string(strategy), func(t *testing.T) {
			secret := st.newUser(t, strategy, "readonly")
			before := st.secretJSON(t, secret, stageCurrent)
			for round := 0; round < 3; round++ {
				_, created := rotate(t, st, tm, secret, strategy)
				after := st.secretJSON(t, secret, stageCurrent)
				if after.Password == before.Password || after.Host != before.Host || after.MasterARN != before.MasterARN {
					t.Fatalf("round %d: rotation did not produce a new password on the same target", round)
				}
				switch strategy {
				case StrategyAlternatingUsers:
					if after.Username != alternateUser(before.Username) || created.Username != after.Username {
						t.Fatalf("round %d: user %s -> %s, want the flip", round, before.Username, after.Username)
					}
					// The previous credentials keep working: that is the point
					// of alternating users.
					if !st.logsIn(secret, stagePrevious) {
						t.Fatalf("round %d: AWSPREVIOUS stopped working", round)
					}
				case StrategySingleUser:
					if after.Username != before.Username {
						t.Fatalf("user changed: %s -> %s", before.Username, after.Username)
					}
					if st.logsIn(secret, stagePrevious) {
						t.Fatalf("round %d: the old single-user password still logs in", round)
					}
				}
				before = after
			}
		})
	}
	t.Logf("step times against localaws: %v", tm)
	serverLog := st.serverLog(t)
	if !strings.Contains(serverLog, "ALTER ROLE") || !strings.Contains(serverLog, "SCRAM-SHA-256$") {
		t.Fatal("statement logging did not record the role changes")
	}
	st.assertNoPasswords(t, st.logs.String(), serverLog)
}
