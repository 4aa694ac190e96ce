package localaws

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/credstage/credstage/internal/iampolicy"
)

const readerPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + readerARN +
	`"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`

// TestResourcePolicyCRUD: put, get, delete with IAM off, with AWS's
// answers for what is wrong.
func TestResourcePolicyCRUD(t *testing.T) {
	srv, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	created := createSMSecret(t, c, "app/db", "v")
	got := mustSM(c.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("app/db")}))(t)
	if got.ResourcePolicy != nil || aws.ToString(got.ARN) != aws.ToString(created.ARN) || aws.ToString(got.Name) != "app/db" {
		t.Fatalf("a secret without a policy: %+v", got)
	}
	put := mustSM(c.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: created.ARN, ResourcePolicy: aws.String(readerPolicy)}))(t)
	if aws.ToString(put.ARN) != aws.ToString(created.ARN) || aws.ToString(put.Name) != "app/db" {
		t.Fatalf("PutResourcePolicy answered %+v", put)
	}
	got = mustSM(c.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("app/db")}))(t)
	if aws.ToString(got.ResourcePolicy) != readerPolicy {
		t.Fatalf("GetResourcePolicy: %q", aws.ToString(got.ResourcePolicy))
	}
	for range 2 { // deleting twice is harmless
		del := mustSM(c.DeleteResourcePolicy(ctx, &secretsmanager.DeleteResourcePolicyInput{SecretId: aws.String("app/db")}))(t)
		if aws.ToString(del.Name) != "app/db" {
			t.Fatalf("DeleteResourcePolicy answered %+v", del)
		}
	}
	got = mustSM(c.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("app/db")}))(t)
	if got.ResourcePolicy != nil {
		t.Fatalf("policy still there after delete: %q", aws.ToString(got.ResourcePolicy))
	}

	_, err := c.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("app/none"), ResourcePolicy: aws.String(readerPolicy)})
	requireSMError(t, err, "ResourceNotFoundException", "")
	_, err = c.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("app/none")})
	requireSMError(t, err, "ResourceNotFoundException", "")
	_, err = c.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("app/db"), ResourcePolicy: aws.String(`{"Statement":[`)})
	requireSMError(t, err, "MalformedPolicyDocumentException", "")
	_, err = c.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("app/db"),
		ResourcePolicy: aws.String(`{"Statement":[{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}]}`)})
	requireSMError(t, err, "MalformedPolicyDocumentException", "needs a Principal")
	// The SDK refuses a missing ResourcePolicy itself; the service does too.
	missing := rawRequest(t, srv, "/", []byte(`{"SecretId":"app/db"}`), map[string]string{"X-Amz-Target": "secretsmanager.PutResourcePolicy"})
	if missing.status != 400 || missing.code != "ValidationException" {
		t.Fatalf("PutResourcePolicy without a policy: %d %s %s", missing.status, missing.code, missing.message)
	}
	got = mustSM(c.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("app/db")}))(t)
	if got.ResourcePolicy != nil {
		t.Fatalf("a refused put stored %q", aws.ToString(got.ResourcePolicy))
	}
	mustSM(c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("app/db"), RecoveryWindowInDays: aws.Int64(7)}))(t)
	_, err = c.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("app/db"), ResourcePolicy: aws.String(readerPolicy)})
	requireSMError(t, err, "InvalidRequestException", "marked for deletion")
}

// TestBlockPublicPolicy: with BlockPublicPolicy a policy that lets anyone
// in without a condition on who calls is refused, and not stored.
func TestBlockPublicPolicy(t *testing.T) {
	_, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	createSMSecret(t, c, "app/db", "v")
	public := string(policy(`{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}`))
	notPrincipal := string(policy(`{"Effect":"Allow","NotPrincipal":{"AWS":"` + readerARN + `"},"Action":"*","Resource":"*"}`))
	wildcardCondition := string(policy(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"*"}}}`))
	broad := []string{public, notPrincipal, wildcardCondition}
	for _, cond := range []string{
		`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/app"}}`,
		`{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::00000000000?:role/app"}}`,
		`{"StringLike":{"aws:PrincipalAccount":"0000*"}}`,
		`{"StringEquals":{"aws:PrincipalAccount":["000000000000","*"]}}`,
		`{"StringEquals":{"aws:username":"app"}}`,
		`{"StringEquals":{"aws:userid":"AIDAEXAMPLE"}}`,
		`{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::000000000000:role/x"}}`,
	} {
		broad = append(broad, string(policy(`{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":`+cond+`}`)))
	}
	for _, p := range broad {
		_, err := c.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("app/db"), ResourcePolicy: aws.String(p),
			BlockPublicPolicy: aws.Bool(true)})
		requireSMError(t, err, "PublicPolicyException", "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.")
	}
	got := mustSM(c.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("app/db")}))(t)
	if got.ResourcePolicy != nil {
		t.Fatalf("a blocked policy was stored: %s", aws.ToString(got.ResourcePolicy))
	}
	restricted := string(policy(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"000000000000"}}}`))
	denyAll := string(policy(`{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}`))
	byArn := string(policy(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::000000000000:role/x"}}}`))
	// The resource policy credstage attaches to every secret it provisions.
	access := iampolicy.SecretAccess{Readers: []string{readerARN}, Worker: workerARN,
		CLI: "arn:aws:iam::000000000000:role/credstage-cli", BreakGlass: "arn:aws:iam::000000000000:root"}
	if err := access.Validate(); err != nil {
		t.Fatal(err)
	}
	credstage := iampolicy.Compact(access.Policy())
	for _, p := range []string{restricted, denyAll, readerPolicy, byArn, credstage} {
		mustSM(c.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("app/db"), ResourcePolicy: aws.String(p),
			BlockPublicPolicy: aws.Bool(true)}))(t)
	}
	// Without BlockPublicPolicy a public policy is the caller's choice.
	mustSM(c.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("app/db"), ResourcePolicy: aws.String(public)}))(t)
}

