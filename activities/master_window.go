package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
)

// A refused master login may be a master password rotation in progress
// rather than a wrong password. RDS rotates a managed master secret
// (rds!db-...) in three steps: the new password becomes the secret's
// AWSPENDING, then the database's, and only then AWSCURRENT. Between the
// second and third steps AWSCURRENT no longer logs in. Other rotators of
// a master secret named by masterarn may leave a similar gap with no
// AWSPENDING at all. The same holds wherever the master credentials come
// from (masterFor): the app secret's masterarn, or the managed secret of
// the instance its endpoint names. So a refused master login goes
// through, in order:
//
//   - the master secret's AWSPENDING version, if it has one that is not
//     AWSCURRENT: in RDS's window this is the database's password, and
//     the pool is rebuilt with it (it stays right once AWSCURRENT moves,
//     the version being the same);
//   - AWSCURRENT re-read with backoff (Options.MasterAuthBackoff, 1s
//     doubling), AWSPENDING tried again after each, for at most
//     Options.MasterAuthWindow (2 minutes), cut short to leave the
//     activity's deadline some room: a rotation that finishes meanwhile is
//     picked up, the pool rebuilt with the new password;
//   - after the window, a non-retryable MasterAuthFailed naming the master
//     secret: neither version holds the database's master password, which
//     no retry of the step can fix. Until AWSCURRENT changes, later calls
//     for the same master (a rollback) fail after the AWSPENDING try,
//     without waiting again.
//
// Each rebuild replaces the pooled master connections, so no connection
// keeps a password the database no longer takes. No password is logged;
// every one read is redacted from the errors.

const (
	// masterRefusalMemory is how long a refusal that outlasted the window
	// stays final for the same AWSCURRENT version: the steps that follow
	// (a rollback) fail at once instead of waiting out the window again.
	masterRefusalMemory      = 10 * time.Minute
	defaultMasterAuthWindow  = 2 * time.Minute
	defaultMasterAuthBackoff = time.Second
	// masterDeadlineMargin is left of the activity's deadline to report
	// the refusal instead of timing out.
	masterDeadlineMargin = 5 * time.Second
)

// masterRefusal is a refusedMasters entry: the AWSCURRENT version refused
// and when the window ended.
type masterRefusal struct {
	version string
	at      time.Time
}

// errNoPendingMaster: the master secret has no AWSPENDING other than
// AWSCURRENT, so there is nothing to try in the window.
var errNoPendingMaster = errors.New("master secret has no pending version")

// masterSession is one withMaster call's view of its master secret: what
// it read, for the pool and for redacting errors.
type masterSession struct {
	a        *Activities
	secretID string
	m        *masterRef
	target   dbTarget

	currentVersion string
	passwords      []string
	waited         time.Duration
	// remembered: this AWSCURRENT version already outlasted a window.
	remembered bool
}

// load reads the master secret's given stage for the pool.
func (s *masterSession) load(stage string) MasterLoader {
	return func(ctx context.Context) (MasterCredentials, error) {
		value, versionID, err := s.a.secretString(ctx, s.m.secretARN, "", stage)
		if err != nil {
			if stage != stageCurrent {
				if !isErrorType(err, ErrSecretNotFound) {
					logger(ctx).Warn("master secret's pending version not readable", "secret", s.m.secretARN, "error", errMessage(err))
				}
				return MasterCredentials{}, errNoPendingMaster
			}
			return MasterCredentials{}, ofMaster(s.secretID, err)
		}
		if stage != stageCurrent && versionID == s.currentVersion {
			return MasterCredentials{}, errNoPendingMaster
		}
		ms, err := parseMasterSecret(s.m.secretARN, value)
		if err != nil {
			return MasterCredentials{}, ofMaster(s.secretID, err)
		}
		if stage == stageCurrent {
			s.currentVersion = versionID
		}
		s.passwords = append(s.passwords, ms.Password)
		login := s.m.at
		login.Username, login.Password = ms.Username, ms.Password
		s.target.Username = ms.Username
		cfg, err := s.a.connConfig(s.secretID, login)
		if err != nil {
			return MasterCredentials{}, err
		}
		return MasterCredentials{SecretARN: s.m.secretARN, VersionID: versionID, Config: cfg}, nil
	}
}

// outlastMasterRotation is called with refusal, the pool's master login
// refused with AWSCURRENT (re-read once by the connector). It returns the
// first outcome that is not a refused login, or the latest refusal once
// the window has passed; *ran tells whether fn ran.
func (a *Activities) outlastMasterRotation(ctx context.Context, key string, s *masterSession, run func(Querier) error, ran *bool, refusal error) error {
	start := time.Now()
	end := start.Add(a.masterAuthWindow())
	if v, ok := a.refusedMasters.Load(key); ok {
		if r := v.(masterRefusal); r.version == s.currentVersion && time.Since(r.at) < masterRefusalMemory {
			end, s.remembered = start, true
		}
	}
	if deadline, ok := ctx.Deadline(); ok && deadline.Add(-masterDeadlineMargin).Before(end) {
		end = deadline.Add(-masterDeadlineMargin)
	}
	delay := a.masterAuthBackoff()
	refused := func(err error) bool { return !*ran && isAuthFailure(err) }
	last := refusal
	for attempt := 1; ; attempt++ {
		err := a.db.WithMaster(ctx, key, s.load(stagePending), run)
		switch {
		case errors.Is(err, errNoPendingMaster):
		case !refused(err):
			if err == nil {
				logger(ctx).Info("master login accepted with the master secret's pending version (a rotation in progress)", "secret", s.m.secretARN)
			}
			return err
		default:
			last = err
		}
		now := time.Now()
		if !now.Before(end) {
			s.waited = now.Sub(start)
			if s.currentVersion != "" {
				a.refusedMasters.Store(key, masterRefusal{version: s.currentVersion, at: now})
			}
			return last
		}
		if attempt == 1 {
			logger(ctx).Warn("master login refused; re-reading the master secret until it catches up", "secret", s.m.secretARN, "window", end.Sub(start).Round(time.Second))
		}
		if werr := sleepCtx(ctx, min(delay, end.Sub(now))); werr != nil {
			return werr
		}
		delay *= 2
		err = a.db.WithMaster(ctx, key, s.load(stageCurrent), run)
		if !refused(err) {
			if err == nil {
				logger(ctx).Info("master login accepted after re-reading the master secret", "secret", s.m.secretARN, "waited", time.Since(start).Round(time.Millisecond))
			}
			return err
		}
		last = err
	}
}

// finalMasterRefusal makes a refused master login that outlasted the
// window say so, keeping its non-retryable MasterAuthFailed type.
func finalMasterRefusal(err error, masterARN string, s *masterSession) error {
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != ErrMasterAuthFailed {
		return err
	}
	how := fmt.Sprintf("for %v", s.waited.Round(time.Millisecond))
	if s.remembered {
		how = "through a whole window earlier, with the same AWSCURRENT version"
	}
	return nonRetryable(ErrMasterAuthFailed, fmt.Sprintf("%s; still refused after re-reading master secret %s (AWSCURRENT, and AWSPENDING if any) %s: it does not hold the database's master password",
		app.Message(), masterARN, how))
}

func (a *Activities) masterAuthWindow() time.Duration {
	switch w := a.opts.MasterAuthWindow; {
	case w < 0:
		return 0
	case w == 0:
		return defaultMasterAuthWindow
	default:
		return w
	}
}

func (a *Activities) masterAuthBackoff() time.Duration {
	if b := a.opts.MasterAuthBackoff; b > 0 {
		return b
	}
	return defaultMasterAuthBackoff
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
