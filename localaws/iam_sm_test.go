package localaws

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

func versionCount(t *testing.T, admin *secretsmanager.Client, id string) int {
	t.Helper()
	out, err := admin.ListSecretVersionIds(smCtx(t), &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(id)})
	if err != nil {
		t.Fatalf("ListSecretVersionIds %s: %v", id, err)
	}
	return len(out.Versions)
}

// TestIAMSecretsManagerIdentityPolicy: the worker may read app/* only;
// what it may not do is refused with AWS's code and message, changes
// nothing, reaches no injected fault, and is logged with the reason.
func TestIAMSecretsManagerIdentityPolicy(t *testing.T) {
	srv := startIAMServer(t, withAdmin(iamConfig([]string{
		`{"Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"],"Resource":"arn:aws:secretsmanager:*:*:secret:app/*"}`})))
	admin, worker := adminSM(t, srv), smClientAs(srv, workerKey, workerSecret)
	ctx := iamCtx(t)
	createSMSecret(t, admin, "app/db", `{"password":"pw-value-1"}`)
	createSMSecret(t, admin, "other/db", `{"password":"two"}`)

	if _, err := worker.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")}); err != nil {
		t.Fatalf("allowed GetSecretValue: %v", err)
	}
	if e := lastEntry(t, srv, "GetSecretValue"); e.Principal != workerARN || e.Decision != "allow: identity policy" {
		t.Fatalf("log entry %+v", e)
	}
	faultID := srv.Faults().Add(Fault{Service: svcSecretsManager, Op: "GetSecretValue", Code: "InternalFailure"})
	_, err := worker.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("other/db")})
	requireAPIError(t, err, "AccessDeniedException", 400, "User: "+workerARN+" is not authorized to perform: secretsmanager:GetSecretValue "+
		"on resource: other/db because no identity-based policy allows the secretsmanager:GetSecretValue action")
	if hits := srv.Faults().Hits(faultID); hits != 0 {
		t.Fatalf("a refused call reached the fault (%d hits)", hits)
	}
	srv.Faults().Clear()
	if e := lastEntry(t, srv, "GetSecretValue"); e.Decision != "deny: no identity-based policy allows" || e.Error != "AccessDeniedException" || e.Status != 400 {
		t.Fatalf("log entry %+v", e)
	}

	before := versionCount(t, admin, "app/db")
	_, err = worker.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app/db"), SecretString: aws.String(`{"password":"pw-value-3"}`)})
	requireAPIError(t, err, "AccessDeniedException", 400, "secretsmanager:PutSecretValue on resource: app/db")
	if after := versionCount(t, admin, "app/db"); after != before {
		t.Fatalf("a refused PutSecretValue added a version (%d -> %d)", before, after)
	}
	_, err = worker.ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	requireAPIError(t, err, "AccessDeniedException", 400,
		"is not authorized to perform: secretsmanager:ListSecrets because no identity-based policy allows the secretsmanager:ListSecrets action")

	// A full ARN and a partial one resolve to the same secret.
	d := mustSM(admin.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("app/db")}))(t)
	partial := strings.TrimSuffix(aws.ToString(d.ARN), aws.ToString(d.ARN)[len(aws.ToString(d.ARN))-7:])
	for _, id := range []string{aws.ToString(d.ARN), partial} {
		if _, err := worker.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)}); err != nil {
			t.Fatalf("DescribeSecret by %s: %v", id, err)
		}
	}

	// Nothing in the log holds a secret key or a signature.
	raw, _ := json.Marshal(srv.Requests().Entries())
	for _, leak := range []string{workerSecret, adminSecret, "Signature=", "pw-value"} {
		if strings.Contains(string(raw), leak) {
			t.Fatalf("the request log contains %q", leak)
		}
	}
}