// TestValidateResourcePolicy: syntax only; a broken policy is a failed
// validation, not an error.
func TestValidateResourcePolicy(t *testing.T) {
	_, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	createSMSecret(t, c, "app/db", "v")
	ok := mustSM(c.ValidateResourcePolicy(ctx, &secretsmanager.ValidateResourcePolicyInput{ResourcePolicy: aws.String(readerPolicy)}))(t)
	if !ok.PolicyValidationPassed || ok.ValidationErrors == nil || len(ok.ValidationErrors) != 0 {
		t.Fatalf("a valid policy: %+v", ok)
	}
	withSecret := mustSM(c.ValidateResourcePolicy(ctx, &secretsmanager.ValidateResourcePolicyInput{SecretId: aws.String("app/db"),
		ResourcePolicy: aws.String(readerPolicy)}))(t)
	if !withSecret.PolicyValidationPassed {
		t.Fatalf("a valid policy for a secret: %+v", withSecret)
	}
	bad := mustSM(c.ValidateResourcePolicy(ctx, &secretsmanager.ValidateResourcePolicyInput{
		ResourcePolicy: aws.String(`{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"*","Resource":"*"}]}`)}))(t)
	if bad.PolicyValidationPassed || len(bad.ValidationErrors) != 1 || aws.ToString(bad.ValidationErrors[0].CheckName) != smSyntaxCheck ||
		aws.ToString(bad.ValidationErrors[0].ErrorMessage) == "" {
		t.Fatalf("an invalid policy: %+v", bad)
	}
	_, err := c.ValidateResourcePolicy(ctx, &secretsmanager.ValidateResourcePolicyInput{SecretId: aws.String("app/none"), ResourcePolicy: aws.String(readerPolicy)})
	requireSMError(t, err, "ResourceNotFoundException", "")
	got := mustSM(c.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("app/db")}))(t)
	if got.ResourcePolicy != nil {
		t.Fatalf("ValidateResourcePolicy stored a policy")
	}
}

// TestResourcePolicyPersists: the policy survives a restart and still
// decides; it goes with its secret.
func TestResourcePolicyPersists(t *testing.T) {
	dir := t.TempDir()
	cfg := withAdmin(iamConfig(nil))
	srv, _ := startSMServer(t, Options{DataDir: dir, IAM: cfg})
	admin := adminSM(t, srv)
	createSMSecret(t, admin, "app/db", "v")
	mustSM(admin.PutResourcePolicy(smCtx(t), &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("app/db"), ResourcePolicy: aws.String(readerPolicy)}))(t)
	if err := stopSMServer(srv); err != nil {
		t.Fatal(err)
	}

	srv, _ = startSMServer(t, Options{DataDir: dir, IAM: cfg})
	admin = adminSM(t, srv)
	got := mustSM(admin.GetResourcePolicy(smCtx(t), &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("app/db")}))(t)
	if aws.ToString(got.ResourcePolicy) != readerPolicy {
		t.Fatalf("after a restart: %q", aws.ToString(got.ResourcePolicy))
	}
	reader := smClientAs(srv, readerKey, readerSecret)
	if _, err := reader.GetSecretValue(smCtx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")}); err != nil {
		t.Fatalf("the restored policy does not allow: %v", err)
	}
	mustSM(admin.DeleteSecret(smCtx(t), &secretsmanager.DeleteSecretInput{SecretId: aws.String("app/db"), ForceDeleteWithoutRecovery: aws.Bool(true)}))(t)
	createSMSecret(t, admin, "app/db", "v2")
	got = mustSM(admin.GetResourcePolicy(smCtx(t), &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("app/db")}))(t)
	if got.ResourcePolicy != nil {
		t.Fatalf("a re-created secret inherited the old policy")
	}
	_, err := reader.GetSecretValue(smCtx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")})
	requireAPIError(t, err, "AccessDeniedException", 400, "")
}
