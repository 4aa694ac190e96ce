package localaws

import "testing"

func TestGlobMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		fold, want bool
	}{
		{"secretsmanager:*", "secretsmanager:GetSecretValue", true, true},
		{"secretsmanager:get*", "secretsmanager:GetSecretValue", true, true},
		{"secretsmanager:get*", "secretsmanager:GetSecretValue", false, false},
		{"secretsmanager:Get?ecretValue", "secretsmanager:GetSecretValue", true, true},
		{"secretsmanager:Get?", "secretsmanager:GetSecretValue", true, false},
		{"*Secret*", "secretsmanager:DescribeSecret", false, true},
		{"rds:*", "secretsmanager:GetSecretValue", true, false},
		{"a*b*c", "aXbYbZc", false, true},
		{"a*b*c", "aXbYbZ", false, false},
		{"", "", false, true},
		{"*", "", false, true},
	}
	for _, c := range cases {
		if got := globMatch(c.pattern, c.s, c.fold); got != c.want {
			t.Errorf("globMatch(%q, %q, fold=%v) = %v, want %v", c.pattern, c.s, c.fold, got, c.want)
		}
	}
}

func TestArnMatch(t *testing.T) {
	secret := "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-AbCdEf"
	cases := []struct {
		pattern, arn string
		want         bool
	}{
		{"*", secret, true},
		{"arn:aws:secretsmanager:*:*:secret:*", secret, true},
		{"arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-??????", secret, true},
		{"arn:aws:secretsmanager:us-east-1:000000000000:secret:app/*", secret, true},
		{"arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db", secret, false},
		{"arn:aws:secretsmanager:us-east-1:111111111111:secret:*", secret, false},
		// A '*' inside a segment stays in it; one ending a segment may not.
		{"arn:aws:secretsmanager:us-*-1:000000000000:secret:*", secret, true},
		{"arn:aws:secretsmanager:us*000000000000:secret:*", secret, false},
		{"arn:aws:secretsmanager:*", secret, true},
		{"arn:aws:secretsmanager:us-east-1:000000000000:secret:APP/*", secret, false},
		{"arn:aws:rds:us-east-1:000000000000:db:*", "arn:aws:rds:us-east-1:000000000000:db:*", true},
		{"arn:aws:rds:us-east-1:000000000000:db:app-*", "arn:aws:rds:us-east-1:000000000000:db:*", false},
	}
	for _, c := range cases {
		if got := arnMatch(c.pattern, c.arn); got != c.want {
			t.Errorf("arnMatch(%q, %q) = %v, want %v", c.pattern, c.arn, got, c.want)
		}
	}
}
