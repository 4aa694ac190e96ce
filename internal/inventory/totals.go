package inventory

import (
	"slices"
	"strings"
)

// EnvTotals are one environment's roll-ups: the series an alarm watches.
type EnvTotals struct {
	Environment string `json:"environment"`
	Managed     int    `json:"managed"`
	Overdue     int    `json:"overdue"`
	// OldestAgeSeconds is the age of the oldest AWSCURRENT whose age is
	// known (0 when none is).
	OldestAgeSeconds int64 `json:"oldestAgeSeconds"`
	// Unknown counts the rows without an age (their Error says why).
	Unknown int `json:"unknown,omitempty"`
	// Failed counts the secrets whose last rotation failed or rolled back.
	Failed int `json:"failed,omitempty"`
}

// Totals are the roll-ups of every environment, in name order (a slice,
// not a map, so the workflow folds pages deterministically).
type Totals []EnvTotals

// Add folds rows into the totals.
func (t Totals) Add(rows ...Row) Totals {
	for _, r := range rows {
		i, found := slices.BinarySearchFunc(t, r.Environment, func(e EnvTotals, env string) int { return strings.Compare(e.Environment, env) })
		if !found {
			t = slices.Insert(t, i, EnvTotals{Environment: r.Environment})
		}
		e := &t[i]
		e.Managed++
		switch {
		case r.Error != "" || r.CurrentCreated.IsZero():
			e.Unknown++
		case r.AgeSeconds > e.OldestAgeSeconds:
			e.OldestAgeSeconds = r.AgeSeconds
		}
		if r.Overdue {
			e.Overdue++
		}
		if r.LastRotationBad() {
			e.Failed++
		}
	}
	return t
}

// Keep adds rows to kept and returns at most limit of them, the ones a
// person looks at first: those needing attention, then the oldest, then
// by name. The workflow bounds its result with it (a fleet of 10,000
// secrets would not fit a Temporal payload); the totals count them all.
func Keep(kept []Row, rows []Row, limit int) []Row {
	out := append(slices.Clone(kept), rows...)
	slices.SortStableFunc(out, compareRows)
	if len(out) > limit {
		out = out[:max(limit, 0)]
	}
	return out
}

func compareRows(a, b Row) int {
	switch {
	case a.NeedsAttention() != b.NeedsAttention():
		if a.NeedsAttention() {
			return -1
		}
		return 1
	case a.AgeSeconds != b.AgeSeconds:
		if a.AgeSeconds > b.AgeSeconds {
			return -1
		}
		return 1
	}
	return strings.Compare(a.Name, b.Name)
}
