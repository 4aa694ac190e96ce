package activities

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Verify is the verify step of a rotation (docs/architecture.md §2, step 5).
func (a *Activities) Verify(ctx context.Context, in VerifyInput) (VerifyResult, error) {
	var res VerifyResult
	err := stepFor(ctx, StepVerify, in.OutageBudget).run(ctx, ctx, secretSubject(in.SecretID), func(ctx context.Context) (err error) {
		res, err = a.verify(ctx, in)
		return err
	})
	return res, err
}

// verify checks the promoted secret the way its consumers see it: a fresh
// login with whatever AWSCURRENT holds now, then the stage's validators
// (SQL probes over that login, HTTP health URLs, CloudWatch alarms not in
// ALARM). It changes nothing, so dying anywhere in it is harmless.
//
// When any check fails it returns a non-retryable ErrValidationFailed
// naming the failed checks, with the VerifyResult as the error's details;
// the workflow then rolls back. A check that could not be evaluated for a
// transient reason (CloudWatch throttling, a database restart) is an
// ordinary retryable error instead.
func (a *Activities) verify(ctx context.Context, in VerifyInput) (VerifyResult, error) {
	if strings.TrimSpace(in.SecretID) == "" {
		return VerifyResult{}, invalidInput("verify: secretId is empty")
	}
	for i, v := range in.Validators {
		if n := validatorKinds(v); n != 1 {
			return VerifyResult{}, invalidInput("secret %s: validator %d (%q) must set exactly one of sql, http, alarm", in.SecretID, i, v.Name)
		}
	}
	cur, _, err := a.appSecret(ctx, in.SecretID, "", stageCurrent)
	if err != nil {
		return VerifyResult{}, err
	}
	subject := secretSubject(in.SecretID)
	checks := make([]CheckResult, len(in.Validators))
	loginCheck := CheckResult{Name: "login as " + cur.Username}
	start := time.Now()
	loggedIn := false
	err = a.login(ctx, in.SecretID, cur, appLogin, func(q Querier) error {
		if err := selectOne(ctx)(q); err != nil {
			return dbError(ctx, subject, cur.target(), appLogin, err, cur.Password)
		}
		loggedIn = true
		loginCheck.Passed, loginCheck.Detail, loginCheck.Duration = true, "ok", ms(time.Since(start))
		for i, v := range in.Validators {
			if v.SQL == nil {
				continue
			}
			t := time.Now()
			detail, err := runSQLProbe(ctx, q, *v.SQL, v.Timeout)
			if err != nil && isTransientProbeError(err) {
				return dbError(ctx, subject, cur.target(), appLogin, err, cur.Password)
			}
			if oerr := a.probeUnanswered(ctx, in.SecretID, cur, validatorName(v), err); oerr != nil {
				return oerr
			}
			checks[i] = CheckResult{Name: validatorName(v), Passed: err == nil, Detail: redact(detail, cur.Password), Duration: ms(time.Since(t))}
		}
		return nil
	})
	var tr *transientError
	if err != nil && errors.As(err, &tr) {
		return VerifyResult{}, err
	}
	if !loggedIn {
		loginCheck.Detail, loginCheck.Duration = errMessage(err), ms(time.Since(start))
	}
	for i, v := range in.Validators {
		t := time.Now()
		switch {
		case v.SQL != nil && !loggedIn:
			checks[i] = CheckResult{Name: validatorName(v), Detail: "not run: the login failed"}
		case v.HTTP != nil:
			detail, passed := a.checkHTTP(ctx, *v.HTTP, v.Timeout)
			checks[i] = CheckResult{Name: validatorName(v), Passed: passed, Detail: redact(detail, cur.Password), Duration: ms(time.Since(t))}
		case v.Alarm != nil:
			detail, passed, err := a.checkAlarm(ctx, subject, *v.Alarm, v.Timeout)
			if err != nil {
				return VerifyResult{}, err
			}
			checks[i] = CheckResult{Name: validatorName(v), Passed: passed, Detail: detail, Duration: ms(time.Since(t))}
		}
	}
	res := VerifyResult{Checks: append([]CheckResult{loginCheck}, checks...)}
	var failed, why []string
	for _, c := range res.Checks {
		if !c.Passed {
			failed = append(failed, c.Name)
			// The detail is the cause a person needs (a refused alarm
			// read, a probe's answer); it never holds a secret value.
			if c.Detail != "" {
				why = append(why, c.Name+" ("+truncate(c.Detail, 300)+")")
			} else {
				why = append(why, c.Name)
			}
		}
	}
	if len(failed) > 0 {
		logger(ctx).Warn("verification failed", "secret", in.SecretID, "failed", failed)
		return res, nonRetryable(ErrValidationFailed, "secret "+in.SecretID+": verification failed: "+strings.Join(why, "; "), res)
	}
	logger(ctx).Info("verified", "secret", in.SecretID, "checks", len(res.Checks))
	return res, nil
}

func validatorKinds(v Validator) int {
	n := 0
	for _, set := range []bool{v.SQL != nil, v.HTTP != nil, v.Alarm != nil} {
		if set {
			n++
		}
	}
	return n
}

func validatorName(v Validator) string {
	switch {
	case v.Name != "":
		return v.Name
	case v.SQL != nil:
		return probeName(*v.SQL)
	case v.HTTP != nil:
		return "http"
	default:
		return "alarm " + v.Alarm.AlarmName
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// verifyLeased is verify for a secret of a batch: AWSCURRENT, read as a
// consumer reads it, must be the token's version, whose credentials the
// test step has just proven with a fresh login (and the lease kept anyone
// from changing since); the stage's SQL validators then run over a fresh
// login as AWSCURRENT, as RotateSecret's verify runs them. HTTP and alarm
// validators do not depend on the secret: the batch runs them once.
func (a *Activities) verifyLeased(ctx context.Context, step RotationStep, validators []Validator) error {
	_, id, err := a.appSecret(ctx, step.SecretID, "", stageCurrent)
	if err != nil {
		return err
	}
	if id != step.Token {
		return nonRetryable(ErrVersionConflict, "secret "+step.SecretID+": AWSCURRENT is on version "+id+", not the rotation's "+step.Token)
	}
	var sql []Validator
	for _, v := range validators {
		if v.SQL != nil {
			sql = append(sql, v)
		}
	}
	if len(sql) == 0 {
		return nil
	}
	_, err = a.verify(ctx, VerifyInput{SecretID: step.SecretID, Environment: step.Environment, Validators: sql})
	return err
}
