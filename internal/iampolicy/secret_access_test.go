package iampolicy

import (
	"slices"
	"strings"
	"testing"
)

var access = SecretAccess{
	Readers:    []string{"arn:aws:iam::123456789012:role/orders-app", "arn:aws:iam::123456789012:role/orders-batch"},
	Worker:     "arn:aws:iam::123456789012:role/credstage-worker",
	CLI:        "arn:aws:iam::123456789012:role/credstage-cli",
	BreakGlass: "arn:aws:iam::123456789012:role/admin/break-glass",
}

func TestSecretAccessPolicy(t *testing.T) {
	if err := access.Validate(); err != nil {
		t.Fatal(err)
	}
	d := access.Policy()
	allow := statement(t, d, "CredstageReadersRead")
	if allow.Effect != "Allow" || !slices.Equal(allow.Principal.(map[string]Values)["AWS"], Values(access.Readers)) ||
		!slices.Equal(allow.Action, Values{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}) {
		t.Errorf("allow: %+v", allow)
	}
	deny := statement(t, d, "CredstageDenyEveryoneElse")
	exempt := deny.Condition["ArnNotLike"]["aws:PrincipalArn"]
	for _, p := range append(slices.Clone(access.Readers), access.Worker, access.CLI, access.BreakGlass) {
		if !slices.Contains(exempt, p) {
			t.Errorf("%s is not exempt from the deny: %v", p, exempt)
		}
	}
	if deny.Principal != "*" || !slices.Equal(deny.Action, Values{"secretsmanager:*"}) || len(exempt) != 5 {
		t.Errorf("deny: %+v", deny)
	}
	cli := statement(t, d, "CredstageCliOnlyDescribes")
	if cli.Effect != "Deny" || !slices.Equal(cli.NotAction, Values{"secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:ListSecretVersionIds"}) ||
		!slices.Equal(cli.Condition["ArnLike"]["aws:PrincipalArn"], Values{access.CLI}) {
		t.Errorf("CLI: %+v", cli)
	}
	if strings.Contains(Compact(d), "NotPrincipal") || strings.Contains(Compact(d), "\n") {
		t.Errorf("compact policy: %s", Compact(d))
	}
	// A reader given twice, or who is also the worker, is named once.
	dup := access
	dup.Readers = []string{access.Readers[0], access.Readers[0], access.Worker}
	if got := statement(t, dup.Policy(), "CredstageDenyEveryoneElse").Condition["ArnNotLike"]["aws:PrincipalArn"]; len(got) != 4 {
		t.Errorf("exempt %v", got)
	}
}

func TestSecretAccessValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		change func(*SecretAccess)
		says   string
	}{
		"no readers":         {func(a *SecretAccess) { a.Readers = nil }, "at least one reader"},
		"no worker":          {func(a *SecretAccess) { a.Worker = "" }, "--worker-principal"},
		"no CLI":             {func(a *SecretAccess) { a.CLI = "" }, "--cli-principal"},
		"no break-glass":     {func(a *SecretAccess) { a.BreakGlass = "" }, "--break-glass"},
		"wildcard reader":    {func(a *SecretAccess) { a.Readers = []string{"arn:aws:iam::123456789012:role/*"} }, "reader"},
		"account as reader":  {func(a *SecretAccess) { a.Readers = []string{"arn:aws:iam::123456789012:root"} }, "an account cannot"},
		"session as worker":  {func(a *SecretAccess) { a.Worker = "arn:aws:sts::123456789012:assumed-role/w/s" }, "worker principal"},
		"not an ARN":         {func(a *SecretAccess) { a.CLI = "credstage-cli" }, "CLI principal"},
		"CLI is the worker":  {func(a *SecretAccess) { a.CLI = a.Worker }, "also the worker"},
		"CLI is break-glass": {func(a *SecretAccess) { a.BreakGlass = a.CLI }, "break-glass"},
		"CLI is a reader":    {func(a *SecretAccess) { a.Readers = []string{a.CLI} }, "only describe"},
	} {
		t.Run(name, func(t *testing.T) {
			a := access
			a.Readers = slices.Clone(access.Readers)
			tc.change(&a)
			err := a.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("got %v, want it to say %q", err, tc.says)
			}
		})
	}
	// The account's root user may be the break-glass administrator.
	a := access
	a.BreakGlass = "arn:aws:iam::123456789012:root"
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestEqual(t *testing.T) {
	ours := Compact(access.Policy())
	// The same policy as AWS might hand it back: indented, single
	// values in lists, lists in another order.
	theirs := `{
	  "Version": "2012-10-17",
	  "Statement": [
	    {"Sid": "CredstageReadersRead", "Effect": "Allow",
	     "Principal": {"AWS": ["arn:aws:iam::123456789012:role/orders-batch", "arn:aws:iam::123456789012:role/orders-app"]},
	     "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "Resource": ["*"]},
	    {"Sid": "CredstageCliOnlyDescribes", "Effect": "Deny", "Principal": "*", "NotAction": ["secretsmanager:ListSecretVersionIds", "secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"],
	     "Resource": "*", "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::123456789012:role/credstage-cli"]}}},
	    {"Sid": "CredstageDenyEveryoneElse", "Effect": "Deny", "Principal": "*", "Action": "secretsmanager:*", "Resource": "*",
	     "Condition": {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::123456789012:role/credstage-worker",
	       "arn:aws:iam::123456789012:role/orders-app", "arn:aws:iam::123456789012:role/orders-batch",
	       "arn:aws:iam::123456789012:role/credstage-cli", "arn:aws:iam::123456789012:role/admin/break-glass"]}}}
	  ]
	}`
	if !Equal(ours, theirs) {
		t.Errorf("reformatted policy not equal:\n%s\n%s", ours, theirs)
	}
	other := access
	other.Readers = access.Readers[:1]
	if Equal(ours, Compact(other.Policy())) {
		t.Error("a policy with another reader is equal")
	}
	if Equal(ours, "{") || Equal("", "") {
		t.Error("a document that does not parse is equal")
	}
}
