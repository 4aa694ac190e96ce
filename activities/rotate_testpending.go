package activities

import (
	"context"
)

// TestPending is the test step of a rotation (docs/architecture.md §2, step 3).
func (a *Activities) TestPending(ctx context.Context, step RotationStep) (TestResult, error) {
	var res TestResult
	err := stepFor(ctx, StepTest, step.OutageBudget).run(ctx, ctx, secretSubject(step.SecretID), func(ctx context.Context) (err error) {
		res, err = a.testPending(ctx, step)
		return err
	})
	return res, err
}

// testPending logs in with the pending credentials — a real, fresh login,
// the end-to-end proof that authentication works — and runs SELECT 1 and
// the target's probes over it. It changes nothing.
//
// Invariant: none is established; a refused login is ErrLoginFailed and a
// failing probe ErrValidationFailed, both non-retryable, and the workflow
// rolls back. Dying anywhere in it is harmless: the retry logs in again.
func (a *Activities) testPending(ctx context.Context, step RotationStep) (TestResult, error) {
	if err := validateStep(step); err != nil {
		return TestResult{}, err
	}
	st, err := a.describeSecret(ctx, step.SecretID)
	if err != nil {
		return TestResult{}, err
	}
	if !st.has(step.Token, stagePending) && st.versionWith(stageCurrent) != step.Token {
		return TestResult{}, nonRetryable(ErrVersionConflict, "secret "+step.SecretID+": token "+step.Token+" has no pending version to test")
	}
	pending, _, err := a.appSecret(ctx, step.SecretID, step.Token, "")
	if err != nil {
		return TestResult{}, err
	}
	return a.testPendingLogin(ctx, step, pending)
}

// testPendingLogin is test once the pending version is read (see
// setPendingPassword).
func (a *Activities) testPendingLogin(ctx context.Context, step RotationStep, pending DBSecret) (TestResult, error) {
	res := TestResult{Username: pending.Username, Probes: []string{}}
	err := a.login(ctx, step.SecretID, pending, appLogin, func(q Querier) error {
		if err := selectOne(ctx)(q); err != nil {
			return dbError(ctx, secretSubject(step.SecretID), pending.target(), appLogin, err, pending.Password)
		}
		res.Probes = append(res.Probes, "select-1")
		for _, p := range step.Probes {
			detail, err := runSQLProbe(ctx, q, p, 0)
			if err != nil {
				if isTransientProbeError(err) {
					return dbError(ctx, secretSubject(step.SecretID), pending.target(), appLogin, err, pending.Password)
				}
				if oerr := a.probeUnanswered(ctx, step.SecretID, pending, probeName(p), err); oerr != nil {
					return oerr
				}
				return nonRetryable(ErrValidationFailed, redact("secret "+step.SecretID+": probe "+probeName(p)+
					" failed as "+pending.Username+": "+detail, pending.Password))
			}
			res.Probes = append(res.Probes, probeName(p))
		}
		return nil
	})
	if err != nil {
		return TestResult{}, err
	}
	logger(ctx).Info("pending credentials log in", "secret", step.SecretID, "username", res.Username, "probes", len(res.Probes))
	return res, nil
}
