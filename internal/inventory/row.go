// Package inventory is the one place for the rule of a secret's age: which
// secrets credstage manages, how old each one's AWSCURRENT version is,
// which maxAge applies to it and when it is overdue. The Inventory
// workflow's activity (activities/inventory.go) and `credstage report`
// both list through it, so the metric and the report cannot disagree
// (docs/architecture.md, The inventory).
//
// It reads metadata only (ListSecrets, DescribeSecret,
// ListSecretVersionIds): nothing here can fetch a secret value. Row,
// Totals and Keep are pure, so the workflow uses them too.
package inventory

import (
	"time"

	"github.com/credstage/credstage/engine"
)

// Tags credstage reads from a secret.
const (
	// TagManaged marks the secrets credstage provisioned or adopted.
	TagManaged = engine.TagManaged
	// TagStrategy is the rotation strategy provisioning recorded.
	TagStrategy = engine.TagStrategy
	// TagEnvironment is the secret's environment (the metrics dimension).
	TagEnvironment = engine.TagEnvironment
)

// UnknownEnvironment is the Environment of a secret with no Environment
// tag that no schedule's plan names: CloudWatch needs a value, and an
// empty dimension would look like a fleet-wide total.
const UnknownEnvironment = "unknown"

// Row is one managed secret as the inventory sees it. It never holds a
// secret value: the age comes from the version's CreatedDate.
type Row struct {
	Name        string `json:"name"`
	Environment string `json:"environment"`
	Strategy    string `json:"strategy,omitempty"`
	// CurrentCreated is when the AWSCURRENT version was created: the last
	// successful rotation, or the secret's creation.
	CurrentCreated time.Time `json:"currentCreated,omitzero"`
	AgeSeconds     int64     `json:"ageSeconds"`
	// MaxAgeSeconds is the limit that applies (0: none, never overdue).
	MaxAgeSeconds int64 `json:"maxAgeSeconds,omitempty"`
	Overdue       bool  `json:"overdue"`
	// LastStatus and LastRun are the newest entry of the secret's
	// credstage:outcomes tag (engine.TagOutcomes); empty when none.
	LastStatus string    `json:"lastStatus,omitempty"`
	LastRun    time.Time `json:"lastRun,omitzero"`
	// NextRun is the earliest next action of the schedules whose plans
	// name the secret; Schedules are their IDs.
	NextRun   time.Time `json:"nextRun,omitzero"`
	Schedules []string  `json:"schedules,omitempty"`
	// Error says why the age is unknown (a secret a plan names that does
	// not exist, or has no AWSCURRENT); such a row counts as managed but
	// has no age.
	Error string `json:"error,omitempty"`
}

// Age is AgeSeconds as a duration.
func (r Row) Age() time.Duration { return time.Duration(r.AgeSeconds) * time.Second }

// Overdue is the rule: a secret is overdue when a maxAge applies to it
// and its AWSCURRENT version is older than that. A secret whose age is
// unknown is not overdue (its Error says why).
func Overdue(created time.Time, maxAge time.Duration, now time.Time) bool {
	return maxAge > 0 && !created.IsZero() && now.Sub(created) > maxAge
}

// MaxAge is the limit of a secret: the one its schedules' plans give,
// else the inventory's default (0: none).
func MaxAge(p Planned, defaultMaxAge time.Duration) time.Duration {
	if p.MaxAge > 0 {
		return p.MaxAge
	}
	return defaultMaxAge
}

// LastRotationBad says whether the secret's last recorded rotation ended
// failed or rolled back, which `credstage report` counts as a failure
// beside an overdue secret.
func (r Row) LastRotationBad() bool {
	return r.LastStatus == engine.StatusFailed || r.LastStatus == engine.StatusRolledBack
}

// NeedsAttention is what makes `credstage report` exit 1.
func (r Row) NeedsAttention() bool { return r.Overdue || r.LastRotationBad() }

// newRow builds a row from what Secrets Manager and the schedules said.
func newRow(name string, tags map[string]string, p Planned, created time.Time, defaultMaxAge time.Duration, now time.Time) Row {
	r := Row{Name: name, Environment: tags[TagEnvironment], Strategy: tags[TagStrategy],
		NextRun: p.NextRun, Schedules: p.Schedules}
	if r.Environment == "" {
		r.Environment = p.Environment
	}
	if r.Environment == "" {
		r.Environment = UnknownEnvironment
	}
	if r.Strategy == "" {
		r.Strategy = p.Strategy
	}
	if outs := engine.ParseOutcomes(tags[engine.TagOutcomes]); len(outs) > 0 {
		r.LastStatus, r.LastRun = outs[0].Status, outs[0].Time
	}
	maxAge := MaxAge(p, defaultMaxAge)
	r.MaxAgeSeconds = int64(maxAge / time.Second)
	if !created.IsZero() {
		r.CurrentCreated = created.UTC()
		r.AgeSeconds = int64(max(now.Sub(created), 0) / time.Second)
		r.Overdue = Overdue(created, maxAge, now)
	}
	return r
}
