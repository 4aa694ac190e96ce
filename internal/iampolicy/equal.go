package iampolicy

import (
	"encoding/json"
	"slices"
)

// Equal says whether two policy documents in JSON mean the same: AWS may
// hand a policy back reformatted, and a string and a one-element list,
// or two lists in another order, say the same thing in a policy. A
// document that does not parse equals nothing.
func Equal(a, b string) bool {
	ca, okA := canonical(a)
	cb, okB := canonical(b)
	return okA && okB && ca == cb
}

func canonical(doc string) (string, bool) {
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return "", false
	}
	b, err := json.Marshal(normalize(v))
	return string(b), err == nil
}

// normalize turns one-element lists into their element and sorts the
// elements of every list (by their own canonical form); encoding/json
// already writes object keys in order.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalize(x)
		}
		return t
	case []any:
		if len(t) == 1 {
			return normalize(t[0])
		}
		keyed := make([]string, len(t))
		for i, x := range t {
			b, _ := json.Marshal(normalize(x))
			keyed[i] = string(b)
		}
		slices.Sort(keyed)
		out := make([]any, len(keyed))
		for i, k := range keyed {
			out[i] = json.RawMessage(k)
		}
		return out
	}
	return v
}
