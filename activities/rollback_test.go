package activities

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// TestRollbackAfterEachStep fails a rotation after each step (the test and
// verify steps fail for real: a probe that does not hold, validators that
// do not pass) and checks that Rollback, run twice, restores the secret:
// AWSCURRENT is the version from before, it logs in, no AWSPENDING.
func TestRollbackAfterEachStep(t *testing.T) {
	st := localStack(t)
	unhealthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer unhealthy.Close()
	alarm := "credstage-acts-rollback-alarm"
	ctx := context.Background()
	if _, err := st.cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(alarm), Namespace: aws.String("App"),
		MetricName: aws.String("Errors"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(alarm), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("test")}); err != nil {
		t.Fatal(err)
	}

	steps := []string{"none", StepCreate, StepSet, StepTest, StepPromote, StepVerify}
	for _, strategy := range []Strategy{StrategySingleUser, StrategyAlternatingUsers} {
		for _, failAt := range steps {
			t.Run(string(strategy)+"/"+failAt, func(t *testing.T) {
				secret := st.newUser(t, strategy)
				original := versionWith(st.stages(t, secret), stageCurrent)
				step := newStep(secret, strategy)
				in := RollbackInput{Step: step}
				reached := func(s string) bool {
					for _, x := range steps {
						if x == s {
							return true
						}
						if x == failAt {
							return false
						}
					}
					return false
				}
				if reached(StepCreate) {
					c := must[CreateResult](t, st, st.acts.CreatePending, step)
					in.CurrentVersionID = c.CurrentVersionID
				}
				if reached(StepSet) {
					must[SetResult](t, st, st.acts.SetPending, step)
					// PasswordSet stays false: as if set died after acting and
					// before reporting; rollback must not trust the flag.
				}
				if failAt == StepTest {
					bad := step
					bad.Probes = []SQLProbe{{Name: "wrong-db", Query: "SELECT current_database()", Expect: "elsewhere"}}
					app := mustFail(t, st, st.acts.TestPending, bad, ErrValidationFailed)
					if !contains(app.Error(), "wrong-db") || !contains(app.Error(), secret) {
						t.Fatalf("message %q must name the probe and the secret", app.Error())
					}
				}
				if reached(StepPromote) {
					must[TestResult](t, st, st.acts.TestPending, step)
					must[PromoteResult](t, st, st.acts.Promote, PromoteInput{Step: step, CurrentVersionID: in.CurrentVersionID})
					in.Promoted = true
				}
				if failAt == StepVerify {
					app := mustFail(t, st, st.acts.Verify, VerifyInput{SecretID: secret, Validators: []Validator{
						{Name: "health", HTTP: &HTTPCheck{URL: unhealthy.URL}},
						{Name: "errors-alarm", Alarm: &AlarmCheck{AlarmName: alarm}},
						{Name: "probe-ok", SQL: &SQLProbe{Query: "SELECT 1", Expect: "1"}},
					}}, ErrValidationFailed)
					var vr VerifyResult
					if err := app.Details(&vr); err != nil {
						t.Fatalf("details: %v", err)
					}
					passed := map[string]bool{}
					for _, c := range vr.Checks {
						passed[c.Name] = c.Passed
					}
					if passed["health"] || passed["errors-alarm"] || !passed["probe-ok"] || len(vr.Checks) != 4 {
						t.Fatalf("checks %+v", vr.Checks)
					}
					if !contains(app.Error(), "health") || !contains(app.Error(), "errors-alarm") || contains(app.Error(), "probe-ok") {
						t.Fatalf("message %q must list exactly the failed checks", app.Error())
					}
				}
				r1 := must[RollbackResult](t, st, st.acts.Rollback, in)
				r2 := must[RollbackResult](t, st, st.acts.Rollback, in)
				if !r1.CurrentLoginCheck || !r2.CurrentLoginCheck || r1.CurrentVersionID != original || r2.RemovedPending || r2.RestoredCurrent {
					t.Fatalf("rollback: %+v then %+v", r1, r2)
				}
				if r1.RestoredCurrent != reached(StepPromote) || r1.RemovedPending != (reached(StepCreate) && !reached(StepPromote)) {
					t.Fatalf("rollback did not undo exactly what was done: %+v", r1)
				}
				if got := versionWith(st.stages(t, secret), stageCurrent); got != original {
					t.Fatalf("AWSCURRENT on %s, want %s", got, original)
				}
				st.assertInvariant(t, secret)
			})
		}
	}
	st.assertNoPasswords(t, st.logs.String())
}

