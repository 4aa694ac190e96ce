package cli

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/credstage/credstage/engine"
)

// The audit's verdict on one secret: who read it, who changed it, and
// which of them the owner did not name. Expected readers are the worker
// (which reads to rotate) and the readers of the secret's resource
// policy; the only expected writer is the worker. The worker is the
// principal given with --worker-principal; without one it is inferred
// from the PutSecretValue calls that carry credstage's version tokens
// (engine.Token), which is weaker (anyone can write such a token) and
// said so in the report.

// auditReadEvents are the calls that return a secret's value.
var auditReadEvents = []string{"GetSecretValue", "BatchGetSecretValue"}

// auditChangeEvents are the calls that change a secret, its versions,
// its policy or its tags.
var auditChangeEvents = []string{"CreateSecret", "PutSecretValue", "UpdateSecret", "UpdateSecretVersionStage",
	"RotateSecret", "CancelRotateSecret", "DeleteSecret", "RestoreSecret", "PutResourcePolicy",
	"DeleteResourcePolicy", "TagResource", "UntagResource", "ReplicateSecretToRegions",
	"RemoveRegionsFromReplication", "StopReplicationToReplica"}

// expectedPrincipal is a principal the audit does not flag, and why.
type expectedPrincipal struct {
	Principal string `json:"principal"`
	Why       string `json:"why"`
}

// callerRow is one principal's calls of one kind on a secret.
type callerRow struct {
	Principal  string    `json:"principal"`
	Event      string    `json:"event"`
	Count      int       `json:"count"`
	Failed     int       `json:"failed"`
	First      time.Time `json:"first"`
	Last       time.Time `json:"last"`
	Unexpected bool      `json:"unexpected"`
}

// secretAudit is the report of one secret.
type secretAudit struct {
	Secret          string              `json:"secret"`
	ARN             string              `json:"arn"`
	Expected        []expectedPrincipal `json:"expected"`
	PolicyAllowsAll bool                `json:"policyAllowsAnyone,omitempty"`
	Readers         []callerRow         `json:"readers"`
	Changes         []callerRow         `json:"changes"`
	EventsRead      int                 `json:"eventsRead"`
	Truncated       bool                `json:"truncated"`
	Note            string              `json:"note,omitempty"`
	PolicyNote      string              `json:"policyNote,omitempty"`
	Flagged         int                 `json:"flagged"`
}

// buildAudit sorts a secret's events into readers and changes and flags
// the callers nobody named.
func buildAudit(name, arn string, events []auditEvent, workers, policyReaders []string, anyone, truncated bool, maxEvents int) secretAudit {
	rep := secretAudit{Secret: name, ARN: arn, PolicyAllowsAll: anyone, EventsRead: len(events), Truncated: truncated,
		Readers: []callerRow{}, Changes: []callerRow{}}
	writers := map[string]bool{}
	for _, w := range workers {
		writers[w] = true
		rep.Expected = append(rep.Expected, expectedPrincipal{w, "worker (--worker-principal)"})
	}
	if len(workers) == 0 {
		for _, w := range inferredWorkers(events) {
			writers[w] = true
			rep.Expected = append(rep.Expected, expectedPrincipal{w, "worker (inferred: wrote credstage's version tokens; give --worker-principal to be sure)"})
		}
	}
	readers := maps.Clone(writers)
	for _, r := range policyReaders {
		if !readers[r] {
			readers[r] = true
			rep.Expected = append(rep.Expected, expectedPrincipal{r, "reader (resource policy)"})
		}
	}
	rows := map[string]*callerRow{}
	for _, e := range events {
		isRead, isChange := slices.Contains(auditReadEvents, e.Name), slices.Contains(auditChangeEvents, e.Name)
		if !isRead && !isChange {
			continue
		}
		key := e.Principal + "\x00" + e.Name
		row := rows[key]
		if row == nil {
			row = &callerRow{Principal: e.Principal, Event: e.Name, First: e.Time, Last: e.Time}
			row.Unexpected = (isRead && !readers[e.Principal]) || (isChange && !writers[e.Principal])
			rows[key] = row
		}
		row.Count++
		if e.ErrorCode != "" {
			row.Failed++
		}
		if e.Time.Before(row.First) {
			row.First = e.Time
		}
		if e.Time.After(row.Last) {
			row.Last = e.Time
		}
	}
	for _, row := range rows {
		if row.Unexpected {
			rep.Flagged++
		}
		if slices.Contains(auditReadEvents, row.Event) {
			rep.Readers = append(rep.Readers, *row)
		} else {
			rep.Changes = append(rep.Changes, *row)
		}
	}
	for _, list := range [][]callerRow{rep.Readers, rep.Changes} {
		sort.Slice(list, func(i, j int) bool {
			if list[i].Unexpected != list[j].Unexpected {
				return list[i].Unexpected
			}
			return list[i].Principal+list[i].Event < list[j].Principal+list[j].Event
		})
	}
	if truncated {
		rep.Note = fmt.Sprintf("read the newest %d events of %s; older ones not examined", maxEvents, name)
	}
	return rep
}

