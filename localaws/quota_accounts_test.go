package localaws

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// TestQuotaPerAccount: with IAM enforced, a call is charged to the
// account of the principal that signed it. Two principals of one account
// share its bucket; a principal of another account reading the same
// secret (through its resource policy) has its own, as AWS documents for
// cross-account calls; a key nobody holds is refused by authentication,
// not by a quota.
func TestQuotaPerAccount(t *testing.T) {
	const (
		otherARN    = "arn:aws:iam::111111111111:role/elsewhere"
		otherKey    = "AKIAOTHERACCOUNT0001"
		otherSecret = "other-secret"
	)
	allow := `{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}`
	cfg := withAdmin(iamConfig([]string{allow}, allow))
	cfg.Principals = append(cfg.Principals, IAMPrincipal{ARN: otherARN, AccessKeyID: otherKey, SecretAccessKey: otherSecret,
		Policies: []json.RawMessage{policy(allow)}})
	srv, _ := startQuotaServer(t, Options{IAM: cfg, Quotas: &QuotaConfig{
		Families: map[string]QuotaLimit{"secretsmanager:GetSecretValue": {Rate: 1, Burst: 2}}}})
	ctx := smCtx(t)
	admin := quotaSMClient(srv, "us-east-1", adminKey, adminSecret)
	created, err := admin.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("shared"), SecretString: aws.String("v")})
	requireNoErr(t, "CreateSecret", err)
	_, err = admin.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: created.ARN, ResourcePolicy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + otherARN + `"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)})
	requireNoErr(t, "PutResourcePolicy", err)

	get := func(key, secret string) error {
		_, err := quotaSMClient(srv, "us-east-1", key, secret).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: created.ARN})
		return err
	}
	requireNoErr(t, "worker 1", get(workerKey, workerSecret))
	requireNoErr(t, "worker 2", get(workerKey, workerSecret))
	requireThrottled(t, get(workerKey, workerSecret), "ThrottlingException")
	requireThrottled(t, get(readerKey, readerSecret), "ThrottlingException")
	requireNoErr(t, "the other account, whose bucket is its own", get(otherKey, otherSecret))
	requireAPIError(t, get(strangerKey, "s"), "UnrecognizedClientException", 400, "")

	if e := lastEntry(t, srv, "GetSecretValue"); e.Throttled {
		t.Fatalf("the refused stranger is logged as throttled: %+v", e)
	}
	for _, e := range srv.Requests().Entries() {
		if e.Throttled && e.Principal == otherARN {
			t.Fatalf("the other account was throttled: %+v", e)
		}
	}
}
