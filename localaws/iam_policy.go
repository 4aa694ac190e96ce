package localaws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// An IAM policy document, parsed once (when the config is loaded or a
// resource policy is put) into the form the evaluator walks. Parsing is
// strict: an element localaws would not understand is refused with the
// reason, rather than silently evaluated as something else, so a policy
// that works here means what it says.

// policyKind tells identity policies (no Principal) from resource
// policies (Principal or NotPrincipal required).
type policyKind int

const (
	identityPolicy policyKind = iota
	resourcePolicy
)

type policyDoc struct {
	statements []*policyStatement
}

type policyStatement struct {
	sid         string
	deny        bool
	actions     []string
	notAction   bool
	resources   []string
	notResource bool
	// principals is nil in identity policies.
	principals   *policyPrincipals
	notPrincipal bool
	conditions   []policyCondition
}

// policyPrincipals is the Principal (or NotPrincipal) element. Only AWS
// principals can ever match a caller of localaws; Service, Federated and
// CanonicalUser entries are kept so a policy naming them still parses.
type policyPrincipals struct {
	everyone bool     // "*" or {"AWS": "*"}
	aws      []string // ARNs; a bare account id is stored as its root ARN
	others   bool     // Service, Federated or CanonicalUser entries
}

// policyVersions are the versions of the policy language; only the
// current one supports policy variables, which localaws does not expand
// (a "${...}" is compared literally).
var policyVersions = []string{"2012-10-17", "2008-10-17"}

// parsePolicy parses and checks one policy document.
func parsePolicy(data []byte, kind policyKind) (*policyDoc, error) {
	var top map[string]json.RawMessage
	if err := strictUnmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("the policy is not a JSON object: %w", err)
	}
	for k := range top {
		if k != "Version" && k != "Id" && k != "Statement" {
			return nil, fmt.Errorf("unknown policy element %q (expected Version, Id, Statement)", k)
		}
	}
	if raw, ok := top["Version"]; ok {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil || !slices.Contains(policyVersions, v) {
			return nil, fmt.Errorf("the Version must be %q (got %s)", policyVersions[0], raw)
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, errors.New("the policy has no Statement")
	}
	var list []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("the Statement: %w", err)
		}
	} else {
		list = []json.RawMessage{raw}
	}
	if len(list) == 0 {
		return nil, errors.New("the policy has no Statement")
	}
	doc := &policyDoc{}
	for i, rawSt := range list {
		st, err := parseStatement(rawSt, kind)
		if err != nil {
			label := fmt.Sprintf("statement %d", i+1)
			if st != nil && st.sid != "" {
				label += fmt.Sprintf(" (Sid %q)", st.sid)
			}
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		doc.statements = append(doc.statements, st)
	}
	return doc, nil
}

var statementElements = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

// parseStatement returns the statement parsed so far along with an error,
// so the caller can name the Sid.
func parseStatement(raw json.RawMessage, kind policyKind) (*policyStatement, error) {
	var m map[string]json.RawMessage
	if err := strictUnmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	st := &policyStatement{}
	if v, ok := m["Sid"]; ok {
		if err := json.Unmarshal(v, &st.sid); err != nil {
			return nil, errors.New("the Sid must be a string")
		}
	}
	for k := range m {
		if !slices.Contains(statementElements, k) {
			return st, fmt.Errorf("unknown element %q", k)
		}
	}
	var effect string
	if err := json.Unmarshal(m["Effect"], &effect); err != nil {
		return st, errors.New("the Effect is missing or not a string")
	}
	switch effect {
	case "Allow":
	case "Deny":
		st.deny = true
	default:
		return st, fmt.Errorf("unknown Effect %q (expected Allow or Deny)", effect)
	}
	var err error
	if st.actions, st.notAction, err = exclusiveList(m, "Action", "NotAction"); err != nil {
		return st, err
	}
	for _, a := range st.actions {
		if a != "*" && !strings.Contains(a, ":") {
			return st, fmt.Errorf("action %q is not service:action or *", a)
		}
	}
	if st.resources, st.notResource, err = exclusiveList(m, "Resource", "NotResource"); err != nil {
		return st, err
	}
	_, hasP := m["Principal"]
	_, hasNP := m["NotPrincipal"]
	switch {
	case kind == identityPolicy && (hasP || hasNP):
		return st, errors.New("an identity-based policy cannot name a Principal or NotPrincipal")
	case kind == resourcePolicy && hasP && hasNP:
		return st, errors.New("a statement takes Principal or NotPrincipal, not both")
	case kind == resourcePolicy && !hasP && !hasNP:
		return st, errors.New("a resource-based policy statement needs a Principal or NotPrincipal")
	case hasP:
		st.principals, err = parsePrincipals(m["Principal"])
	case hasNP:
		st.principals, err = parsePrincipals(m["NotPrincipal"])
		st.notPrincipal = true
	}
	if err != nil {
		return st, err
	}
	if raw, ok := m["Condition"]; ok {
		if st.conditions, err = parseConditions(raw); err != nil {
			return st, err
		}
	}
	return st, nil
}

