package activities

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Consumers are the clients that log in as a secret's roles. PostgreSQL
// knows them by their live sessions (pg_stat_activity, which RDS's master
// may read through pg_monitor): a session opened as a role after the
// secret moved away from it is a client still logging in with credentials
// it should have dropped (docs/architecture.md §2, "Consumers").

// DrainMode is what a rotation does when clients still log in as the role
// it is about to give a new password.
type DrainMode string

const (
	// DrainWarn proceeds and reports the sessions (the default).
	DrainWarn DrainMode = "warn"
	// DrainWait polls until the sessions are gone, up to the timeout,
	// then fails as DrainFail does.
	DrainWait DrainMode = "wait"
	// DrainFail fails the set step before it changes anything, naming
	// the clients.
	DrainFail DrainMode = "fail"
)

// Valid reports whether m is a drain mode credstage knows ("" is warn).
func (m DrainMode) Valid() bool {
	switch m {
	case "", DrainWarn, DrainWait, DrainFail:
		return true
	}
	return false
}

// Drain is a stage's consumer drain policy for alternating users. A
// single user has one role, whose sessions are the application itself,
// so the check does not apply to it.
type Drain struct {
	Mode DrainMode `json:"mode,omitempty"`
	// Timeout bounds DrainWait (default engine.DefaultDrainTimeout).
	Timeout time.Duration `json:"timeout,omitempty"`
}

// maxClientsReported bounds the clients a report names: enough to find
// them, small enough for a workflow result.
const maxClientsReported = 10

// SessionClient is one client address and application name with its
// sessions.
type SessionClient struct {
	// Address is the client's IP address, "local" for a unix socket.
	Address         string `json:"address"`
	ApplicationName string `json:"applicationName,omitempty"`
	Sessions        int    `json:"sessions"`
}

// Sessions is what a drain check found: the sessions of Role opened
// after Since, never a password.
type Sessions struct {
	// Unseen: the master may not read other roles' sessions (it lacks
	// pg_read_all_stats, which RDS's master has through pg_monitor), so
	// none could be counted.
	Unseen      bool            `json:"unseen,omitempty"`
	Role        string          `json:"role"`
	Since       time.Time       `json:"since,omitzero"`
	Count       int             `json:"count"`
	NewestStart time.Time       `json:"newestStart,omitzero"`
	Clients     []SessionClient `json:"clients,omitempty"`
}

// String names the sessions for errors, logs and the CLI.
func (s Sessions) String() string {
	if s.Unseen {
		return fmt.Sprintf("the sessions of role %q cannot be seen: the master lacks pg_read_all_stats (grant it pg_monitor)", s.Role)
	}
	if s.Count == 0 {
		return fmt.Sprintf("no session opened as role %q since %s", s.Role, s.Since.UTC().Format(time.RFC3339))
	}
	clients := make([]string, 0, len(s.Clients))
	for _, c := range s.Clients {
		name := c.Address
		if c.ApplicationName != "" {
			name += fmt.Sprintf(" %q", c.ApplicationName)
		}
		clients = append(clients, fmt.Sprintf("%s ×%d", name, c.Sessions))
	}
	return fmt.Sprintf("%d session(s) opened as role %q since %s, the newest at %s: %s",
		s.Count, s.Role, s.Since.UTC().Format(time.RFC3339), s.NewestStart.UTC().Format(time.RFC3339), strings.Join(clients, ", "))
}

// DrainReport is the drain check's outcome in a set step's result.
type DrainReport struct {
	Mode     DrainMode `json:"mode"`
	Sessions Sessions  `json:"sessions"`
	// WaitedMS is how long DrainWait waited for the sessions to go.
	WaitedMS int64 `json:"waitedMs,omitempty"`
}

// sessionsSince lists the client sessions of role opened after since
// (every database of the instance: a role is the cluster's), grouped by
// client.
func sessionsSince(ctx context.Context, q Querier, role string, since time.Time) (Sessions, error) {
	s := Sessions{Role: role, Since: since}
	var sees bool
	if err := q.QueryRow(ctx, "SELECT pg_catalog.pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')").Scan(&sees); err != nil {
		return s, err
	}
	if !sees {
		s.Unseen = true
		return s, nil
	}
	rows, err := q.Query(ctx, `SELECT COALESCE(host(client_addr), 'local'), COALESCE(application_name, ''),
			count(*), max(backend_start)
		FROM pg_catalog.pg_stat_activity
		WHERE usename = $1 AND backend_type = 'client backend' AND backend_start > $2 AND pid <> pg_backend_pid()
		GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`, role, since)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var c SessionClient
		var newest time.Time
		if err := rows.Scan(&c.Address, &c.ApplicationName, &c.Sessions, &newest); err != nil {
			return s, err
		}
		s.Count += c.Sessions
		if newest.After(s.NewestStart) {
			s.NewestStart = newest
		}
		if len(s.Clients) < maxClientsReported {
			s.Clients = append(s.Clients, c)
		}
	}
	return s, rows.Err()
}

// countSessions counts the client sessions of role, opened after since
// when it is set.
func countSessions(ctx context.Context, q Querier, role string, since time.Time) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM pg_catalog.pg_stat_activity
		WHERE usename = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()
		AND ($2::timestamptz IS NULL OR backend_start > $2)`, role, nullTime(since)).Scan(&n)
	return n, err
}

// zeroTime asks countSessions for every session, whenever it began.
var zeroTime time.Time

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// versionCreated is the version holding stage and when it was created:
// for AWSCURRENT, the previous rotation's create step, before its promote
// (the drain check's "since").
func (a *Activities) versionCreated(ctx context.Context, secretID, stage string) (string, time.Time, error) {
	out, err := a.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID), VersionStage: aws.String(stage)})
	if err != nil {
		return "", time.Time{}, awsError(ctx, secretSubject(secretID), "GetSecretValue", err)
	}
	return aws.ToString(out.VersionId), aws.ToTime(out.CreatedDate), nil
}

// Notable: the report has something to tell (sessions found, or a wait).
func (r *DrainReport) Notable() bool {
	return r != nil && (r.Sessions.Count > 0 || r.WaitedMS > 0 || r.Sessions.Unseen)
}

// String says what the drain check found, for progress and summaries.
func (r *DrainReport) String() string {
	if r.Sessions.Unseen {
		return fmt.Sprintf("drain %s: %s", r.Mode, r.Sessions)
	}
	if r.Sessions.Count == 0 {
		return fmt.Sprintf("drain %s: clients stopped logging in as role %q after a wait of %s", r.Mode, r.Sessions.Role,
			(time.Duration(r.WaitedMS) * time.Millisecond).Round(time.Second))
	}
	return fmt.Sprintf("drain %s: still logging in as the old role: %s", r.Mode, r.Sessions)
}
