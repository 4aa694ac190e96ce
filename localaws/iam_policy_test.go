package localaws

import (
	"strings"
	"testing"
)

func TestParsePolicyForms(t *testing.T) {
	doc, err := parsePolicy([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"rds:*","Resource":"*"}}`), identityPolicy)
	if err != nil || len(doc.statements) != 1 || doc.statements[0].actions[0] != "rds:*" {
		t.Fatalf("a single statement object: %v %+v", err, doc)
	}
	doc, err = parsePolicy([]byte(`{"Statement":[{"Sid":"A","Effect":"Deny","NotAction":["s3:*","rds:*"],"NotResource":"arn:aws:rds:*:*:db:x"}]}`), identityPolicy)
	if err != nil || !doc.statements[0].deny || !doc.statements[0].notAction || !doc.statements[0].notResource {
		t.Fatalf("NotAction/NotResource: %v %+v", err, doc.statements[0])
	}
	doc, err = parsePolicy([]byte(`{"Statement":[
		{"Effect":"Allow","Principal":{"AWS":["000000000000","arn:aws:iam::000000000000:role/r"]},"Action":"secretsmanager:*","Resource":"*"},
		{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::000000000000:role/r"},"Action":"*","Resource":"*"},
		{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},
		{"Effect":"Allow","Principal":{"Service":"rds.amazonaws.com"},"Action":"*","Resource":"*"}]}`), resourcePolicy)
	if err != nil {
		t.Fatalf("resource policy principals: %v", err)
	}
	if p := doc.statements[0].principals; p.aws[0] != "arn:aws:iam::000000000000:root" || p.aws[1] != "arn:aws:iam::000000000000:role/r" {
		t.Fatalf("an account id is its root: %+v", p)
	}
	if !doc.statements[1].notPrincipal || !doc.statements[2].principals.everyone || !doc.statements[3].principals.others {
		t.Fatalf("principal forms: %+v %+v %+v", doc.statements[1], doc.statements[2].principals, doc.statements[3].principals)
	}
}

// TestParsePolicyRefuses: each broken policy is refused with its cause.
func TestParsePolicyRefuses(t *testing.T) {
	cases := []struct {
		kind   policyKind
		policy string
		cause  string
	}{
		{identityPolicy, `{"Statement":[{"Effect":"Allow","Action":"rds:*","Resource":"*"}`, "not a JSON object"},
		{identityPolicy, `[]`, "not a JSON object"},
		{identityPolicy, `{"Version":"2012-10-17"}`, "no Statement"},
		{identityPolicy, `{"Version":"2020-01-01","Statement":[]}`, "Version"},
		{identityPolicy, `{"Statement":[]}`, "no Statement"},
		{identityPolicy, `{"Statment":[]}`, `unknown policy element "Statment"`},
		{identityPolicy, `{"Statement":[{"Effect":"Permit","Action":"rds:*","Resource":"*"}]}`, `unknown Effect "Permit"`},
		{identityPolicy, `{"Statement":[{"Effect":"allow","Action":"rds:*","Resource":"*"}]}`, `unknown Effect "allow"`},
		{identityPolicy, `{"Statement":[{"Action":"rds:*","Resource":"*"}]}`, "Effect is missing"},
		{identityPolicy, `{"Statement":[{"Sid":"NoAction","Effect":"Allow","Resource":"*"}]}`, `statement 1 (Sid "NoAction"): missing Action`},
		{identityPolicy, `{"Statement":[{"Effect":"Allow","Action":"rds:*"}]}`, "missing Resource"},
		{identityPolicy, `{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`, "non-empty list"},
		{identityPolicy, `{"Statement":[{"Effect":"Allow","Action":"rds","Resource":"*"}]}`, "not service:action"},
		{identityPolicy, `{"Statement":[{"Effect":"Allow","Action":"rds:*","NotAction":"s3:*","Resource":"*"}]}`, "Action or NotAction, not both"},
		{identityPolicy, `{"Statement":[{"Effect":"Allow","Action":"rds:*","Resource":"*","Principal":"*"}]}`, "identity-based policy cannot name a Principal"},
		{identityPolicy, `{"Statement":[{"Effect":"Allow","Action":"rds:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01"}}}]}`, "DateLessThan"},
		{identityPolicy, `{"Statement":[{"Effect":"Allow","Effect":"Deny","Action":"rds:*","Resource":"*"}]}`, "duplicate element"},
		{identityPolicy, `{"Statement":[{"Effect":"Allow","Action":"rds:*","Resources":"*"}]}`, `unknown element "Resources"`},
		// A repeated operator, key or principal type would keep only its
		// last values: here, the Deny's narrower condition, or the second
		// principal list.
		{identityPolicy, `{"Statement":[{"Effect":"Deny","Action":"rds:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"a"},"StringEquals":{"aws:PrincipalTag/team":"b"}}}]}`, `duplicate element "StringEquals"`},
		{identityPolicy, `{"Statement":[{"Effect":"Deny","Action":"rds:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1","aws:RequestedRegion":"none"}}}]}`, `duplicate element "aws:RequestedRegion"`},
		{resourcePolicy, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:role/a","AWS":"arn:aws:iam::000000000000:role/b"},"Action":"*","Resource":"*"}]}`, `duplicate element "AWS"`},
		{resourcePolicy, `{"Statement":[{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}]}`, "needs a Principal"},
		{resourcePolicy, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:role/*"},"Action":"*","Resource":"*"}]}`, "wildcards are not allowed"},
		{resourcePolicy, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"*","Resource":"*"}]}`, "not an account id"},
		{resourcePolicy, `{"Statement":[{"Effect":"Allow","Principal":"everyone","Action":"*","Resource":"*"}]}`, "must be"},
		{resourcePolicy, `{"Statement":[{"Effect":"Allow","Principal":{"Robot":"x"},"Action":"*","Resource":"*"}]}`, "unknown principal type"},
	}
	for _, c := range cases {
		_, err := parsePolicy([]byte(c.policy), c.kind)
		if err == nil || !strings.Contains(err.Error(), c.cause) {
			t.Errorf("parsePolicy(%s) = %v, want an error containing %q", c.policy, err, c.cause)
		}
	}
}