// exclusiveList reads exactly one of two list elements (Action/NotAction,
// Resource/NotResource), each a string or a non-empty array of strings.
func exclusiveList(m map[string]json.RawMessage, name, notName string) (values []string, not bool, err error) {
	raw, has := m[name]
	notRaw, hasNot := m[notName]
	switch {
	case has && hasNot:
		return nil, false, fmt.Errorf("a statement takes %s or %s, not both", name, notName)
	case !has && !hasNot:
		return nil, false, fmt.Errorf("missing %s (or %s)", name, notName)
	case hasNot:
		raw, name, not = notRaw, notName, true
	}
	values, err = stringOrList(raw)
	if err != nil || len(values) == 0 {
		return nil, false, fmt.Errorf("%s must be a string or a non-empty list of strings", name)
	}
	for _, v := range values {
		if v == "" {
			return nil, false, fmt.Errorf("%s has an empty entry", name)
		}
	}
	return values, not, nil
}

func stringOrList(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, err
	}
	return many, nil
}

func parsePrincipals(raw json.RawMessage) (*policyPrincipals, error) {
	var star string
	if json.Unmarshal(raw, &star) == nil {
		if star != "*" {
			return nil, fmt.Errorf("the Principal %q must be \"*\" or an object such as {\"AWS\": ...}", star)
		}
		return &policyPrincipals{everyone: true}, nil
	}
	var m map[string]json.RawMessage
	if err := strictUnmarshal(raw, &m); err != nil || len(m) == 0 {
		msg := "the Principal must be \"*\" or a non-empty object"
		if err != nil {
			msg += ": " + err.Error()
		}
		return nil, errors.New(msg)
	}
	p := &policyPrincipals{}
	for kind, v := range m {
		ids, err := stringOrList(v)
		if err != nil || len(ids) == 0 {
			return nil, fmt.Errorf("the Principal %s must be a string or a non-empty list of strings", kind)
		}
		switch kind {
		case "AWS":
			for _, id := range ids {
				switch {
				case id == "*":
					p.everyone = true
				case isAccountID(id):
					p.aws = append(p.aws, "arn:aws:iam::"+id+":root")
				case strings.HasPrefix(id, "arn:aws:iam::") || strings.HasPrefix(id, "arn:aws:sts::"):
					if strings.ContainsAny(id, "*?") {
						return nil, fmt.Errorf("the Principal AWS %q: wildcards are not allowed in a principal ARN", id)
					}
					p.aws = append(p.aws, id)
				default:
					return nil, fmt.Errorf("the Principal AWS %q is not an account id, an IAM ARN or \"*\"", id)
				}
			}
		case "Service", "Federated", "CanonicalUser":
			p.others = true
		default:
			return nil, fmt.Errorf("unknown principal type %q", kind)
		}
	}
	return p, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// strictUnmarshal decodes one JSON value and refuses trailing data and
// duplicate keys in the outermost object, which encoding/json would
// silently merge (the last one winning). Every object of a policy whose
// keys mean something (the document, a statement, Principal, Condition
// and each operator in it) is read with it.
func strictUnmarshal(data []byte, v *map[string]json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New("expected an object")
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		key := kt.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return err
		}
		if _, dup := out[key]; dup {
			return fmt.Errorf("duplicate element %q", key)
		}
		out[key] = val
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	if _, err := dec.Token(); err == nil {
		return errors.New("unexpected data after the object")
	}
	*v = out
	return nil
}
