//go:build conformance

package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
)

// normalize rewrites an answer so that what AWS leaves to each
// implementation compares equal: account ids (moto's 123456789012,
// localaws's 000000000000), the random six characters AWS appends to a
// secret's ARN, generated UUIDs (not the fixed tokens of tok), times,
// generated passwords, local endpoints, and the order of lists AWS does
// not order. Absent, null and empty members are one thing: the SDK
// decodes them alike for a caller. keep, when set, projects the answer on
// those dotted paths.
func normalize(v any, keep []string) any {
	v = walk(v, "")
	if len(keep) > 0 {
		v = project(v, "", keep)
	}
	return v
}

var (
	accountRe   = regexp.MustCompile(`\b(000000000000|123456789012)\b`)
	secretArnRe = regexp.MustCompile(`(:secret:[A-Za-z0-9/_+=.@!-]+)-[A-Za-z0-9]{6}\b`)
	uuidRe      = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	fixedToken  = "00000000-0000-4000-8000-"
)

// orderedKeys are the lists whose order AWS defines (a metric's values
// and timestamps, newest first by default, paired by position).
var orderedKeys = map[string]bool{"Values": true, "Timestamps": true, "DashboardValidationMessages": true}

// generated are members whose value is made up by the emulator: only
// their presence and shape are compared.
var generated = map[string]func(string) string{
	"RandomPassword": passwordShape,
	"Address":        func(string) string { return "<host>" },
	"DbiResourceId":  func(string) string { return "<resource-id>" },
	"HostedZoneId":   func(string) string { return "<zone>" },
	"KmsKeyId":       func(string) string { return "<kms-key>" },
	"DashboardArn":   normalizeString,
	// A page token is opaque; only whether there is one matters.
	"NextToken": func(t string) string {
		if t == "" {
			return ""
		}
		return "<token>"
	},
}

func walk(v any, key string) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			if x = walk(x, k); !empty(x) {
				out[k] = x
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		out := []any{}
		for _, x := range t {
			if x = walk(x, key); !empty(x) {
				out = append(out, x)
			}
		}
		if !orderedKeys[key] {
			sort.Slice(out, func(i, j int) bool { return canon(out[i]) < canon(out[j]) })
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case string:
		if f, ok := generated[key]; ok {
			return f(t)
		}
		if key == "SecretString" {
			return secretStringShape(t)
		}
		return normalizeString(t)
	case float64:
		if key == "Port" {
			return "<port>"
		}
	}
	return v
}

func empty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}

func canon(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// normalizeString is also applied to error messages.
func normalizeString(s string) string {
	if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return "<time>"
	}
	s = accountRe.ReplaceAllString(s, "ACCOUNT")
	s = secretArnRe.ReplaceAllString(s, "$1-SUFFIX")
	s = uuidRe.ReplaceAllStringFunc(s, func(u string) string {
		if strings.HasPrefix(u, fixedToken) {
			return u
		}
		return "<uuid>"
	})
	return s
}

// passwordShape keeps what GetRandomPassword promises: the length and
// which kinds of characters it holds (RequireEachIncludedType: "at least
// one upper and lowercase letter, one number, and one punctuation"; none
// excluded). A space is allowed with IncludeSpace but never promised, so
// whether one was drawn is chance and left out.
func passwordShape(p string) string {
	var kinds []string
	has := func(f func(rune) bool) bool { return strings.IndexFunc(p, f) >= 0 }
	if has(unicode.IsLower) {
		kinds = append(kinds, "lower")
	}
	if has(unicode.IsUpper) {
		kinds = append(kinds, "upper")
	}
	if has(unicode.IsDigit) {
		kinds = append(kinds, "digit")
	}
	if has(func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }) {
		kinds = append(kinds, "punct")
	}
	return fmt.Sprintf("<password len=%d %s>", len([]rune(p)), strings.Join(kinds, ","))
}

// secretStringShape keeps a JSON secret's members but not a generated
// password (an RDS-managed master secret).
func secretStringShape(s string) any {
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) != nil {
		return normalizeString(s)
	}
	if p, ok := m["password"].(string); ok {
		m["password"] = passwordShape(p)
	}
	return "json:" + canon(walk(m, ""))
}

// project keeps the members on keep's dotted paths (list elements are
// looked into: "DBInstances.DBInstanceStatus").
func project(v any, path string, keep []string) any {
	m, ok := v.(map[string]any)
	if !ok {
		if l, ok := v.([]any); ok {
			out := []any{}
			for _, x := range l {
				if x = project(x, path, keep); !empty(x) {
					out = append(out, x)
				}
			}
			return out
		}
		return v
	}
	out := map[string]any{}
	for k, x := range m {
		p := k
		if path != "" {
			p = path + "." + k
		}
		for _, want := range keep {
			if want == p || strings.HasPrefix(want, p+".") {
				if want == p {
					out[k] = x
				} else if y := project(x, p, keep); !empty(y) {
					out[k] = y
				}
				break
			}
		}
	}
	return out
}
