//go:build conformance

package main

import "testing"

// The normalizer and the verdict matching decide what counts as a
// difference: these run without emulators (go test -tags conformance
// ./tests/conformance).

func TestNormalizeString(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:secretsmanager:us-east-1:000000000000:secret:conf/a-AbC123": "arn:aws:secretsmanager:us-east-1:ACCOUNT:secret:conf/a-SUFFIX",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:conf/a-xYz789": "arn:aws:secretsmanager:us-east-1:ACCOUNT:secret:conf/a-SUFFIX",
		"version 3f1c2d4e-1111-4222-8333-123456789abc":                       "version <uuid>",
		tok(7):                 tok(7),
		"2026-12-02T17:00:00Z": "<time>",
		"plain text":           "plain text",
	} {
		if got := normalizeString(in); got != want {
			t.Errorf("normalizeString(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeDropsEmptyAndSortsUnordered(t *testing.T) {
	a := map[string]any{"Tags": []any{"b", "a"}, "Values": []any{2.0, 1.0}, "Empty": []any{}, "Nil": nil}
	b := map[string]any{"Tags": []any{"a", "b"}, "Values": []any{2.0, 1.0}}
	if canon(normalize(a, nil)) != canon(normalize(b, nil)) {
		t.Errorf("%s != %s", canon(normalize(a, nil)), canon(normalize(b, nil)))
	}
	c := map[string]any{"Values": []any{1.0, 2.0}}
	if canon(normalize(c, nil)) == canon(normalize(b, nil)) {
		t.Error("Values' order is defined by AWS and must be compared")
	}
}

func TestProject(t *testing.T) {
	v := map[string]any{"DBInstance": map[string]any{"DBInstanceStatus": "available", "AvailabilityZone": "us-east-1a"}}
	got := canon(normalize(v, []string{"DBInstance.DBInstanceStatus"}))
	if got != `{"DBInstance":{"DBInstanceStatus":"available"}}` {
		t.Errorf("project: %s", got)
	}
}

func TestPasswordShape(t *testing.T) {
	if got := passwordShape("aB3!  x"); got != "<password len=7 lower,upper,digit,punct>" {
		t.Errorf("passwordShape: %s", got)
	}
}

func TestVerdictCovers(t *testing.T) {
	v := verdict{paths: []string{"2:error", "3:ok.Metrics*"}}
	for key, want := range map[string]bool{
		"2:error.Code": true, "2:error": true, "2:errors": false, "3:ok.Metrics[0].Name": true, "12:error.Code": false,
	} {
		if got := v.covers(key); got != want {
			t.Errorf("covers(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestJudgeLeavesUncoveredUnjudged(t *testing.T) {
	table := []verdict{{caseID: "c", paths: []string{"1:error.Message"}, kind: irrelevant}}
	groups := judge("c", []diff{{key: "1:error.Message"}, {key: "1:error.Code"}}, table)
	if len(groups) != 2 || groups[0].verdict.kind != irrelevant || groups[1].verdict.kind != unjudged {
		t.Errorf("groups: %+v", groups)
	}
}
