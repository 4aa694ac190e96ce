package localaws

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// TestQuotaSecretsManagerWrites: PutSecretValue and UpdateSecretVersionStage
// share one bucket; over it the SDK gets ThrottlingException, the
// throttled calls change nothing, GetSecretValue goes on being served,
// the bucket refills at its rate, and the request log marks exactly the
// throttled calls (also in its JSON view).
func TestQuotaSecretsManagerWrites(t *testing.T) {
	srv, clock := startQuotaServer(t, Options{Quotas: &QuotaConfig{
		Families: map[string]QuotaLimit{"secretsmanager:writes": {Rate: 1, Burst: 2}}}})
	c := quotaSMClient(srv, "us-east-1", "AKIDQUOTATEST", "s")
	ctx := smCtx(t)
	created, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app"), SecretString: aws.String("v0")})
	requireNoErr(t, "CreateSecret", err)
	put := func(v string) error {
		_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app"),
			SecretString: aws.String(v), ClientRequestToken: aws.String(smToken(v))})
		return err
	}
	requireNoErr(t, "put v1", put("v1"))
	requireNoErr(t, "put v2", put("v2"))
	requireThrottled(t, put("v3"), "ThrottlingException")
	_, err = c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("app"),
		VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: created.VersionId, RemoveFromVersionId: aws.String(smToken("v2"))})
	requireThrottled(t, err, "ThrottlingException")

	// Reads have their own quota, and nothing throttled took effect.
	for range 20 {
		v, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app")})
		requireNoErr(t, "GetSecretValue while writes are throttled", err)
		if aws.ToString(v.SecretString) != "v2" {
			t.Fatalf("AWSCURRENT is %q, want v2: a throttled call acted", aws.ToString(v.SecretString))
		}
	}
	versions, err := c.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("app"), IncludeDeprecated: aws.Bool(true)})
	requireNoErr(t, "ListSecretVersionIds", err)
	if len(versions.Versions) != 3 {
		t.Fatalf("%d versions, want 3 (v0, v1, v2): a throttled PutSecretValue acted", len(versions.Versions))
	}

	clock.Advance(999 * time.Millisecond)
	requireThrottled(t, put("v3"), "ThrottlingException")
	clock.Advance(time.Millisecond)
	requireNoErr(t, "put v3 once a token is back", put("v3"))
	requireThrottled(t, put("v4"), "ThrottlingException")

	served, throttled := quotaCounts(srv, "PutSecretValue")
	if served != 3 || throttled != 3 {
		t.Fatalf("PutSecretValue logged %d served, %d throttled; want 3, 3", served, throttled)
	}
	for _, e := range srv.Requests().Entries() {
		if e.Throttled != (e.Error == "ThrottlingException") {
			t.Fatalf("entry %s %s: throttled=%v error=%q", e.Op, e.Resource, e.Throttled, e.Error)
		}
		if e.Throttled && (e.Quota != "secretsmanager:writes" || e.Status != http.StatusBadRequest) {
			t.Fatalf("throttled entry %+v: want quota secretsmanager:writes, status 400", e)
		}
	}
	var logged []map[string]any
	getAdminJSON(t, srv, "/_localaws/requests", &logged)
	marked := 0
	for _, e := range logged {
		if e["throttled"] == true && e["quota"] == "secretsmanager:writes" {
			marked++
		}
	}
	if marked != 4 {
		t.Fatalf("the JSON request log marks %d calls throttled, want 4", marked)
	}
}

// TestQuotaAWSTable: with AWS's table as published, a frozen clock lets
// exactly the published burst through: 50 combined writes, then
// ThrottlingException, while GetRandomPassword keeps its own 50; RDS's
// 300, then 12 a second.
func TestQuotaAWSTable(t *testing.T) {
	srv, clock := startQuotaServer(t, Options{Quotas: &QuotaConfig{}})
	c := quotaSMClient(srv, "us-east-1", "AKIDQUOTATEST", "s")
	ctx := smCtx(t)
	_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("fleet"), SecretString: aws.String("v")})
	requireNoErr(t, "CreateSecret", err)
	for range 50 {
		_, err := c.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("fleet"), Description: aws.String("d")})
		requireNoErr(t, "UpdateSecret within the burst", err)
	}
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("fleet"), SecretString: aws.String("w")})
	requireThrottled(t, err, "ThrottlingException")
	_, err = c.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{})
	requireNoErr(t, "GetRandomPassword has its own quota", err)

	r := quotaRDSClient(srv)
	describe := func() error {
		_, err := r.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
		return err
	}
	for range 300 {
		requireNoErr(t, "DescribeDBInstances within RDS's burst", describe())
	}
	requireThrottled(t, describe(), "Throttling")
	clock.Advance(time.Second)
	for range 12 {
		requireNoErr(t, "DescribeDBInstances within a second's refill", describe())
	}
	requireThrottled(t, describe(), "Throttling")
}

// TestQuotaPerRegion: buckets are per Region of the credential scope, so
// a client signing for another Region has its own.
func TestQuotaPerRegion(t *testing.T) {
	srv, _ := startQuotaServer(t, Options{Quotas: &QuotaConfig{
		Families: map[string]QuotaLimit{"secretsmanager:GetRandomPassword": {Rate: 1, Burst: 1}}}})
	ctx := smCtx(t)
	east := quotaSMClient(srv, "us-east-1", "AKIDQUOTATEST", "s")
	west := quotaSMClient(srv, "eu-west-1", "AKIDQUOTATEST", "s")
	_, err := east.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{})
	requireNoErr(t, "us-east-1", err)
	_, err = east.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{})
	requireThrottled(t, err, "ThrottlingException")
	_, err = west.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{})
	requireNoErr(t, "eu-west-1 has a bucket of its own", err)
}

// getAdminJSON decodes a /_localaws/ endpoint's answer.
func getAdminJSON(t *testing.T, srv *Server, path string, v any) {
	t.Helper()
	resp, err := http.Get(srv.URL() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