// TestIAMSecretsManagerMissingSecret: a caller without access gets
// AccessDenied for a secret that does not exist, as on AWS; one with
// access learns it is not there.
func TestIAMSecretsManagerMissingSecret(t *testing.T) {
	srv := startIAMServer(t, iamConfig([]string{`{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:app/*"}`}))
	worker := smClientAs(srv, workerKey, workerSecret)
	_, err := worker.GetSecretValue(iamCtx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String("other/none")})
	requireAPIError(t, err, "AccessDeniedException", 400, "on resource: other/none")
	_, err = worker.GetSecretValue(iamCtx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/none")})
	requireAPIError(t, err, "ResourceNotFoundException", 400, "")
}

// TestIAMResourcePolicyDenyBeatsIdentityAllow: the worker may do anything
// in Secrets Manager, but the secret's policy denies it GetSecretValue.
func TestIAMResourcePolicyDenyBeatsIdentityAllow(t *testing.T) {
	srv := startIAMServer(t, withAdmin(iamConfig([]string{allowAllSM})))
	admin, worker := adminSM(t, srv), smClientAs(srv, workerKey, workerSecret)
	ctx := iamCtx(t)
	createSMSecret(t, admin, "app/db", "v1")
	mustSM(admin.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("app/db"),
		ResourcePolicy: aws.String(string(policy(`{"Effect":"Deny","Principal":{"AWS":"` + workerARN + `"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}`)))}))(t)
	_, err := worker.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")})
	requireAPIError(t, err, "AccessDeniedException", 400,
		"secretsmanager:GetSecretValue on resource: app/db with an explicit deny in a resource-based policy")
	if e := lastEntry(t, srv, "GetSecretValue"); e.Decision != "deny: explicit deny in resource policy" {
		t.Fatalf("log entry %+v", e)
	}
	if _, err := worker.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("app/db")}); err != nil {
		t.Fatalf("DescribeSecret, which the policy does not deny: %v", err)
	}
	// Taking the policy away gives the access back.
	mustSM(admin.DeleteResourcePolicy(ctx, &secretsmanager.DeleteResourcePolicyInput{SecretId: aws.String("app/db")}))(t)
	if _, err := worker.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")}); err != nil {
		t.Fatalf("GetSecretValue after DeleteResourcePolicy: %v", err)
	}
}

// TestIAMResourcePolicyAloneAllows: the reader has no identity policy at
// all; the secret's policy lets it read that secret, and nothing else.
func TestIAMResourcePolicyAloneAllows(t *testing.T) {
	srv := startIAMServer(t, withAdmin(iamConfig(nil)))
	admin, reader := adminSM(t, srv), smClientAs(srv, readerKey, readerSecret)
	ctx := iamCtx(t)
	createSMSecret(t, admin, "shared/db", "shared-value")
	createSMSecret(t, admin, "private/db", "private-value")
	mustSM(admin.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("shared/db"),
		ResourcePolicy: aws.String(string(policy(`{"Effect":"Allow","Principal":{"AWS":"` + readerARN + `"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}`)))}))(t)
	out, err := reader.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("shared/db")})
	if err != nil || aws.ToString(out.SecretString) != "shared-value" {
		t.Fatalf("GetSecretValue through the resource policy: %v", err)
	}
	if e := lastEntry(t, srv, "GetSecretValue"); e.Decision != "allow: resource policy" || e.Principal != readerARN {
		t.Fatalf("log entry %+v", e)
	}
	_, err = reader.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("shared/db")})
	requireAPIError(t, err, "AccessDeniedException", 400, "secretsmanager:DescribeSecret")
	_, err = reader.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("private/db")})
	requireAPIError(t, err, "AccessDeniedException", 400, "on resource: private/db")
}

