package iampolicy

import (
	"bytes"
	"encoding/json"
)

// Version is the IAM policy language version every document uses.
const Version = "2012-10-17"

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a Document. Principal is set only in
// resource policies: "*" or map[string]Values{"AWS": ...}.
type Statement struct {
	Sid       string    `json:"Sid,omitempty"`
	Effect    string    `json:"Effect"`
	Principal any       `json:"Principal,omitempty"`
	Action    Values    `json:"Action,omitempty"`
	NotAction Values    `json:"NotAction,omitempty"`
	Resource  Values    `json:"Resource"`
	Condition Condition `json:"Condition,omitempty"`
}

// Condition maps an operator (StringEquals, ArnNotLike, ...) to its keys
// and their values.
type Condition map[string]map[string]Values

// Values is a policy element that may hold one string or several: one is
// written as a plain string, as AWS's own examples do.
type Values []string

// MarshalJSON writes a single value as a string, more as an array.
func (v Values) MarshalJSON() ([]byte, error) {
	if len(v) == 1 {
		return marshal(v[0], "")
	}
	return marshal([]string(v), "")
}

// Render is the document as the files under deploy/iam/ hold it: indented
// by two spaces, one newline at the end.
func Render(d Document) []byte {
	b, err := marshal(d, "  ")
	if err != nil {
		panic(err) // only strings, slices and maps: cannot fail
	}
	return append(b, '\n')
}

// Compact is the document on one line, as PutResourcePolicy takes it.
func Compact(d Document) string {
	b, err := marshal(d, "")
	if err != nil {
		panic(err)
	}
	return string(b)
}

// marshal is json.Marshal without HTML escaping: ARNs and conditions are
// read by people, and "&" or "<" spelled \u0026 would only confuse.
func marshal(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
