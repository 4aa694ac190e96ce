package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/credstage/credstage/internal/inventory"
)

// writeReport prints the rows: a table with notes and a summary line, or
// one JSON object per row. It takes now so that a golden file can pin it.
func writeReport(w io.Writer, rows []inventory.Row, now time.Time, asJSON bool) error {
	if asJSON {
		for _, r := range rows {
			if err := writeJSON(w, r); err != nil {
				return err
			}
		}
		return nil
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "No managed secrets.")
		return nil
	}
	t := newTable(w, "SECRET", "ENVIRONMENT", "STRATEGY", "AGE", "LAST RUN", "STATUS", "NEXT RUN", "OVERDUE")
	var overdue, bad int
	var notes []string
	for _, r := range rows {
		age := ""
		if r.Error == "" {
			age = ageString(r.Age())
		} else {
			notes = append(notes, r.Name+": "+r.Error)
		}
		t.row(r.Name, r.Environment, r.Strategy, age, timestamp(r.LastRun), r.LastStatus, nextRun(r.NextRun, now), overdueCell(r))
		if r.Overdue {
			overdue++
		}
		if r.LastRotationBad() {
			bad++
		}
	}
	t.flush()
	for _, n := range notes {
		fmt.Fprintln(w, "note: "+n)
	}
	fmt.Fprintf(w, "%d managed secrets: %d overdue, %d whose last rotation failed or rolled back.\n", len(rows), overdue, bad)
	return nil
}

func overdueCell(r inventory.Row) string {
	limit := time.Duration(r.MaxAgeSeconds) * time.Second
	switch {
	case limit <= 0:
		return "" // no limit applies
	case r.Overdue:
		return "yes (max " + ageString(limit) + ")"
	}
	return "no (max " + ageString(limit) + ")"
}

// nextRun is the next scheduled run, with how far off it is.
func nextRun(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	return timestamp(t) + " (in " + ageString(t.Sub(now)) + ")"
}
