package workflows

import (
	"fmt"
	"strings"
	"time"
)

// maxSummaryTargets bounds how many non-succeeded targets a stage lists
// by name, so the memo of a big fleet stays small; the counts are always
// complete.
const maxSummaryTargets = 50

// summary is the readable account of a run, for the result, the memo and
// the CLI. It holds names, statuses, steps and error messages, which never
// contain secret values (activities redact them).
func (s *stagedRun) summary(res StagedRotationResult) string {
	var b strings.Builder
	b.WriteString(fmt.Sprintf("plan %s: %s after %s", s.plan.Name, res.Status, time.Duration(res.DurationMS)*time.Millisecond))
	if s.aborted {
		b.WriteString(" (aborted")
		if s.abort.By != "" {
			b.WriteString(" by " + s.abort.By)
		}
		if s.abort.Reason != "" {
			b.WriteString(": " + s.abort.Reason)
		}
		b.WriteString(")")
	}
	for _, sp := range res.Stages {
		b.WriteString(fmt.Sprintf("\n%s: %s", sp.Name, sp.Status))
		counts := map[string]int{}
		for _, t := range sp.Targets {
			counts[t.Status]++
		}
		var parts []string
		for _, st := range []string{StatusSucceeded, StatusPromotedUnverified, StatusRolledBack, StatusFailed, StatusSkipped, StatusPending, StatusRunning} {
			if counts[st] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
			}
		}
		b.WriteString(fmt.Sprintf(" (%d targets: %s)", len(sp.Targets), strings.Join(parts, ", ")))
		listed := 0
		for _, t := range sp.Targets {
			if t.Status == StatusSucceeded && t.Error == "" && t.StaleCleared == "" && t.Drain == nil || t.Status == StatusSkipped {
				continue
			}
			if listed == maxSummaryTargets {
				b.WriteString("\n  …")
				break
			}
			listed++
			b.WriteString(fmt.Sprintf("\n  %s: %s", t.SecretID, t.Status))
			if t.Step != "" && t.Status != StatusSucceeded {
				b.WriteString(fmt.Sprintf(" at %s", t.Step))
			}
			if t.Error != "" {
				b.WriteString(": " + t.Error)
			}
			if t.StaleCleared != "" {
				b.WriteString(" (cleared a stale AWSPENDING on version " + t.StaleCleared + ")")
			}
			if t.Drain != nil {
				b.WriteString(" (" + t.Drain.String() + ")")
			}
		}
	}
	return b.String()
}
