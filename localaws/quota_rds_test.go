package localaws

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// TestQuotaRDS: every RDS action draws from the account's one bucket;
// over it the SDK gets Throttling (awsQuery, HTTP 400, Sender), a
// throttled CreateDBInstance creates nothing, Secrets Manager is not
// affected, and the bucket refills at its rate.
func TestQuotaRDS(t *testing.T) {
	srv, clock := startQuotaServer(t, Options{Quotas: &QuotaConfig{
		Families: map[string]QuotaLimit{"rds:api": {Rate: 2, Burst: 3}}}})
	c := quotaRDSClient(srv)
	ctx := rdsCtx(t)
	for range 3 {
		_, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
		requireNoErr(t, "DescribeDBInstances within the burst", err)
	}
	_, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	requireThrottled(t, err, "Throttling")
	_, err = c.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("never"),
		DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("postgres"),
		MasterUsername: aws.String("master"), MasterUserPassword: aws.String("Valid-Pass-123")})
	requireThrottled(t, err, "Throttling")
	_, err = c.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String("arn:aws:rds:us-east-1:000000000000:db:never")})
	requireThrottled(t, err, "Throttling")

	_, err = quotaSMClient(srv, "us-east-1", "AKIDQUOTATEST", "s").ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	requireNoErr(t, "Secrets Manager while RDS is throttled", err)

	// The awsQuery body, as every client parses it.
	form := url.Values{"Action": {"DescribeDBInstances"}, "Version": {rdsAPIVersion}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	resp, err := http.DefaultClient.Do(req)
	requireNoErr(t, "raw DescribeDBInstances", err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"<Type>Sender</Type>", "<Code>Throttling</Code>", "<Message>Rate exceeded</Message>"} {
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), want) {
			t.Fatalf("raw answer %d %s: want 400 with %s", resp.StatusCode, body, want)
		}
	}

	clock.Advance(500 * time.Millisecond)
	out, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	requireNoErr(t, "DescribeDBInstances once a token is back", err)
	if len(out.DBInstances) != 0 {
		t.Fatalf("a throttled CreateDBInstance created %d instance(s)", len(out.DBInstances))
	}
	if _, throttled := quotaCounts(srv, "CreateDBInstance"); throttled != 1 {
		t.Fatalf("CreateDBInstance logged throttled %d times, want 1", throttled)
	}
	if e := lastEntry(t, srv, "ListTagsForResource"); !e.Throttled || e.Quota != "rds:api" || e.Error != "Throttling" {
		t.Fatalf("ListTagsForResource entry %+v: want throttled by rds:api", e)
	}
}
