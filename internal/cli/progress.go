package cli

import (
	"bytes"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/credstage/credstage/workflows"
)

// progressLines renders a staged run's progress as aligned lines: one per
// stage, one per target under it, and an indented line for each error.
func progressLines(p workflows.Progress, workflowID string, now time.Time) []string {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	for _, s := range p.Stages {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Status, stageNote(s, workflowID, now))
		for _, t := range s.Targets {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", t.SecretID, t.Status, t.Step)
		}
	}
	tw.Flush()
	// Errors are added after alignment so a long message does not widen
	// every column.
	var out []string
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	i := 0
	for _, s := range p.Stages {
		out = append(out, lines[i])
		i++
		for _, t := range s.Targets {
			out = append(out, lines[i])
			i++
			if t.Error != "" {
				out = append(out, "      error: "+t.Error)
			}
			if t.Drain.Notable() {
				out = append(out, "      "+t.Drain.String())
			}
		}
	}
	return out
}

func stageNote(s workflows.StageProgress, workflowID string, now time.Time) string {
	note := stageState(s, workflowID, now)
	if n := len(s.Consumers); n > 0 {
		c := s.Consumers[n-1]
		note += fmt.Sprintf("; sessions on the new credentials %d, on the old %d (%d secrets, at %s)", c.OnCurrent, c.OnPrevious, c.Secrets, timestamp(c.At))
		if c.Uncounted > 0 {
			note += fmt.Sprintf(", %d not counted", c.Uncounted)
		}
	}
	return note
}

func stageState(s workflows.StageProgress, workflowID string, now time.Time) string {
	switch s.Status {
	case workflows.StatusAwaitingApproval:
		return fmt.Sprintf("waiting: credstage approve %s --stage %s", workflowID, s.Name)
	case workflows.StatusBaking:
		if !s.BakeUntil.IsZero() {
			left := s.BakeUntil.Sub(now).Round(time.Second)
			return fmt.Sprintf("until %s (%s left)", timestamp(s.BakeUntil), max(left, 0))
		}
	}
	done := 0
	for _, t := range s.Targets {
		if t.Status == workflows.StatusSucceeded {
			done++
		}
	}
	if len(s.Targets) > 0 {
		return fmt.Sprintf("%d/%d rotated", done, len(s.Targets))
	}
	return ""
}

// headline is the one-line summary above the progress table.
func headline(p workflows.Progress) string {
	h := fmt.Sprintf("plan %s: %s", p.Plan, p.Status)
	if p.CurrentStage != "" && !isFinal(p.Status) {
		h += ", stage " + p.CurrentStage
	}
	return h
}

// isFinal reports whether a run status ends the run.
func isFinal(status string) bool {
	switch status {
	case workflows.StatusSucceeded, workflows.StatusFailed, workflows.StatusRolledBack, workflows.StatusAborted:
		return true
	}
	return false
}

// progressEvents lists what changed between two snapshots, one plain line
// per change, for logs where a redrawn table would be noise.
// sameTarget compares what a progress line shows of a target.
func sameTarget(a, b workflows.TargetProgress) bool {
	return a.SecretID == b.SecretID && a.Status == b.Status && a.Step == b.Step && a.Error == b.Error && a.StaleCleared == b.StaleCleared
}

func progressEvents(prev, cur workflows.Progress) []string {
	var out []string
	if prev.Status != cur.Status {
		out = append(out, fmt.Sprintf("plan %s: %s", cur.Plan, cur.Status))
	}
	old := map[string]workflows.StageProgress{}
	for _, s := range prev.Stages {
		old[s.Name] = s
	}
	for _, s := range cur.Stages {
		ps := old[s.Name]
		if ps.Status != s.Status {
			out = append(out, fmt.Sprintf("stage %s: %s", s.Name, s.Status))
		}
		oldT := map[string]workflows.TargetProgress{}
		for _, t := range ps.Targets {
			oldT[t.SecretID] = t
		}
		for _, t := range s.Targets {
			pt := oldT[t.SecretID]
			if t.Drain.Notable() && !pt.Drain.Notable() {
				out = append(out, fmt.Sprintf("stage %s: %s: %s", s.Name, t.SecretID, t.Drain))
			}
			if !sameTarget(pt, t) {
				line := fmt.Sprintf("stage %s: %s: %s", s.Name, t.SecretID, t.Status)
				if t.Step != "" {
					line += " (" + t.Step + ")"
				}
				if t.Error != "" && t.Error != pt.Error {
					line += ": " + t.Error
				}
				out = append(out, line)
			}
		}
	}
	return out
}
