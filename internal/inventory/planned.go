package inventory

import (
	"context"
	"slices"
	"time"
)

// Planned is what credstage's schedules say about one secret: the plans
// of their actions name it (docs/architecture.md, The inventory).
type Planned struct {
	// MaxAge is the smallest maxAge of the stages naming the secret (0:
	// none): when two schedules disagree, the stricter one holds.
	MaxAge time.Duration
	// NextRun is the earliest next action among them (zero: paused, or
	// no next action).
	NextRun time.Time
	// Environment and Strategy are the first naming stage's, used when
	// the secret's own tags say nothing.
	Environment string
	Strategy    string
	Schedules   []string
}

// Index maps a secret id, as a plan wrote it (a name or an ARN), to what
// the schedules say about it.
type Index map[string]Planned

// Add records that a schedule's stage names the secret.
func (ix Index) Add(secretID, schedule, environment, strategy string, maxAge time.Duration, next time.Time) {
	p, seen := ix[secretID]
	if !seen {
		p.Environment, p.Strategy = environment, strategy
	}
	if maxAge > 0 && (p.MaxAge == 0 || maxAge < p.MaxAge) {
		p.MaxAge = maxAge
	}
	if !next.IsZero() && (p.NextRun.IsZero() || next.Before(p.NextRun)) {
		p.NextRun = next
	}
	if !slices.Contains(p.Schedules, schedule) {
		p.Schedules = append(p.Schedules, schedule)
		slices.Sort(p.Schedules)
	}
	ix[secretID] = p
}

// lookup finds a secret by its name or its ARN, merging both entries when
// plans name it both ways.
func (ix Index) lookup(name, arn string) Planned {
	byName, okName := ix[name]
	byARN, okARN := ix[arn]
	switch {
	case okName && okARN:
		merged := Index{}
		for _, p := range []Planned{byName, byARN} {
			for _, s := range p.Schedules {
				merged.Add(name, s, p.Environment, p.Strategy, p.MaxAge, p.NextRun)
			}
		}
		return merged[name]
	case okARN:
		return byARN
	}
	return byName
}

// names is every secret id the index holds, in order.
func (ix Index) names() []string {
	out := make([]string, 0, len(ix))
	for k := range ix {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// PlanSource reads the index from credstage's schedules
// (internal/inventory/scheduled); nil stands for no schedules.
type PlanSource interface {
	Index(ctx context.Context) (Index, error)
}
