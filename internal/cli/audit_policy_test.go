package cli

import (
	"slices"
	"testing"

	"github.com/credstage/credstage/internal/iampolicy"
)

// policyReaders finds the principals an Allow of GetSecretValue names,
// in every shape a policy may take, and reports "*" apart.
func TestPolicyReaders(t *testing.T) {
	credstage := iampolicy.SecretAccess{Readers: []string{"arn:aws:iam::1:role/b", "arn:aws:iam::1:role/a"},
		Worker: "arn:aws:iam::1:role/w", CLI: "arn:aws:iam::1:role/c", BreakGlass: "arn:aws:iam::1:user/admin"}
	for _, tc := range []struct {
		name, policy string
		want         []string
		anyone       bool
	}{
		{"credstage's own", iampolicy.Compact(credstage.Policy()), []string{"arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"}, false},
		{"one statement, one principal, wildcard action",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:role/x"},"Action":"secretsmanager:Get*","Resource":"*"}}`,
			[]string{"arn:aws:iam::1:role/x"}, false},
		{"describe only", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:role/x"},"Action":"secretsmanager:DescribeSecret","Resource":"*"}]}`, nil, false},
		{"deny", `{"Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::1:role/x"},"Action":"*","Resource":"*"}]}`, nil, false},
		{"anyone", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":["secretsmanager:GetSecretValue"],"Resource":"*"}]}`, nil, true},
		{"none", ``, nil, false},
		{"not JSON", `{`, nil, false},
	} {
		got, anyone := policyReaders(tc.policy)
		slices.Sort(got)
		if !slices.Equal(got, tc.want) || anyone != tc.anyone {
			t.Errorf("%s: got %v %v, want %v %v", tc.name, got, anyone, tc.want, tc.anyone)
		}
	}
}
