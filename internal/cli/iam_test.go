package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIAMPolicyPrintsTheShippedFiles: with default flags the command
// prints deploy/iam/ byte for byte.
func TestIAMPolicyPrintsTheShippedFiles(t *testing.T) {
	for _, role := range []string{"worker", "cli", "reader"} {
		want, err := os.ReadFile(filepath.Join("..", "..", "deploy", "iam", "credstage-"+role+"-policy.json"))
		if err != nil {
			t.Fatal(err)
		}
		r := run(t, nil, "iam", "policy", role)
		if r.code != 0 || r.stdout != string(want) {
			t.Errorf("iam policy %s: %s\nwant\n%s", role, r, want)
		}
	}
}

func TestIAMPolicyNarrows(t *testing.T) {
	r := run(t, nil, "iam", "policy", "reader", "--region", "eu-west-1", "--account", "123456789012",
		"--secret", "production/orders/app", "--tag", "team=orders")
	for _, want := range []string{`"arn:aws:secretsmanager:eu-west-1:123456789012:secret:production/orders/app-??????"`,
		`"secretsmanager:ResourceTag/team": "orders"`} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("reader policy lacks %s: %s", want, r)
		}
	}
}

func TestIAMPolicyBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"iam", "policy"}, "missing worker|cli|reader"},
		{[]string{"iam", "policy", "admin"}, `want worker, cli or reader, got "admin"`},
		{[]string{"iam", "policy", "cli", "--kms-key", "arn:aws:kms:us-east-1:123456789012:key/k"}, "the CLI needs no KMS permission"},
		{[]string{"iam", "policy", "reader", "--resource-policies"}, "only the worker attaches"},
		{[]string{"iam", "policy", "worker", "--secret", "a"}, "--secret-prefix"},
		{[]string{"iam", "policy", "reader", "--secret-prefix", "a/"}, "--secret, --prefix and --tag"},
		{[]string{"iam", "policy", "reader", "--tag", "team"}, "want KEY=VALUE"},
		{[]string{"iam", "policy", "worker", "--region", "Frankfurt"}, "--region"},
		{[]string{"iam", "policy", "worker", "--kms-key", "alias/orders"}, "not an alias"},
	} {
		r := run(t, nil, tc.args...)
		if r.code != ExitBadInput || !strings.Contains(r.stderr, tc.says) {
			t.Errorf("%v: want exit 2 saying %q, got %s", tc.args, tc.says, r)
		}
	}
}
