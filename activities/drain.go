package activities

import (
	"errors"
	"fmt"
	"time"

	"github.com/credstage/credstage/engine"
)

// drainPending is what a DrainWait check returns while sessions remain:
// not a failure but a reason to look again, which stepRun does every
// engine.DrainPollEvery until the timeout (refusal).
type drainPending struct {
	secretID string
	sessions Sessions
	timeout  time.Duration
}

func (e *drainPending) Error() string {
	return fmt.Sprintf("%s: waiting for clients to stop logging in as role %q: %s", secretSubject(e.secretID), e.sessions.Role, e.sessions)
}

// drainDecision applies step's drain policy to the sessions the check
// found: nil error and a report to proceed with, a *drainPending to wait,
// or a ConsumersActive refusal.
func drainDecision(step RotationStep, s Sessions) (*DrainReport, error) {
	mode, timeout := DrainWarn, time.Duration(0)
	if step.Drain != nil {
		if step.Drain.Mode != "" {
			mode = step.Drain.Mode
		}
		timeout = engine.DrainTimeout(step.Drain.Timeout)
	}
	report := &DrainReport{Mode: mode, Sessions: s}
	if s.Unseen && mode != DrainWarn {
		return nil, nonRetryable(ErrConsumersActive, fmt.Sprintf("secret %s: drain %s needs the sessions, but %s. Nothing was changed", step.SecretID, mode, s))
	}
	if s.Count == 0 {
		return report, nil
	}
	switch mode {
	case DrainFail:
		return nil, consumersActive(step.SecretID, s, "")
	case DrainWait:
		return nil, &drainPending{secretID: step.SecretID, sessions: s, timeout: timeout}
	}
	return report, nil
}

// consumersActive is the refusal of a set step whose drain policy does
// not let it change a role clients still log in as.
func consumersActive(secretID string, s Sessions, waited string) error {
	msg := fmt.Sprintf("secret %s: %s; they still use the credentials of AWSPREVIOUS, which this rotation would change", secretID, s)
	if waited != "" {
		msg += " (waited " + waited + " for them to stop)"
	}
	msg += ". Nothing was changed: move those clients to read the secret at run time (README, Applications), or set the stage's drain to warn"
	return nonRetryable(ErrConsumersActive, msg)
}

// refusal is the ConsumersActive a drain wait ends with once it has
// waited its timeout.
func (e *drainPending) refusal(waited time.Duration) error {
	return consumersActive(e.secretID, e.sessions, waited.Round(time.Second).String())
}

// drainClock measures a drain wait across the tries of one set step, for
// the report's WaitedMS.
type drainClock struct{ start time.Time }

func (c *drainClock) observe(res *SetResult, err error) {
	var dp *drainPending
	if errors.As(err, &dp) && c.start.IsZero() {
		c.start = time.Now()
	}
	if err == nil && res.Drain != nil && !c.start.IsZero() {
		res.Drain.WaitedMS = time.Since(c.start).Milliseconds()
	}
}