// inferredWorkers are the principals whose successful PutSecretValue
// carried a token in credstage's format.
func inferredWorkers(events []auditEvent) []string {
	var out []string
	for _, e := range events {
		if e.Name != "PutSecretValue" || e.ErrorCode != "" {
			continue
		}
		if _, ok := engine.TokenRun(e.Token); ok && !slices.Contains(out, e.Principal) {
			out = append(out, e.Principal)
		}
	}
	sort.Strings(out)
	return out
}

// printAudit writes the reports for a person.
func printAudit(a *app, from time.Time, reports []secretAudit) {
	if len(reports) == 0 {
		fmt.Fprintln(a.stdout, "no secret managed by credstage (tag credstage:managed=true) to audit")
		return
	}
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(a.stdout)
		}
		fmt.Fprintf(a.stdout, "%s (%s): %d events since %s\n", r.Secret, r.ARN, r.EventsRead, timestamp(from))
		if len(r.Expected) == 0 {
			fmt.Fprintln(a.stdout, "  expected: nobody named (give --worker-principal; the secret has no resource policy readers)")
		}
		for _, e := range r.Expected {
			fmt.Fprintf(a.stdout, "  expected: %s, %s\n", e.Principal, e.Why)
		}
		if r.PolicyNote != "" {
			fmt.Fprintf(a.stdout, "  note: %s\n", r.PolicyNote)
		}
		if r.PolicyAllowsAll {
			fmt.Fprintln(a.stdout, "  warning: the resource policy lets anyone (\"*\") read the secret")
		}
		for _, part := range []struct {
			title string
			rows  []callerRow
		}{{"reads", r.Readers}, {"changes", r.Changes}} {
			if len(part.rows) == 0 {
				fmt.Fprintf(a.stdout, "  no %s\n", part.title)
				continue
			}
			t := newTable(a.stdout, "  "+strings.ToUpper(part.title), "PRINCIPAL", "COUNT", "FAILED", "FIRST", "LAST", "VERDICT")
			for _, row := range part.rows {
				verdict := "expected"
				if row.Unexpected {
					verdict = "UNEXPECTED"
				}
				t.row("  "+row.Event, row.Principal, fmt.Sprint(row.Count), fmt.Sprint(row.Failed), timestamp(row.First), timestamp(row.Last), verdict)
			}
			t.flush()
		}
		if r.Note != "" {
			fmt.Fprintf(a.stdout, "  note: %s\n", r.Note)
		}
	}
	flagged := 0
	for _, r := range reports {
		flagged += r.Flagged
	}
	if flagged > 0 {
		fmt.Fprintf(a.stdout, "\n%d caller(s) not expected: see UNEXPECTED above\n", flagged)
	}
}