func TestRestorePrevious(t *testing.T) {
	st := localStack(t)
	for _, strategy := range []Strategy{StrategySingleUser, StrategyAlternatingUsers} {
		t.Run(string(strategy), func(t *testing.T) {
			secret := st.newUser(t, strategy)
			step, created := rotate(t, st, timings{}, secret, strategy)
			in := RestoreInput{SecretID: secret, Strategy: strategy, ExpectCurrentVersionID: step.Token}
			r1 := must[RestoreResult](t, st, st.acts.RestorePrevious, in)
			if r1.RestoredVersionID != created.CurrentVersionID || r1.ReplacedVersionID != step.Token || r1.AlreadyRestored {
				t.Fatalf("restore: %+v", r1)
			}
			st.assertInvariant(t, secret)
			r2 := must[RestoreResult](t, st, st.acts.RestorePrevious, in)
			if !r2.AlreadyRestored || r2.RestoredVersionID != r1.RestoredVersionID {
				t.Fatalf("restore again: %+v", r2)
			}
			st.assertInvariant(t, secret)
			// A stage undoing the rotation it just made also puts
			// AWSPREVIOUS back where it was before (here: the first
			// rotation's, or none), and a retry finds it done.
			again, created2 := rotate(t, st, timings{}, secret, strategy)
			in2 := RestoreInput{SecretID: secret, Strategy: strategy, ExpectCurrentVersionID: again.Token,
				PreviousVersionID: created2.PreviousVersionID, RestorePrevious: created2.PreviousKnown}
			must[RestoreResult](t, st, st.acts.RestorePrevious, in2)
			if r := must[RestoreResult](t, st, st.acts.RestorePrevious, in2); !r.AlreadyRestored {
				t.Fatalf("restore with AWSPREVIOUS, again: %+v", r)
			}
			stages := st.stages(t, secret)
			if cur, prev := versionWith(stages, stageCurrent), versionWith(stages, stagePrevious); cur != created2.CurrentVersionID || prev != created2.PreviousVersionID {
				t.Errorf("after the stage's restore: AWSCURRENT %s AWSPREVIOUS %q, want %s and %q as before the rotation", cur, prev, created2.CurrentVersionID, created2.PreviousVersionID)
			}
			st.assertInvariant(t, secret)
			// A guard that names neither current nor previous refuses.
			mustFail(t, st, st.acts.RestorePrevious, RestoreInput{SecretID: secret, Strategy: strategy, ExpectCurrentVersionID: "00000000-0000-0000-0000-000000000000"}, ErrVersionConflict)
			// And the secret rotates normally afterwards.
			rotate(t, st, timings{}, secret, strategy)
		})
	}
}

func TestStalePendingCleared(t *testing.T) {
	st := localStack(t)
	for _, strategy := range []Strategy{StrategySingleUser, StrategyAlternatingUsers} {
		t.Run(string(strategy), func(t *testing.T) {
			secret := st.newUser(t, strategy)
			crashed := newStep(secret, strategy)
			must[CreateResult](t, st, st.acts.CreatePending, crashed)
			must[SetResult](t, st, st.acts.SetPending, crashed) // and then the run died
			step := newStep(secret, strategy)
			c := must[CreateResult](t, st, st.acts.CreatePending, step)
			if c.StaleCleared != crashed.Token {
				t.Fatalf("stale not reported: %+v", c)
			}
			must[SetResult](t, st, st.acts.SetPending, step)
			must[TestResult](t, st, st.acts.TestPending, step)
			must[PromoteResult](t, st, st.acts.Promote, PromoteInput{Step: step, CurrentVersionID: c.CurrentVersionID})
			must[VerifyResult](t, st, st.acts.Verify, VerifyInput{SecretID: secret})
			st.assertInvariant(t, secret)
			// The crashed token cannot be resumed: its version lost AWSPENDING.
			mustFail(t, st, st.acts.Promote, PromoteInput{Step: crashed}, ErrVersionConflict)
		})
	}
}