// TestIAMTagConditions: access decided by the secret's tags
// (aws:ResourceTag, secretsmanager:ResourceTag) and by the tags a request
// sets (aws:RequestTag, aws:TagKeys).
func TestIAMTagConditions(t *testing.T) {
	srv := startIAMServer(t, withAdmin(iamConfig([]string{
		`{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Team":"payments"}}}`,
		`{"Effect":"Allow","Action":"secretsmanager:DescribeSecret","Resource":"*","Condition":{"StringEquals":{"secretsmanager:ResourceTag/Team":"payments"}}}`,
		`{"Effect":"Allow","Action":["secretsmanager:CreateSecret","secretsmanager:TagResource"],"Resource":"*",
		  "Condition":{"StringEquals":{"aws:RequestTag/Team":"payments"},"ForAllValues:StringEquals":{"aws:TagKeys":["Team","Environment"]}}}`,
	})))
	admin, worker := adminSM(t, srv), smClientAs(srv, workerKey, workerSecret)
	ctx := iamCtx(t)
	tagged := func(name, team string) {
		mustSM(admin.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("v"),
			Tags: []smtypes.Tag{{Key: aws.String("Team"), Value: aws.String(team)}}}))(t)
	}
	tagged("pay/db", "payments")
	tagged("bill/db", "billing")
	for _, op := range []func(id string) error{
		func(id string) error {
			_, err := worker.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
			return err
		},
		func(id string) error {
			_, err := worker.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
			return err
		},
	} {
		if err := op("pay/db"); err != nil {
			t.Fatalf("secret tagged payments: %v", err)
		}
		requireAPIError(t, op("bill/db"), "AccessDeniedException", 400, "on resource: bill/db")
	}
	// Re-tagging a secret changes who may read it.
	mustSM(admin.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String("bill/db"),
		Tags: []smtypes.Tag{{Key: aws.String("Team"), Value: aws.String("payments")}}}))(t)
	if _, err := worker.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("bill/db")}); err != nil {
		t.Fatalf("after re-tagging: %v", err)
	}

	create := func(name string, tags ...string) error {
		in := &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("v")}
		for i := 0; i+1 < len(tags); i += 2 {
			in.Tags = append(in.Tags, smtypes.Tag{Key: aws.String(tags[i]), Value: aws.String(tags[i+1])})
		}
		_, err := worker.CreateSecret(ctx, in)
		return err
	}
	if err := create("new/ok", "Team", "payments", "Environment", "staging"); err != nil {
		t.Fatalf("CreateSecret with the required tags: %v", err)
	}
	requireAPIError(t, create("new/billing", "Team", "billing"), "AccessDeniedException", 400, "secretsmanager:CreateSecret on resource: new/billing")
	requireAPIError(t, create("new/extra", "Team", "payments", "Owner", "me"), "AccessDeniedException", 400, "")
	requireAPIError(t, create("new/untagged"), "AccessDeniedException", 400, "")
	for _, name := range []string{"new/billing", "new/extra", "new/untagged"} {
		_, err := admin.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
		requireAPIError(t, err, "ResourceNotFoundException", 400, "")
	}
}

// TestIAMCreateSecretResource: CreateSecret is evaluated against the ARN
// the new secret will have (name plus six random characters), and tags
// on create also need secretsmanager:TagResource.
func TestIAMCreateSecretResource(t *testing.T) {
	srv := startIAMServer(t, iamConfig([]string{
		`{"Effect":"Allow","Action":"secretsmanager:CreateSecret","Resource":"arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db*"}`,
		`{"Effect":"Allow","Action":"secretsmanager:CreateSecret","Resource":"arn:aws:secretsmanager:us-east-1:000000000000:secret:exact-??????"}`}))
	worker := smClientAs(srv, workerKey, workerSecret)
	ctx := iamCtx(t)
	for _, name := range []string{"app/db", "app/db-replica", "exact"} {
		if _, err := worker.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("v")}); err != nil {
			t.Fatalf("CreateSecret %s: %v", name, err)
		}
	}
	_, err := worker.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/other"), SecretString: aws.String("v")})
	requireAPIError(t, err, "AccessDeniedException", 400, "secretsmanager:CreateSecret on resource: app/other")
	_, err = worker.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/db-tagged"), SecretString: aws.String("v"),
		Tags: []smtypes.Tag{{Key: aws.String("Team"), Value: aws.String("x")}}})
	requireAPIError(t, err, "AccessDeniedException", 400, "secretsmanager:TagResource on resource: app/db-tagged")
	if e := lastEntry(t, srv, "CreateSecret"); e.Decision != "deny: no identity-based policy allows secretsmanager:TagResource" {
		t.Fatalf("log entry %+v", e)
	}
}

