package cli

import (
	"encoding/json"
	"path"
	"strings"
)

// Who a secret's resource policy lets read it: the principals of its
// Allow statements whose actions cover secretsmanager:GetSecretValue.
// Conditions are not evaluated (a reader allowed under a condition is
// still one the owner named), and "*" names no one in particular, so it
// is reported rather than expected: an audit that took "*" for "expected"
// would flag nobody.

type policyDoc struct {
	Statement oneOrMany[policyStatement] `json:"Statement"`
}

type policyStatement struct {
	Effect    string          `json:"Effect"`
	Principal json.RawMessage `json:"Principal"`
	Action    oneOrMany[string]
}

// oneOrMany decodes a policy element written as one value or a list.
type oneOrMany[T any] []T

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	var many []T
	if err := json.Unmarshal(b, &many); err == nil {
		*o = many
		return nil
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*o = []T{one}
	return nil
}

// policyReaders returns the principal ARNs a resource policy allows to
// call GetSecretValue, and whether it allows everyone ("*").
func policyReaders(policy string) (readers []string, anyone bool) {
	var doc policyDoc
	if policy == "" || json.Unmarshal([]byte(policy), &doc) != nil {
		return nil, false
	}
	for _, st := range doc.Statement {
		if st.Effect != "Allow" || !coversGetSecretValue(st.Action) {
			continue
		}
		var star string
		if json.Unmarshal(st.Principal, &star) == nil && star == "*" {
			anyone = true
			continue
		}
		var byType map[string]oneOrMany[string]
		if json.Unmarshal(st.Principal, &byType) != nil {
			continue
		}
		for _, p := range byType["AWS"] {
			if p == "*" {
				anyone = true
				continue
			}
			readers = append(readers, p)
		}
	}
	return readers, anyone
}

func coversGetSecretValue(actions []string) bool {
	for _, a := range actions {
		if ok, _ := path.Match(strings.ToLower(a), "secretsmanager:getsecretvalue"); ok {
			return true
		}
	}
	return false
}
