package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// planSecrets is the account the plan tests see.
var planSecrets = []fakeSecret{
	{Name: "staging/orders/app", Tags: map[string]string{"team": "orders", "env": "staging"}},
	{Name: "staging/orders/reporting", Tags: map[string]string{"team": "orders", "env": "staging"}},
	{Name: "staging/orders/worker", Tags: map[string]string{"team": "orders", "env": "staging"}, RotationEnabled: true, Pending: true},
	// Prefix matches of the selector's tag value: ListSecrets would
	// return it, the exact match must not.
	{Name: "staging/orders/legacy", Tags: map[string]string{"team": "orders", "env": "staging-old"}},
	{Name: "staging/billing/app", Tags: map[string]string{"team": "billing", "env": "staging"}},
	{Name: "production/orders/app", Tags: map[string]string{"team": "orders", "env": "production"}},
	{Name: "rds!db-orders-staging", OwningService: "rds"},
}

// TestPlanValidateGolden runs `plan validate` on good and bad plans. Bad
// ones must fail with exit 2 and one line per problem in the form
// file:line: field: cause; none may touch anything: only metadata reads
// reach Secrets Manager.
func TestPlanValidateGolden(t *testing.T) {
	cases := []struct {
		plan  string
		code  int
		lines int // lines on stderr for bad plans
	}{
		{"good", 0, 0},
		{"minimal", 0, 0},
		{"bad-unknown-field", 2, 1},
		{"bad-duration", 2, 1},
		{"bad-strategy", 2, 1},
		{"bad-duplicate-secret", 2, 1},
		{"bad-empty-stages", 2, 1},
		{"bad-missing-secret", 2, 1},
		{"bad-yaml-syntax", 2, 1},
		{"bad-validator", 2, 1},
		{"bad-selector-overlap", 2, 1},
		{"bad-rds-owned", 2, 1},
	}
	for _, tc := range cases {
		t.Run(tc.plan, func(t *testing.T) {
			t.Parallel()
			sm := newFakeSM(t, planSecrets...)
			file := "testdata/plans/" + tc.plan + ".yaml"
			r := run(t, sm.env(), "plan", "validate", file)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d: %s", r.code, tc.code, r)
			}
			if tc.code != 0 {
				lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
				if len(lines) != tc.lines || r.stdout != "" {
					t.Errorf("want %d line(s) on stderr and nothing on stdout: %s", tc.lines, r)
				}
				if !strings.HasPrefix(lines[0], file+":") {
					t.Errorf("error does not start with %s:line: %q", file, lines[0])
				}
			}
			for _, op := range sm.operations() {
				if op != "DescribeSecret" && op != "ListSecrets" {
					t.Errorf("plan validate called %s: it may only read metadata", op)
				}
			}
			golden(t, "plan-validate/"+tc.plan+".txt", r.String())
		})
	}
}

func TestPlanValidateJSON(t *testing.T) {
	sm := newFakeSM(t, planSecrets...)
	r := run(t, sm.env(), "plan", "validate", "testdata/plans/good.yaml", "--output", "json")
	if r.code != 0 {
		t.Fatal(r)
	}
	var out struct {
		Valid  bool
		Plan   string
		Stages []struct {
			Name    string
			Targets []struct {
				SecretID string
				Strategy string
				Selected bool
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if !out.Valid || out.Plan != "nightly" || len(out.Stages) != 2 {
		t.Fatalf("unexpected: %+v", out)
	}
	got := []string{}
	for _, tg := range out.Stages[0].Targets {
		got = append(got, tg.SecretID+"/"+tg.Strategy)
	}
	want := "staging/orders/app/alternating-users staging/orders/reporting/single-user staging/orders/worker/alternating-users"
	if strings.Join(got, " ") != want {
		t.Errorf("staging targets %v, want %s", got, want)
	}
}

// TestPlanValidateAWSUnreachable: a dead endpoint is "cannot reach", exit
// 3, not a bad plan.
func TestPlanValidateAWSUnreachable(t *testing.T) {
	sm := newFakeSM(t)
	env := sm.env()
	env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1"
	r := run(t, env, "plan", "validate", "testdata/plans/minimal.yaml")
	if r.code != ExitUnreachable || !strings.HasPrefix(r.stderr, "cannot reach AWS Secrets Manager") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("want exit 3 and one 'cannot reach AWS' line: %s", r)
	}
}

func TestPlanValidateMissingFile(t *testing.T) {
	r := run(t, nil, "plan", "validate", "testdata/plans/does-not-exist.yaml")
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "no such file") {
		t.Fatalf("want exit 2 naming the missing file: %s", r)
	}
}
