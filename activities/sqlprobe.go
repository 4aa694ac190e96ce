package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const defaultCheckTimeout = 10 * time.Second

// errProbeMismatch marks a probe whose answer was not the expected one.
var errProbeMismatch = errors.New("unexpected answer")

func probeName(p SQLProbe) string {
	if p.Name != "" {
		return p.Name
	}
	return "sql: " + truncate(p.Query, 40)
}

// runSQLProbe runs p over q. The simple protocol returns text, which is
// what Expect is compared with. detail says what went wrong, never more
// than a short excerpt of the answer.
func runSQLProbe(ctx context.Context, q Querier, p SQLProbe, timeout time.Duration) (detail string, err error) {
	if timeout <= 0 {
		timeout = defaultCheckTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rows, err := q.Query(ctx, p.Query, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return probeFailure(err), err
	}
	var first string
	hasRow := rows.Next()
	if hasRow {
		if raw := rows.RawValues(); len(raw) > 0 && raw[0] != nil {
			first = string(raw[0])
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return probeFailure(err), err
	}
	if p.Expect != "" && (!hasRow || !sameAnswer(first, p.Expect)) {
		if !hasRow {
			return fmt.Sprintf("no row, want %q", truncate(p.Expect, 64)), errProbeMismatch
		}
		return fmt.Sprintf("got %q, want %q", truncate(first, 64), truncate(p.Expect, 64)), errProbeMismatch
	}
	return "ok", nil
}

func probeFailure(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return fmt.Sprintf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
	}
	return err.Error()
}

// isTransientProbeError tells a database hiccup (retry the step) from a
// probe that genuinely fails (the credentials lack what the probe needs).
func isTransientProbeError(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return transientSQLStates[pgErr.Code] || outageSQLState(pgErr.Code)
	}
	return !errors.Is(err, errProbeMismatch) && !errors.Is(err, context.DeadlineExceeded)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// sameAnswer compares a probe's first column, as PostgreSQL's text form,
// with what the plan expects. Booleans are written "true"/"false" in plans
// but come back as "t"/"f", so both spellings match.
func sameAnswer(got, want string) bool {
	if got == want {
		return true
	}
	switch strings.ToLower(want) {
	case "true":
		return got == "t"
	case "false":
		return got == "f"
	}
	return false
}

// probeUnanswered tells a probe that ran out of its time because the
// database stopped answering (a network partition: the connection stays
// open, nothing comes back) from a probe that is slow on a database that
// answers. A fresh login as s, within the connect timeout, settles it: an
// outage is returned for the step to wait out, nil when the database
// answers (the probe's own timeout stands as its failure).
func (a *Activities) probeUnanswered(ctx context.Context, secretID string, s DBSecret, probe string, err error) error {
	if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, a.opts.ConnectTimeout)
	defer cancel()
	lerr := a.login(cctx, secretID, s, appLogin, selectOne(cctx))
	if lerr == nil || !isOutage(lerr) && (cctx.Err() == nil || ctx.Err() != nil) {
		return nil
	}
	return outage("%s: probe %s got no answer within its timeout, nor did a fresh login as %q: the database is unreachable (outage)",
		secretSubject(secretID), probe, s.Username)
}
