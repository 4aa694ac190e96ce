//go:build conformance

package main

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// report is the outcome of a run: which cases agree and each difference
// with its verdict.
type report struct {
	cases    int
	agree    int
	groups   []judged
	counts   map[kind]int
	unjudged int
	stale    []verdict
	took     time.Duration
}

func buildReport(cases []testCase, results []caseResult, table []verdict, took time.Duration) report {
	r := report{cases: len(cases), counts: map[kind]int{}, took: took}
	used := map[string]bool{}
	for i, tc := range cases {
		diffs := compareCase(tc, results[i].local, results[i].moto)
		if len(diffs) == 0 {
			r.agree++
			continue
		}
		for _, g := range judge(tc.id, diffs, table) {
			r.groups = append(r.groups, g)
			r.counts[g.verdict.kind]++
			used[verdictKey(g.verdict)] = true
			if g.verdict.kind == unjudged {
				r.unjudged++
			}
		}
	}
	ran := map[string]bool{}
	for _, tc := range cases {
		ran[tc.id] = true
	}
	for _, v := range table {
		if ran[v.caseID] && !used[verdictKey(v)] {
			r.stale = append(r.stale, v)
		}
	}
	sort.SliceStable(r.groups, func(i, j int) bool { return kindOrder(r.groups[i].verdict.kind) < kindOrder(r.groups[j].verdict.kind) })
	return r
}

func verdictKey(v verdict) string { return v.caseID + "|" + strings.Join(v.paths, ",") }

func kindOrder(k kind) int {
	switch k {
	case unjudged:
		return 0
	case localawsWrong:
		return 1
	case motoWrong:
		return 2
	}
	return 3
}

func (r report) summary() string {
	return fmt.Sprintf("conformance: %d of %d cases agree; %d differences in %d cases: %d localaws wrong, %d moto wrong, %d irrelevant, %d unjudged (%.0fs)\n",
		r.agree, r.cases, len(r.groups), r.cases-r.agree, r.counts[localawsWrong], r.counts[motoWrong], r.counts[irrelevant], r.counts[unjudged], r.took.Seconds())
}

// table is the short form printed on the terminal: one line per
// difference, its first differing member, the verdict.
func (r report) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-40s %-30s %s\n", "CASE", "STEP", "VERDICT (the full reason and every differing member: the report file)")
	for _, g := range r.groups {
		d := g.diffs[0]
		more := ""
		if len(g.diffs) > 1 {
			more = fmt.Sprintf(" (+%d)", len(g.diffs)-1)
		}
		fmt.Fprintf(&b, "%-40s %-30s %s\n", g.caseID, d.op+" "+strings.SplitN(d.key, ":", 2)[0]+more, shorten(verdictText(g.verdict), 110))
	}
	for _, v := range r.stale {
		fmt.Fprintf(&b, "note: verdict for %s %v matched no difference (fixed? remove it)\n", v.caseID, v.paths)
	}
	b.WriteString(r.summary())
	return b.String()
}

func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func verdictText(v verdict) string {
	switch v.kind {
	case unjudged:
		return "unjudged"
	case localawsWrong:
		if v.why != "" {
			return "localaws wrong: " + v.why
		}
		return "localaws wrong"
	}
	return fmt.Sprintf("%s (%s)", v.kind, v.why)
}

// full is the report file: every differing member of every difference.
func (r report) full() string {
	var b strings.Builder
	b.WriteString(r.summary())
	for _, g := range r.groups {
		fmt.Fprintf(&b, "\n== %s — %s\n", g.caseID, verdictText(g.verdict))
		for _, d := range g.diffs {
			fmt.Fprintf(&b, "  step %s (%s)\n    localaws: %s\n    moto:     %s\n", d.key, d.op, d.local, d.moto)
		}
	}
	for _, v := range r.stale {
		fmt.Fprintf(&b, "\nnote: verdict for %s %v matched no difference (fixed? remove it)\n", v.caseID, v.paths)
	}
	return b.String()
}
