package localaws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Condition blocks, with AWS's logic: every operator of a block, and every
// key under an operator, must hold (AND); the values listed for one key
// are alternatives (OR), except for the negated operators, which hold when
// the request's value matches none of them. A key the request does not
// carry makes a condition false, a negated one true, an ...IfExists one
// true; Null tests presence itself. ForAnyValue: and ForAllValues: compare
// each value of a multi-valued key (aws:TagKeys) against the list.

// condContext holds the request's condition keys, lower-cased (IAM key
// names are case-insensitive), each with one or more values.
type condContext map[string][]string

func (c condContext) set(key string, values ...string) { c[strings.ToLower(key)] = values }

type condSet int

const (
	condSingle condSet = iota
	condForAnyValue
	condForAllValues
)

type policyCondition struct {
	operator string // base operator, e.g. StringLike
	set      condSet
	ifExists bool
	key      string // lower-cased
	values   []string
}

// condOperators are the base operators localaws evaluates; negated ones
// hold when no value matches.
var condOperators = map[string]struct {
	match   func(policy, value string) bool
	negated bool
}{
	"StringEquals":              {func(p, v string) bool { return p == v }, false},
	"StringNotEquals":           {func(p, v string) bool { return p == v }, true},
	"StringEqualsIgnoreCase":    {strings.EqualFold, false},
	"StringNotEqualsIgnoreCase": {strings.EqualFold, true},
	"StringLike":                {func(p, v string) bool { return globMatch(p, v, false) }, false},
	"StringNotLike":             {func(p, v string) bool { return globMatch(p, v, false) }, true},
	"ArnEquals":                 {arnMatch, false},
	"ArnLike":                   {arnMatch, false},
	"ArnNotEquals":              {arnMatch, true},
	"ArnNotLike":                {arnMatch, true},
	"Bool":                      {strings.EqualFold, false},
	"Null":                      {nil, false},
}

// parseConditions reads {"Operator": {"key": value-or-list, ...}, ...}.
func parseConditions(raw json.RawMessage) ([]policyCondition, error) {
	// A repeated operator or key would silently keep only its last
	// values, so both levels refuse duplicates.
	const shape = "condition must be an object of operators, each an object of keys"
	var block map[string]json.RawMessage
	if err := strictUnmarshal(raw, &block); err != nil {
		return nil, fmt.Errorf("%s: %v", shape, err)
	}
	var out []policyCondition
	for op, rawKeys := range block {
		c, err := parseOperator(op)
		if err != nil {
			return nil, err
		}
		var keys map[string]json.RawMessage
		if err := strictUnmarshal(rawKeys, &keys); err != nil {
			return nil, fmt.Errorf("%s: %s: %v", shape, op, err)
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("condition operator %s names no key", op)
		}
		for key, rawVals := range keys {
			vals, err := conditionValues(rawVals)
			if err != nil || len(vals) == 0 {
				return nil, fmt.Errorf("condition %s %s: values must be strings, booleans or numbers, or a non-empty list of them", op, key)
			}
			if c.operator == "Null" || c.operator == "Bool" {
				for _, v := range vals {
					if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
						return nil, fmt.Errorf("condition %s %s: %q is not true or false", op, key, v)
					}
				}
			}
			c.key, c.values = strings.ToLower(key), vals
			out = append(out, c)
		}
	}
	// Map order is random; a stable order keeps evaluation reproducible.
	sort.SliceStable(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, nil
}

func parseOperator(op string) (policyCondition, error) {
	c := policyCondition{}
	base := op
	if rest, ok := strings.CutPrefix(base, "ForAnyValue:"); ok {
		base, c.set = rest, condForAnyValue
	} else if rest, ok := strings.CutPrefix(base, "ForAllValues:"); ok {
		base, c.set = rest, condForAllValues
	}
	if rest, ok := strings.CutSuffix(base, "IfExists"); ok && base != "Null" {
		base, c.ifExists = rest, true
	}
	if _, ok := condOperators[base]; !ok {
		return c, fmt.Errorf("condition operator %q is not one localaws evaluates (String*, Arn*, Bool, Null, with ForAnyValue:/ForAllValues: and IfExists)", op)
	}
	if base == "Null" && (c.set != condSingle || c.ifExists) {
		return c, fmt.Errorf("condition operator %q: Null takes no set prefix or IfExists", op)
	}
	c.operator = base
	return c, nil
}

// conditionValues accepts a scalar or a list of scalars; booleans and
// numbers compare by their JSON text, as IAM compares them as strings.
func conditionValues(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
		var out []string
		for _, it := range items {
			v, err := conditionScalar(it)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	v, err := conditionScalar(raw)
	if err != nil {
		return nil, err
	}
	return []string{v}, nil
}

func conditionScalar(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return string(raw), nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), nil
	}
	return "", errors.New("not a scalar")
}

// holds evaluates one condition against the request.
func (c policyCondition) holds(ctx condContext) bool {
	vals, present := ctx[c.key]
	if c.operator == "Null" {
		for _, want := range c.values {
			if strings.EqualFold(want, "true") != present {
				return true
			}
		}
		return false
	}
	if !present && c.ifExists {
		return true
	}
	op := condOperators[c.operator]
	matchesAny := func(v string) bool {
		for _, p := range c.values {
			if op.match(p, v) {
				return true
			}
		}
		return false
	}
	// satisfied is the outcome for one request value.
	satisfied := func(v string) bool { return matchesAny(v) != op.negated }
	switch c.set {
	case condForAllValues:
		for _, v := range vals {
			if !satisfied(v) {
				return false
			}
		}
		return true // also with no values at all, as in AWS
	case condForAnyValue:
		for _, v := range vals {
			if satisfied(v) {
				return true
			}
		}
		return false
	}
	if !present {
		return op.negated
	}
	if op.negated {
		for _, v := range vals {
			if matchesAny(v) {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if matchesAny(v) {
			return true
		}
	}
	return false
}

// conditionsHold is the AND of a statement's conditions.
func conditionsHold(conds []policyCondition, ctx condContext) bool {
	for _, c := range conds {
		if !c.holds(ctx) {
			return false
		}
	}
	return true
}
