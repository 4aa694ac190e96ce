package activities

import (
	"context"
	"strings"
	"time"
)

// RevokeInput asks that the credentials of an alternating pair's previous
// version stop working now rather than at the next rotation.
type RevokeInput struct {
	SecretID string `json:"secretId"`
	// VersionID is the AWSPREVIOUS version to revoke, as the caller saw
	// it: a retry after the label came off still knows which one.
	VersionID string `json:"versionId"`
	// Terminate also ends the role's open sessions (they survive a
	// password change).
	Terminate bool `json:"terminate,omitempty"`
}

// RevokeResult says what was revoked, never a password.
type RevokeResult struct {
	Role      string `json:"role"`
	VersionID string `json:"versionId"`
	// Sessions are the role's sessions opened since AWSCURRENT's version
	// was created: clients that still used the revoked credentials.
	Sessions Sessions `json:"sessions"`
	// OpenSessions counts all of the role's sessions when it was revoked.
	OpenSessions int `json:"openSessions"`
	Terminated   int `json:"terminated,omitempty"`
	// LabelRemoved: AWSPREVIOUS came off the version here (false on a
	// retry that found it already off).
	LabelRemoved bool `json:"labelRemoved,omitempty"`
}

// RevokePrevious makes the previous credentials of an alternating-users
// secret useless at once: the role the AWSPREVIOUS version names gets a
// fresh password from GetRandomPassword that nobody is told (only its
// SCRAM verifier reaches the database; the password is dropped), its sessions are ended when asked, and
// AWSPREVIOUS comes off the version, so that an on-demand rollback cannot
// give the old password back. The next rotation sets a new password on
// that role as usual.
//
// A single-user secret has nothing to revoke (its previous password
// stopped working when it was rotated away) and is refused, as is a
// secret being rotated (an AWSPENDING, or a live lease).
//
// Every part is idempotent. Dying after the password change: the retry
// changes it again (another unknown password) and removes the label.
// Reply lost after the label came off: the retry finds the version by
// VersionID without the label and does the rest again, harmlessly. Until
// the label is off, a rollback run in between would restore the old
// password; the workflow's retry closes that window within seconds.
func (a *Activities) RevokePrevious(ctx context.Context, in RevokeInput) (RevokeResult, error) {
	if strings.TrimSpace(in.SecretID) == "" || strings.TrimSpace(in.VersionID) == "" {
		return RevokeResult{}, invalidInput("revoke: secretId and versionId are required")
	}
	st, err := a.describeSecret(ctx, in.SecretID)
	if err != nil {
		return RevokeResult{}, err
	}
	current := st.versionWith(stageCurrent)
	switch {
	case current == in.VersionID:
		return RevokeResult{}, nonRetryable(ErrVersionConflict, "secret "+in.SecretID+": version "+in.VersionID+" is AWSCURRENT now; not revoking the credentials in use")
	case st.versionWith(stagePending) != "":
		return RevokeResult{}, nonRetryable(ErrVersionConflict, "secret "+in.SecretID+": version "+st.versionWith(stagePending)+" is AWSPENDING; a rotation is in progress, revoke after it ends")
	}
	if err := a.refuseLiveLeases(ctx, in.SecretID, st); err != nil {
		return RevokeResult{}, err
	}
	if p := st.versionWith(stagePrevious); p != "" && p != in.VersionID {
		return RevokeResult{}, nonRetryable(ErrVersionConflict, "secret "+in.SecretID+": AWSPREVIOUS is on version "+p+", not the "+in.VersionID+
			" asked for (a rotation ended meanwhile); run the revoke again")
	}
	prev, _, err := a.appSecret(ctx, in.SecretID, in.VersionID, "")
	if err != nil {
		return RevokeResult{}, err
	}
	cur, _, err := a.appSecret(ctx, in.SecretID, current, "")
	if err != nil {
		return RevokeResult{}, err
	}
	if prev.Username == cur.Username {
		return RevokeResult{}, invalidInput("secret %s: versions %s and %s both log in as %q (single user): the previous password stopped working when it was rotated away, so there is nothing to revoke",
			in.SecretID, in.VersionID, current, cur.Username)
	}
	if prev.Username != alternateUser(cur.Username) {
		return RevokeResult{}, invalidInput("secret %s: the previous version logs in as %q, which is not the alternate of %q; credstage revokes only its own alternating pair",
			in.SecretID, prev.Username, cur.Username)
	}
	_, since, err := a.versionCreated(ctx, in.SecretID, stageCurrent)
	if err != nil {
		return RevokeResult{}, err
	}
	m, err := a.masterFor(ctx, in.SecretID, prev)
	if err != nil {
		return RevokeResult{}, err
	}
	if m == nil {
		return RevokeResult{}, invalidInput("secret %s: revoking %q needs the instance's master; add masterarn to the secret", in.SecretID, prev.Username)
	}
	res := RevokeResult{Role: prev.Username, VersionID: in.VersionID}
	// A password like every other (GetRandomPassword), that is given to
	// nobody: it is dropped once its verifier is set.
	unknown, err := a.newPassword(ctx, secretSubject(in.SecretID))
	if err != nil {
		return RevokeResult{}, err
	}
	err = a.withMaster(ctx, in.SecretID, m, func(q Querier) error {
		fail := func(err error) error {
			return dbError(ctx, secretSubject(in.SecretID), prev.target(), appLogin, err, prev.Password, cur.Password, unknown)
		}
		var err error
		if res.Sessions, err = sessionsSince(ctx, q, prev.Username, since); err != nil {
			return fail(err)
		}
		if res.OpenSessions, err = countSessions(ctx, q, prev.Username, zeroTime); err != nil {
			return fail(err)
		}
		if err := setRolePassword(ctx, q, prev.Username, unknown); err != nil {
			return fail(err)
		}
		if in.Terminate {
			res.Terminated, err = terminateSessions(ctx, q, prev.Username)
		}
		return fail(err)
	})
	if err != nil {
		return RevokeResult{}, err
	}
	if st.has(in.VersionID, stagePrevious) {
		if err := a.moveStage(ctx, in.SecretID, stagePrevious, "", in.VersionID); err != nil {
			return res, err
		}
		res.LabelRemoved = true
	}
	logger(ctx).Info("revoked the previous credentials", "secret", in.SecretID, "role", res.Role, "version", in.VersionID,
		"sessionsSinceRotation", res.Sessions.Count, "openSessions", res.OpenSessions, "terminated", res.Terminated)
	return res, nil
}

// terminateSessions ends role's client sessions (the master may, through
// pg_signal_backend, for any role that is not a superuser).
func terminateSessions(ctx context.Context, q Querier, role string) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_catalog.pg_terminate_backend(pid))
		FROM pg_catalog.pg_stat_activity
		WHERE usename = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`, role).Scan(&n)
	if err != nil || n == 0 {
		return n, err
	}
	// pg_terminate_backend only signals: wait, briefly, for the sessions
	// to be gone, so that the result means what it says.
	for range 20 {
		left, err := countSessions(ctx, q, role, zeroTime)
		if err != nil || left == 0 {
			return n, err
		}
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return n, nil
}
