package iampolicy

import (
	"slices"
	"strings"
	"testing"
)

// statement finds the statement with sid, failing the test without it.
func statement(t *testing.T, d Document, sid string) Statement {
	t.Helper()
	for _, s := range d.Statement {
		if s.Sid == sid {
			return s
		}
	}
	t.Fatalf("no statement %s in %s", sid, Render(d))
	return Statement{}
}

func actions(d Document) []string {
	var out []string
	for _, s := range d.Statement {
		out = append(out, s.Action...)
	}
	return out
}

func TestWorkerNarrowsToPrefixesRegionAndAccount(t *testing.T) {
	d, err := Worker(WorkerOptions{Scope: Scope{Region: "eu-west-1", Account: "123456789012"},
		SecretPrefixes: []string{"staging/", "production/"}})
	if err != nil {
		t.Fatal(err)
	}
	app := statement(t, d, "ApplicationSecrets")
	want := Values{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:staging/*",
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:production/*"}
	if !slices.Equal(app.Resource, want) {
		t.Errorf("application secrets: %v, want %v", app.Resource, want)
	}
	// The handover and RDS's master secrets are reached whatever the
	// prefixes: neither lives under them.
	if got := statement(t, d, "PasswordHandover").Resource; !slices.Equal(got, Values{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:credstage/handover/*"}) {
		t.Errorf("handover: %v", got)
	}
	if got := statement(t, d, "LetRdsManageMasterSecrets").Resource; !slices.Equal(got, Values{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-*"}) {
		t.Errorf("RDS masters: %v", got)
	}
	if got := statement(t, d, "ProvisionAndRotateInstances").Resource; !slices.Equal(got, Values{"arn:aws:rds:eu-west-1:123456789012:db:*"}) {
		t.Errorf("instances: %v", got)
	}
	for _, a := range actions(d) {
		if strings.HasPrefix(a, "kms:") && a != "kms:DescribeKey" || strings.Contains(a, "ResourcePolicy") {
			t.Errorf("default worker policy grants %s", a)
		}
	}
}

func TestWorkerKMSKeysAndResourcePolicies(t *testing.T) {
	key := "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	d, err := Worker(WorkerOptions{Scope: Scope{Region: "us-east-1"}, KMSKeys: []string{key}, ResourcePolicies: true})
	if err != nil {
		t.Fatal(err)
	}
	k := statement(t, d, "UseCustomerKeysThroughSecretsManager")
	if !slices.Equal(k.Action, Values{"kms:Decrypt", "kms:GenerateDataKey"}) || !slices.Equal(k.Resource, Values{key}) {
		t.Errorf("key statement %+v", k)
	}
	if via := k.Condition["StringEquals"]["kms:ViaService"]; !slices.Equal(via, Values{"secretsmanager.us-east-1.amazonaws.com"}) {
		t.Errorf("kms:ViaService %v", k.Condition)
	}
	app := statement(t, d, "ApplicationSecrets")
	for _, a := range []string{"secretsmanager:PutResourcePolicy", "secretsmanager:GetResourcePolicy"} {
		if !slices.Contains(app.Action, a) {
			t.Errorf("--resource-policies: %s missing from %v", a, app.Action)
		}
	}
	// The worker never deletes a resource policy (deleting the secret
	// takes it along), so it is not granted.
	if slices.Contains(actions(d), "secretsmanager:DeleteResourcePolicy") {
		t.Error("DeleteResourcePolicy granted")
	}
	// Without a region the service may be any region's.
	d, _ = Worker(WorkerOptions{KMSKeys: []string{key}})
	if via := statement(t, d, "UseCustomerKeysThroughSecretsManager").Condition["StringLike"]["kms:ViaService"]; !slices.Equal(via, Values{"secretsmanager.*.amazonaws.com"}) {
		t.Errorf("any region: %v", via)
	}
}

func TestOptionErrorsNameTheFlag(t *testing.T) {
	for flag, build := range map[string]func() error{
		"--region":        func() error { _, err := Worker(WorkerOptions{Scope: Scope{Region: "europe"}}); return err },
		"--account":       func() error { _, err := CLI(CLIOptions{Scope: Scope{Account: "12345"}}); return err },
		"--secret-prefix": func() error { _, err := Worker(WorkerOptions{SecretPrefixes: []string{"prod*"}}); return err },
		"--kms-key":       func() error { _, err := Worker(WorkerOptions{KMSKeys: []string{"alias/orders"}}); return err },
		"--secret": func() error {
			_, err := Reader(ReaderOptions{Secrets: []string{"arn:aws:secretsmanager:x"}})
			return err
		},
		"--prefix": func() error { _, err := Reader(ReaderOptions{Prefixes: []string{"a?"}}); return err },
		"--tag":    func() error { _, err := Reader(ReaderOptions{Tags: []Tag{{Key: "", Value: "x"}}}); return err },
	} {
		err := build()
		if err == nil || !strings.HasPrefix(err.Error(), flag+" ") {
			t.Errorf("%s: got %v", flag, err)
		}
	}
}

func TestCLIReadsNoSecretValue(t *testing.T) {
	d, err := CLI(CLIOptions{SecretPrefixes: []string{"production/"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range d.Statement {
		for _, a := range s.Action {
			if a == "secretsmanager:GetSecretValue" || a == "secretsmanager:PutSecretValue" {
				t.Errorf("%s grants %s", s.Sid, a)
			}
			if (a == "secretsmanager:CreateSecret" || a == "secretsmanager:DeleteSecret") &&
				!slices.Equal(s.Resource, Values{"arn:aws:secretsmanager:*:*:secret:credstage/handover/*"}) {
				t.Errorf("%s: %s beyond the handover: %v", s.Sid, a, s.Resource)
			}
		}
	}
	if got := statement(t, d, "DescribePlanTargets").Resource; !slices.Equal(got, Values{
		"arn:aws:secretsmanager:*:*:secret:production/*", "arn:aws:secretsmanager:*:*:secret:rds!db-*"}) {
		t.Errorf("describe: %v", got)
	}
}

func TestReaderScopes(t *testing.T) {
	d, err := Reader(ReaderOptions{Secrets: []string{"production/orders/app"}, Prefixes: []string{"shared/"},
		Tags: []Tag{{Key: "team", Value: "orders"}}})
	if err != nil {
		t.Fatal(err)
	}
	r := statement(t, d, "ReadApplicationSecrets")
	if !slices.Equal(r.Action, Values{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}) || len(d.Statement) != 1 {
		t.Errorf("reader grants %s", Render(d))
	}
	if !slices.Equal(r.Resource, Values{"arn:aws:secretsmanager:*:*:secret:production/orders/app-??????", "arn:aws:secretsmanager:*:*:secret:shared/*"}) {
		t.Errorf("resources %v", r.Resource)
	}
	if got := r.Condition["StringEquals"]["secretsmanager:ResourceTag/team"]; !slices.Equal(got, Values{"orders"}) {
		t.Errorf("tag condition %v", r.Condition)
	}
	// Named secrets without tags: no condition.
	d, _ = Reader(ReaderOptions{Secrets: []string{"a"}})
	if c := statement(t, d, "ReadApplicationSecrets").Condition; c != nil {
		t.Errorf("named secrets got condition %v", c)
	}
	// A key adds Decrypt through Secrets Manager only.
	d, _ = Reader(ReaderOptions{KMSKeys: []string{"arn:aws:kms:us-east-1:123456789012:key/abc"}, Scope: Scope{Region: "us-east-1"}})
	k := statement(t, d, "DecryptThroughSecretsManager")
	if !slices.Equal(k.Action, Values{"kms:Decrypt"}) || k.Condition["StringEquals"]["kms:ViaService"][0] != "secretsmanager.us-east-1.amazonaws.com" {
		t.Errorf("key statement %+v", k)
	}
}

func TestImpliedNamesTheCallsThatNeedThem(t *testing.T) {
	implied := Implied()
	for action, call := range map[string]string{
		"secretsmanager:TagResource":  "secretsmanager:CreateSecret",
		"secretsmanager:RotateSecret": "rds:ModifyDBInstance",
		"rds:AddTagsToResource":       "rds:CreateDBInstance",
		"kms:DescribeKey":             "rds:CreateDBInstance",
		"kms:Decrypt":                 "secretsmanager:GetSecretValue",
	} {
		if !slices.Contains(implied[action], call) {
			t.Errorf("%s: implied by %v, want %s among them", action, implied[action], call)
		}
	}
	if _, ok := implied["secretsmanager:GetSecretValue"]; ok {
		t.Error("GetSecretValue is called, not implied")
	}
}
