//go:build conformance

package main

import (
	"fmt"
	"sort"
	"strings"
)

// A diff is one member that the emulators answered differently: key is
// "<step>:<path>" (steps count from 1), as verdicts name them.
type diff struct {
	key, op     string
	local, moto string
}

// compareCase lines up the two emulators' answers step by step.
func compareCase(tc testCase, local, moto []answer) []diff {
	var diffs []diff
	for i, st := range tc.steps {
		l, m := local[i], moto[i]
		if l.skip {
			continue
		}
		lf, mf := flatten(view(l, st.keep)), flatten(view(m, st.keep))
		paths := map[string]bool{}
		for p := range lf {
			paths[p] = true
		}
		for p := range mf {
			paths[p] = true
		}
		sorted := make([]string, 0, len(paths))
		for p := range paths {
			sorted = append(sorted, p)
		}
		sort.Strings(sorted)
		for _, p := range sorted {
			if lf[p] != mf[p] {
				diffs = append(diffs, diff{key: fmt.Sprintf("%d:%s", i+1, p), op: st.op, local: orAbsent(lf[p]), moto: orAbsent(mf[p])})
			}
		}
	}
	return diffs
}

func orAbsent(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}

// view is an answer as one tree: {"ok": output} or {"error": {...}}, so
// that a success on one side and an error on the other differ at "ok"
// and "error" at once.
func view(a answer, keep []string) any {
	switch {
	case a.failed != "":
		return map[string]any{"failed": a.failed}
	case a.err != nil:
		return map[string]any{"error": map[string]any{
			"Code": a.err.Code, "Message": normalizeString(a.err.Message), "Status": float64(a.err.Status),
		}}
	}
	out := normalize(a.out, keep)
	if out == nil {
		out = "{}"
	}
	return map[string]any{"ok": out}
}

// flatten turns a tree into path -> JSON of each leaf. A list is one leaf
// when it holds scalars (its order was normalized already), so that one
// member more shows as one difference, not a shift of every index.
func flatten(v any) map[string]string {
	out := map[string]string{}
	var rec func(v any, path string)
	rec = func(v any, path string) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				p := k
				if path != "" {
					p = path + "." + k
				}
				rec(x, p)
			}
		case []any:
			scalars := true
			for _, x := range t {
				switch x.(type) {
				case map[string]any, []any:
					scalars = false
				}
			}
			if scalars {
				out[path] = canon(t)
				return
			}
			for i, x := range t {
				rec(x, fmt.Sprintf("%s[%d]", path, i))
			}
		default:
			out[path] = strings.TrimSpace(canon(t))
		}
	}
	rec(v, "")
	return out
}