func TestPromoteRefusesThirdVersion(t *testing.T) {
	st := localStack(t)
	secret := st.newUser(t, StrategySingleUser)
	step := newStep(secret, StrategySingleUser)
	c := must[CreateResult](t, st, st.acts.CreatePending, step)
	// Someone else rotates the secret meanwhile.
	rotateOther := newStep(secret, StrategySingleUser)
	must[CreateResult](t, st, st.acts.CreatePending, rotateOther) // clears our pending as stale
	mustFail(t, st, st.acts.Promote, PromoteInput{Step: step, CurrentVersionID: c.CurrentVersionID}, ErrVersionConflict)
	oc := must[CreateResult](t, st, st.acts.CreatePending, rotateOther)
	must[SetResult](t, st, st.acts.SetPending, rotateOther)
	must[PromoteResult](t, st, st.acts.Promote, PromoteInput{Step: rotateOther, CurrentVersionID: oc.CurrentVersionID})
	// Our rollback must not undo their rotation.
	mustFail(t, st, st.acts.Rollback, RollbackInput{Step: step, CurrentVersionID: c.CurrentVersionID}, ErrVersionConflict)
	st.assertInvariant(t, secret)

	// AWSCURRENT moved by hand while our version is still pending.
	mine := newStep(secret, StrategySingleUser)
	mc := must[CreateResult](t, st, st.acts.CreatePending, mine)
	st.putCurrent(t, secret, st.secretJSON(t, secret, stageCurrent))
	mustFail(t, st, st.acts.Promote, PromoteInput{Step: mine, CurrentVersionID: mc.CurrentVersionID}, ErrVersionConflict)
	if versionWith(st.stages(t, secret), stagePending) != mine.Token {
		t.Fatal("a refused promote must change nothing")
	}
	// Rollback still removes our own AWSPENDING, but refuses to move
	// AWSCURRENT back over the other change.
	mustFail(t, st, st.acts.Rollback, RollbackInput{Step: mine, CurrentVersionID: mc.CurrentVersionID}, ErrVersionConflict)
	if p := versionWith(st.stages(t, secret), stagePending); p != "" {
		t.Fatalf("AWSPENDING left on %s", p)
	}
	r := must[RollbackResult](t, st, st.acts.Rollback, RollbackInput{Step: mine})
	if r.RemovedPending || r.RestoredCurrent || !r.CurrentLoginCheck {
		t.Fatalf("%+v", r)
	}
	st.assertInvariant(t, secret)
}

// TestRollbackRestoresPrevious: a promoted rotation is rolled back (a
// validator failed). Secrets Manager moves AWSPREVIOUS onto the rejected
// version when AWSCURRENT leaves it; the rollback must put AWSPREVIOUS
// back where it was before the run, also for a secret's first rotation
// (no AWSPREVIOUS before: none after), and a repeated rollback changes
// nothing more.
func TestRollbackRestoresPrevious(t *testing.T) {
	st := localStack(t)
	for _, first := range []bool{true, false} {
		secret := st.newUser(t, StrategySingleUser)
		if !first {
			rotate(t, st, timings{}, secret, StrategySingleUser) // so AWSPREVIOUS exists
		}
		stages := st.stages(t, secret)
		wantCurrent, wantPrevious := versionWith(stages, stageCurrent), versionWith(stages, stagePrevious)
		step := newStep(secret, StrategySingleUser)
		c := must[CreateResult](t, st, st.acts.CreatePending, step)
		if !c.PreviousKnown || c.PreviousVersionID != wantPrevious {
			t.Fatalf("create recorded AWSPREVIOUS %q (known %v), want %q", c.PreviousVersionID, c.PreviousKnown, wantPrevious)
		}
		must[SetResult](t, st, st.acts.SetPending, step)
		must[PromoteResult](t, st, st.acts.Promote, PromoteInput{Step: step, CurrentVersionID: c.CurrentVersionID})
		in := RollbackInput{Step: step, CurrentVersionID: c.CurrentVersionID, PreviousVersionID: c.PreviousVersionID,
			RestorePrevious: c.PreviousKnown, PasswordSet: true, Promoted: true}
		r := must[RollbackResult](t, st, st.acts.Rollback, in)
		again := must[RollbackResult](t, st, st.acts.Rollback, in)
		stages = st.stages(t, secret)
		if got := versionWith(stages, stageCurrent); got != wantCurrent {
			t.Errorf("first rotation %v: AWSCURRENT %s, want %s", first, got, wantCurrent)
		}
		if got := versionWith(stages, stagePrevious); got != wantPrevious {
			t.Errorf("first rotation %v: AWSPREVIOUS %q after the rollback, want %q as before the run (the rejected version is %s)",
				first, got, wantPrevious, step.Token)
		}
		if !r.RestoredPrevious || again.RestoredPrevious || again.RestoredCurrent {
			t.Errorf("first rotation %v: rollback %+v, then %+v: want AWSPREVIOUS restored once", first, r, again)
		}
		st.assertInvariant(t, secret)
	}
}