// TestIAMBatchGetSecretValue: the batch needs BatchGetSecretValue, and
// each secret GetSecretValue; a secret the caller may not read is one
// entry of Errors, the others are returned.
func TestIAMBatchGetSecretValue(t *testing.T) {
	srv := startIAMServer(t, withAdmin(iamConfig([]string{
		`{"Effect":"Allow","Action":"secretsmanager:BatchGetSecretValue","Resource":"*"}`,
		`{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:app/*"}`},
		`{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}`)))
	admin := adminSM(t, srv)
	createSMSecret(t, admin, "app/a", "a")
	createSMSecret(t, admin, "other/b", "b")
	ctx := iamCtx(t)
	out, err := smClientAs(srv, workerKey, workerSecret).BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{
		SecretIdList: []string{"app/a", "other/b"}})
	if err != nil {
		t.Fatalf("BatchGetSecretValue: %v", err)
	}
	if len(out.SecretValues) != 1 || aws.ToString(out.SecretValues[0].Name) != "app/a" {
		t.Fatalf("values %+v, want app/a only", out.SecretValues)
	}
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].SecretId) != "other/b" || aws.ToString(out.Errors[0].ErrorCode) != "AccessDeniedException" ||
		!strings.Contains(aws.ToString(out.Errors[0].Message), "secretsmanager:GetSecretValue on resource: other/b") {
		t.Fatalf("errors %+v, want AccessDeniedException for other/b", out.Errors)
	}
	_, err = smClientAs(srv, workerKey, workerSecret).BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{
		Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"app"}}}})
	requireAPIError(t, err, "AccessDeniedException", 400, "secretsmanager:ListSecrets")
	_, err = smClientAs(srv, readerKey, readerSecret).BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"app/a"}})
	requireAPIError(t, err, "AccessDeniedException", 400, "secretsmanager:BatchGetSecretValue because")
}

// TestIAMVersionStageCondition: secretsmanager:VersionStage exists only
// when the request names a stage, as AWS evaluates it.
func TestIAMVersionStageCondition(t *testing.T) {
	srv := startIAMServer(t, withAdmin(iamConfig([]string{
		`{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"secretsmanager:VersionStage":"AWSCURRENT","secretsmanager:SecretId":"app/db"}}}`})))
	createSMSecret(t, adminSM(t, srv), "app/db", "v")
	worker := smClientAs(srv, workerKey, workerSecret)
	ctx := iamCtx(t)
	get := func(id string, stage *string) error {
		_, err := worker.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id), VersionStage: stage})
		return err
	}
	if err := get("app/db", aws.String("AWSCURRENT")); err != nil {
		t.Fatalf("with AWSCURRENT: %v", err)
	}
	requireAPIError(t, get("app/db", nil), "AccessDeniedException", 400, "")
	requireAPIError(t, get("app/db", aws.String("AWSPREVIOUS")), "AccessDeniedException", 400, "")
}

// TestIAMOffUnchanged: without Options.IAM every call is served, signed
// or not, and the log carries no principal or decision.
func TestIAMOffUnchanged(t *testing.T) {
	srv, client := startSMServer(t, Options{})
	createSMSecret(t, client, "app/db", "v")
	res := rawRequest(t, srv, "/", []byte(`{"SecretId":"app/db"}`), map[string]string{"X-Amz-Target": "secretsmanager.GetSecretValue",
		"Content-Type": "application/x-amz-json-1.1"})
	if res.status != 200 {
		t.Fatalf("unsigned call with IAM off: %d %s", res.status, res.body)
	}
	wrong := smClientAs(srv, "AKIAANYTHING", "wrong")
	if _, err := wrong.GetSecretValue(iamCtx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")}); err != nil {
		t.Fatalf("any signature with IAM off: %v", err)
	}
	for _, e := range srv.Requests().Entries() {
		if e.Principal != "" || e.Decision != "" {
			t.Fatalf("log entry with IAM off: %+v", e)
		}
	}
}
