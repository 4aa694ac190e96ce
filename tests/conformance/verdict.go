//go:build conformance

package main

import "strings"

// kind is who a verdict says is wrong.
type kind string

const (
	localawsWrong kind = "localaws wrong"
	motoWrong     kind = "moto wrong"
	irrelevant    kind = "irrelevant"
	unjudged      kind = "unjudged"
)

// A verdict judges the differences of one case on the given paths
// ("<step>:<path>", a trailing * matching any rest). why says, for moto
// wrong, what AWS documents and where; for irrelevant, why it does not
// matter to credstage or to any AWS client; for localaws wrong, what AWS
// does instead.
type verdict struct {
	caseID string
	paths  []string
	kind   kind
	why    string
}

func (v verdict) covers(key string) bool {
	for _, p := range v.paths {
		if strings.HasSuffix(p, "*") && strings.HasPrefix(key, strings.TrimSuffix(p, "*")) {
			return true
		}
		if key == p || strings.HasPrefix(key, p+".") || strings.HasPrefix(key, p+"[") {
			return true
		}
	}
	return false
}

// judged is one case's differences grouped under the verdict that covers
// them (the first that does, in table order); uncovered ones are grouped
// as unjudged.
type judged struct {
	caseID  string
	verdict verdict
	diffs   []diff
}

func judge(caseID string, diffs []diff, table []verdict) []judged {
	var groups []judged
	index := map[int]int{}
	var rest []diff
	for _, d := range diffs {
		found := false
		for i, v := range table {
			if v.caseID == caseID && v.covers(d.key) {
				if g, ok := index[i]; ok {
					groups[g].diffs = append(groups[g].diffs, d)
				} else {
					index[i] = len(groups)
					groups = append(groups, judged{caseID: caseID, verdict: v, diffs: []diff{d}})
				}
				found = true
				break
			}
		}
		if !found {
			rest = append(rest, d)
		}
	}
	if len(rest) > 0 {
		groups = append(groups, judged{caseID: caseID, verdict: verdict{caseID: caseID, kind: unjudged}, diffs: rest})
	}
	return groups
}
