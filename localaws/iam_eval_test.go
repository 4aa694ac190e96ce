package localaws

import (
	"strings"
	"testing"
)

const testSecretARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-AbCdEf"

func mustPolicy(t *testing.T, kind policyKind, statements ...string) *policyDoc {
	t.Helper()
	doc, err := parsePolicy(policy(statements...), kind)
	if err != nil {
		t.Fatalf("policy: %v", err)
	}
	return doc
}

func identity(t *testing.T, arn string, statements ...string) *iamIdentity {
	t.Helper()
	account, root, err := parsePrincipalARN(arn)
	if err != nil {
		t.Fatal(err)
	}
	id := &iamIdentity{arn: arn, account: account, root: root}
	if len(statements) > 0 {
		id.policies = []*policyDoc{mustPolicy(t, identityPolicy, statements...)}
	}
	return id
}

func secretRequest(action string, resourcePolicyDoc *policyDoc) *authzRequest {
	return &authzRequest{action: action, resource: testSecretARN, shown: "app/db", context: condContext{},
		policy: resourcePolicyDoc, resourceAccount: testAccount}
}

// TestEvaluate covers AWS's evaluation logic for identity and resource
// policies, one rule per case.
func TestEvaluate(t *testing.T) {
	allowGet := `{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}`
	cases := []struct {
		name     string
		id       *iamIdentity
		resource *policyDoc
		action   string
		want     string
	}{
		{"no policy at all", identity(t, workerARN), nil, "secretsmanager:GetSecretValue",
			"deny: no identity-based policy allows"},
		{"identity allow", identity(t, workerARN, allowGet), nil, "secretsmanager:GetSecretValue",
			"allow: identity policy"},
		{"action match ignores case", identity(t, workerARN, `{"Effect":"Allow","Action":"SecretsManager:getsecretvalue","Resource":"*"}`), nil,
			"secretsmanager:GetSecretValue", "allow: identity policy"},
		{"another action", identity(t, workerARN, allowGet), nil, "secretsmanager:PutSecretValue",
			"deny: no identity-based policy allows"},
		{"identity deny beats identity allow", identity(t, workerARN, allowGet,
			`{"Effect":"Deny","Action":"secretsmanager:*","Resource":"arn:aws:secretsmanager:*:*:secret:app/*"}`), nil,
			"secretsmanager:GetSecretValue", "deny: explicit deny in identity policy"},
		{"resource deny beats identity allow", identity(t, workerARN, `{"Effect":"Allow","Action":"*","Resource":"*"}`),
			mustPolicy(t, resourcePolicy, `{"Effect":"Deny","Principal":{"AWS":"`+workerARN+`"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}`),
			"secretsmanager:GetSecretValue", "deny: explicit deny in resource policy"},
		{"resource deny for everyone", identity(t, workerARN, allowGet),
			mustPolicy(t, resourcePolicy, `{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}`),
			"secretsmanager:GetSecretValue", "deny: explicit deny in resource policy"},
		{"resource deny on the account reaches its roles", identity(t, workerARN, allowGet),
			mustPolicy(t, resourcePolicy, `{"Effect":"Deny","Principal":{"AWS":"000000000000"},"Action":"*","Resource":"*"}`),
			"secretsmanager:GetSecretValue", "deny: explicit deny in resource policy"},
		{"resource policy alone allows the named role", identity(t, workerARN),
			mustPolicy(t, resourcePolicy, `{"Effect":"Allow","Principal":{"AWS":["`+readerARN+`","`+workerARN+`"]},"Action":"secretsmanager:GetSecretValue","Resource":"*"}`),
			"secretsmanager:GetSecretValue", "allow: resource policy"},
		{"resource policy naming another role", identity(t, workerARN),
			mustPolicy(t, resourcePolicy, `{"Effect":"Allow","Principal":{"AWS":"`+readerARN+`"},"Action":"*","Resource":"*"}`),
			"secretsmanager:GetSecretValue", "deny: no identity-based policy allows"},
		{"account root delegates to identity policies", identity(t, workerARN),
			mustPolicy(t, resourcePolicy, `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"*","Resource":"*"}`),
			"secretsmanager:GetSecretValue", "deny: no identity-based policy allows"},
		{"resource policy with a condition", identity(t, workerARN),
			mustPolicy(t, resourcePolicy, `{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111111111111"}}}`),
			"secretsmanager:GetSecretValue", "deny: no identity-based policy allows"},
		{"NotPrincipal deny spares the named role", identity(t, workerARN, allowGet),
			mustPolicy(t, resourcePolicy, `{"Effect":"Deny","NotPrincipal":{"AWS":"`+workerARN+`"},"Action":"*","Resource":"*"}`),
			"secretsmanager:GetSecretValue", "allow: identity policy"},
		{"NotPrincipal deny reaches the others", identity(t, readerARN, allowGet),
			mustPolicy(t, resourcePolicy, `{"Effect":"Deny","NotPrincipal":{"AWS":"`+workerARN+`"},"Action":"*","Resource":"*"}`),
			"secretsmanager:GetSecretValue", "deny: explicit deny in resource policy"},
		{"NotAction", identity(t, workerARN, `{"Effect":"Allow","NotAction":"secretsmanager:Delete*","Resource":"*"}`), nil,
			"secretsmanager:GetSecretValue", "allow: identity policy"},
		{"NotAction excludes", identity(t, workerARN, `{"Effect":"Allow","NotAction":"secretsmanager:Delete*","Resource":"*"}`), nil,
			"secretsmanager:DeleteSecret", "deny: no identity-based policy allows"},
		{"NotResource", identity(t, workerARN, `{"Effect":"Allow","Action":"*","NotResource":"arn:aws:secretsmanager:*:*:secret:app/*"}`), nil,
			"secretsmanager:GetSecretValue", "deny: no identity-based policy allows"},
		{"root is allowed", identity(t, "arn:aws:iam::000000000000:root"), nil,
			"secretsmanager:GetSecretValue", "allow: identity policy"},
		{"root is still explicitly denied", identity(t, "arn:aws:iam::000000000000:root"),
			mustPolicy(t, resourcePolicy, `{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}`),
			"secretsmanager:GetSecretValue", "deny: explicit deny in resource policy"},
		{"another account needs the resource policy too", identity(t, "arn:aws:iam::111111111111:role/x", allowGet), nil,
			"secretsmanager:GetSecretValue", "deny: no resource-based policy allows"},
		{"another account with both", identity(t, "arn:aws:iam::111111111111:role/x", allowGet),
			mustPolicy(t, resourcePolicy, `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/x"},"Action":"*","Resource":"*"}`),
			"secretsmanager:GetSecretValue", "allow: resource policy"},
		{"another account with only the resource policy", identity(t, "arn:aws:iam::111111111111:role/x"),
			mustPolicy(t, resourcePolicy, `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/x"},"Action":"*","Resource":"*"}`),
			"secretsmanager:GetSecretValue", "deny: no identity-based policy allows"},
	}
	for _, c := range cases {
		if got := c.id.evaluate(secretRequest(c.action, c.resource)).decision(); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// TestAccessDeniedMessage: AWS's wording, with and without a resource.
func TestAccessDeniedMessage(t *testing.T) {
	id := identity(t, workerARN)
	req := secretRequest("secretsmanager:GetSecretValue", nil)
	if got, want := accessDeniedMessage(id.arn, req, id.evaluate(req)),
		"User: "+workerARN+" is not authorized to perform: secretsmanager:GetSecretValue on resource: app/db "+
			"because no identity-based policy allows the secretsmanager:GetSecretValue action"; got != want {
		t.Errorf("implicit deny:\n got %s\nwant %s", got, want)
	}
	req.policy = mustPolicy(t, resourcePolicy, `{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}`)
	if got := accessDeniedMessage(id.arn, req, id.evaluate(req)); !strings.HasSuffix(got, "on resource: app/db with an explicit deny in a resource-based policy") {
		t.Errorf("resource deny: %s", got)
	}
	list := &authzRequest{action: "secretsmanager:ListSecrets", resource: "*", context: condContext{}, resourceAccount: testAccount}
	if got, want := accessDeniedMessage(id.arn, list, id.evaluate(list)),
		"User: "+workerARN+" is not authorized to perform: secretsmanager:ListSecrets because no identity-based policy allows the secretsmanager:ListSecrets action"; got != want {
		t.Errorf("no resource:\n got %s\nwant %s", got, want)
	}
	denied := identity(t, workerARN, `{"Effect":"Deny","Action":"*","Resource":"*"}`)
	if got := accessDeniedMessage(denied.arn, list, denied.evaluate(list)); !strings.HasSuffix(got, "ListSecrets with an explicit deny in an identity-based policy") {
		t.Errorf("identity deny: %s", got)
	}
}
