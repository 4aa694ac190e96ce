package localaws

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// TestSigV4KnownKeyEveryProtocol signs with the real SDK clients (Secrets
// Manager on JSON 1.1, RDS on query, CloudWatch on RPC v2 CBOR, including
// a gzip-compressed PutMetricData, whose signature covers the compressed
// body) and with the SDK's signer on CloudWatch's JSON 1.0 and query
// protocols: every call is accepted and logged with its principal.
func TestSigV4KnownKeyEveryProtocol(t *testing.T) {
	srv := startIAMServer(t, iamConfig([]string{allowAllSM, allowAllRDS, allowAllCW}))
	ctx := iamCtx(t)
	if _, err := smClientAs(srv, workerKey, workerSecret).ListSecrets(ctx, &secretsmanager.ListSecretsInput{}); err != nil {
		t.Fatalf("ListSecrets: %v", err)
	}
	if _, err := rdsClientAs(srv, workerKey, workerSecret).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{}); err != nil {
		t.Fatalf("DescribeDBInstances: %v", err)
	}
	cw := cwClientAs(srv, workerKey, workerSecret)
	if _, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{}); err != nil {
		t.Fatalf("ListMetrics: %v", err)
	}
	var data []cwtypes.MetricDatum
	for i := range 400 {
		data = append(data, cwtypes.MetricDatum{MetricName: aws.String("Big"), Value: aws.Float64(float64(i)),
			Dimensions: []cwtypes.Dimension{{Name: aws.String("Secret"), Value: aws.String(strings.Repeat("x", 40))}}})
	}
	if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Credstage"), MetricData: data}); err != nil {
		t.Fatalf("compressed PutMetricData: %v", err)
	}
	if e := lastEntry(t, srv, "PutMetricData"); e.Principal != workerARN || e.Decision != "allow: identity policy" || e.Status != 200 {
		t.Fatalf("log entry %+v, want the worker allowed by its identity policy", e)
	}

	jsonCall := signedRequest(t, srv, workerKey, workerSecret, "monitoring", time.Now(), "/", []byte(`{}`),
		map[string]string{"X-Amz-Target": cwJSONTargetPrefix + "ListMetrics", "Content-Type": "application/x-amz-json-1.0"})
	if jsonCall.status != 200 {
		t.Fatalf("CloudWatch JSON 1.0 ListMetrics: %d %s", jsonCall.status, jsonCall.body)
	}
	queryCall := signedRequest(t, srv, workerKey, workerSecret, "monitoring", time.Now(), "/?x=a%20b&a=1",
		[]byte("Action=ListMetrics&Version=2010-08-01"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if queryCall.status != 200 {
		t.Fatalf("CloudWatch query ListMetrics: %d %s", queryCall.status, queryCall.body)
	}
}

// TestSigV4WrongSecret: a request signed with the wrong secret for a known
// key is refused in each protocol family's words, and does nothing.
func TestSigV4WrongSecret(t *testing.T) {
	srv := startIAMServer(t, withAdmin(iamConfig([]string{allowAllSM, allowAllRDS, allowAllCW})))
	ctx := iamCtx(t)
	_, err := smClientAs(srv, workerKey, "not-the-secret").CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("forged"), SecretString: aws.String("x")})
	requireAPIError(t, err, "InvalidSignatureException", 400, msgBadSignature)
	_, err = adminSM(t, srv).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("forged")})
	requireAPIError(t, err, "ResourceNotFoundException", 400, "")
	if e := lastEntry(t, srv, "CreateSecret"); e.Decision != "deny: signature does not match" || e.Principal != "" || e.AccessKey != workerKey {
		t.Fatalf("log entry %+v, want a signature refusal with no principal", e)
	}

	_, err = rdsClientAs(srv, workerKey, "not-the-secret").DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	requireAPIError(t, err, "SignatureDoesNotMatch", 403, msgBadSignature)
	_, err = cwClientAs(srv, workerKey, "not-the-secret").PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace: aws.String("Forged"), MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("M"), Value: aws.Float64(1)}}})
	requireAPIError(t, err, "SignatureDoesNotMatch", 403, msgBadSignature)
	metrics, err := cwClientAs(srv, adminKey, adminSecret).ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("Forged")})
	if err != nil || len(metrics.Metrics) != 0 {
		t.Fatalf("a refused PutMetricData stored %v (%v)", metrics, err)
	}
}

// TestSigV4UnknownKey: an access key no principal has.
func TestSigV4UnknownKey(t *testing.T) {
	srv := startIAMServer(t, iamConfig([]string{allowEveryAPI}))
	ctx := iamCtx(t)
	_, err := smClientAs(srv, strangerKey, "whatever").ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	requireAPIError(t, err, "UnrecognizedClientException", 400, msgUnknownKey)
	_, err = rdsClientAs(srv, strangerKey, "whatever").DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	requireAPIError(t, err, "InvalidClientTokenId", 403, msgUnknownKey)
	_, err = cwClientAs(srv, strangerKey, "whatever").ListMetrics(ctx, &cloudwatch.ListMetricsInput{})
	requireAPIError(t, err, "InvalidClientTokenId", 403, msgUnknownKey)
	if e := lastEntry(t, srv, "ListMetrics"); e.Decision != "deny: unknown access key" {
		t.Fatalf("log entry %+v", e)
	}
	// A session token would need STS, which localaws does not have.
	sess := smClientAs(srv, workerKey, workerSecret)
	_, err = sess.ListSecrets(ctx, &secretsmanager.ListSecretsInput{}, func(o *secretsmanager.Options) {
		o.Credentials = aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: workerKey, SecretAccessKey: workerSecret, SessionToken: "token"}, nil
		}))
	})
	requireAPIError(t, err, "UnrecognizedClientException", 400, msgUnknownKey)
}

// TestSigV4MissingAuthentication: an unsigned call, in both families.
func TestSigV4MissingAuthentication(t *testing.T) {
	srv := startIAMServer(t, iamConfig([]string{allowEveryAPI}))
	sm := rawRequest(t, srv, "/", []byte(`{}`), map[string]string{"X-Amz-Target": "secretsmanager.ListSecrets",
		"Content-Type": "application/x-amz-json-1.1"})
	if sm.status != 400 || sm.code != "MissingAuthenticationTokenException" || sm.message != msgMissingAuth {
		t.Fatalf("unsigned Secrets Manager call: %d %s %q", sm.status, sm.code, sm.message)
	}
	q := rawRequest(t, srv, "/", []byte("Action=DescribeDBInstances&Version=2014-10-31"),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if q.status != 403 || q.code != "MissingAuthenticationToken" || q.message != msgMissingAuth {
		t.Fatalf("unsigned RDS call: %d %s %q", q.status, q.code, q.message)
	}
	bad := rawRequest(t, srv, "/", []byte(`{}`), map[string]string{"X-Amz-Target": "secretsmanager.ListSecrets",
		"Authorization": "AWS4-HMAC-SHA256 Credential=" + workerKey + "/20240101/us-east-1/secretsmanager/aws4_request"})
	if bad.status != 400 || bad.code != "IncompleteSignatureException" || !strings.Contains(bad.message, "'Signature'") {
		t.Fatalf("header without a signature: %d %s %q", bad.status, bad.code, bad.message)
	}
	// The admin endpoints are the emulator's own, never signed.
	resp, err := http.Get(srv.URL() + "/_localaws/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestSigV4RequestTime: a request signed more than five minutes before or
// after the server's clock is refused with AWS's wording; within the
// window it is accepted.
func TestSigV4RequestTime(t *testing.T) {
	srv := startIAMServer(t, iamConfig([]string{allowEveryAPI}))
	smHeaders := map[string]string{"X-Amz-Target": "secretsmanager.ListSecrets", "Content-Type": "application/x-amz-json-1.1"}
	old := signedRequest(t, srv, workerKey, workerSecret, "secretsmanager", time.Now().Add(-6*time.Minute), "/", []byte(`{}`), smHeaders)
	if old.status != 400 || old.code != "InvalidSignatureException" || !strings.HasPrefix(old.message, "Signature expired: ") ||
		!strings.HasSuffix(old.message, " - 5 min.)") {
		t.Fatalf("old signature: %d %s %q", old.status, old.code, old.message)
	}
	future := signedRequest(t, srv, workerKey, workerSecret, "secretsmanager", time.Now().Add(6*time.Minute), "/", []byte(`{}`), smHeaders)
	if future.status != 400 || !strings.HasPrefix(future.message, "Signature not yet current: ") {
		t.Fatalf("future signature: %d %s %q", future.status, future.code, future.message)
	}
	if e := lastEntry(t, srv, "ListSecrets"); e.Decision != "deny: signature expired" {
		t.Fatalf("log entry %+v", e)
	}
	skewed := signedRequest(t, srv, workerKey, workerSecret, "secretsmanager", time.Now().Add(-4*time.Minute), "/", []byte(`{}`), smHeaders)
	if skewed.status != 200 {
		t.Fatalf("a signature four minutes old: %d %s", skewed.status, skewed.body)
	}
	q := signedRequest(t, srv, workerKey, workerSecret, "rds", time.Now().Add(-10*time.Minute), "/",
		[]byte("Action=DescribeDBInstances&Version=2014-10-31"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if q.status != 403 || q.code != "SignatureDoesNotMatch" || !strings.HasPrefix(q.message, "Signature expired: ") {
		t.Fatalf("old RDS signature: %d %s %q", q.status, q.code, q.message)
	}
}

// TestSigV4CredentialScope: a scope for a Region no Region is named like,
// or for another service. Every real Region is served (scope.go).
func TestSigV4CredentialScope(t *testing.T) {
	srv := startIAMServer(t, iamConfig([]string{allowEveryAPI}))
	ctx := iamCtx(t)
	_, err := smClientAs(srv, workerKey, workerSecret).ListSecrets(ctx, &secretsmanager.ListSecretsInput{},
		func(o *secretsmanager.Options) { o.Region = "eu-west-1" })
	requireNoErr(t, "a call signed for eu-west-1", err)
	_, err = smClientAs(srv, workerKey, workerSecret).ListSecrets(ctx, &secretsmanager.ListSecretsInput{},
		func(o *secretsmanager.Options) { o.Region = "eu-west" })
	requireAPIError(t, err, "InvalidSignatureException", 400, "Credential should be scoped to a valid region, not 'eu-west'.")
	other := signedRequest(t, srv, workerKey, workerSecret, "rds", time.Now(), "/", []byte(`{}`),
		map[string]string{"X-Amz-Target": "secretsmanager.ListSecrets"})
	if other.status != 400 || !strings.Contains(other.message, "Credential should be scoped to correct service: 'secretsmanager'.") {
		t.Fatalf("scope for rds on a Secrets Manager call: %d %s %q", other.status, other.code, other.message)
	}
}

// rawResult is an answer read without an SDK.
type rawResult struct {
	status        int
	code, message string
	body          string
	queryError    string // the x-amzn-query-error header
}

func rawRequest(t *testing.T, srv *Server, path string, body []byte, headers map[string]string) rawResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return doRaw(t, req)
}

// signedRequest signs a POST with the SDK's own SigV4 signer, at the
// given time.
func signedRequest(t *testing.T, srv *Server, key, secret, service string, at time.Time, path string, body []byte, headers map[string]string) rawResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(iamCtx(t), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return doRaw(t, req)
}

func doRaw(t *testing.T, req *http.Request) rawResult {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	res := rawResult{status: resp.StatusCode, body: string(b), queryError: resp.Header.Get("X-Amzn-Query-Error")}
	var j struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	var x struct {
		Error struct{ Code, Message string }
	}
	if json.Unmarshal(b, &j) == nil && j.Type != "" {
		res.code, res.message = j.Type, j.Message
	} else if xml.Unmarshal(b, &x) == nil {
		res.code, res.message = x.Error.Code, x.Error.Message
	}
	return res
}

// TestSigV4PayloadHash: the signature covers the body received, whatever
// X-Amz-Content-Sha256 claims. A captured CreateSecret replayed with
// another body of the same length (with, or without, the original body's
// hash in an unsigned X-Amz-Content-Sha256) is refused, and so is a
// request signed over UNSIGNED-PAYLOAD or STREAMING-*, which only S3
// takes; none of them creates anything. The header naming the body's
// true hash is accepted.
func TestSigV4PayloadHash(t *testing.T) {
	srv := startIAMServer(t, withAdmin(iamConfig([]string{allowAllSM})))
	headers := map[string]string{"X-Amz-Target": "secretsmanager.CreateSecret", "Content-Type": "application/x-amz-json-1.1"}
	signed := []byte(`{"Name":"good","SecretString":"x"}`)
	forged := []byte(`{"Name":"evil","SecretString":"x"}`)
	sum := sha256.Sum256(signed)
	signedHash := hex.EncodeToString(sum[:])

	// sign builds a request over body signed with payload hash hash,
	// then sends sent instead, with the extra headers.
	sign := func(hash string, sent []byte, extra map[string]string) rawResult {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL()+"/", bytes.NewReader(sent))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		creds := aws.Credentials{AccessKeyID: workerKey, SecretAccessKey: workerSecret}
		if err := v4.NewSigner().SignHTTP(iamCtx(t), creds, req, hash, "secretsmanager", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		for k, v := range extra {
			req.Header.Set(k, v)
		}
		return doRaw(t, req)
	}
	refused := func(what string, res rawResult) {
		t.Helper()
		if res.status != 400 || res.code != "InvalidSignatureException" || res.message != msgBadSignature {
			t.Fatalf("%s: %d %s %q, want InvalidSignatureException", what, res.status, res.code, res.message)
		}
	}
	refused("another body, the signed body's hash in an unsigned header",
		sign(signedHash, forged, map[string]string{"X-Amz-Content-Sha256": signedHash}))
	refused("another body", sign(signedHash, forged, nil))
	for _, h := range []string{"UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"} {
		// Signed as S3 clients do: the header is set before signing.
		headers["X-Amz-Content-Sha256"] = h
		refused(h, sign(h, forged, nil))
	}
	delete(headers, "X-Amz-Content-Sha256")
	_, err := adminSM(t, srv).DescribeSecret(iamCtx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String("evil")})
	requireAPIError(t, err, "ResourceNotFoundException", 400, "")

	if ok := sign(signedHash, signed, map[string]string{"X-Amz-Content-Sha256": signedHash}); ok.status != 200 {
		t.Fatalf("the body's own hash in X-Amz-Content-Sha256: %d %s", ok.status, ok.body)
	}
}

// TestSigV4QuerySortedByName: the canonical query sorts by encoded name,
// then value, as the SDK's signer does: a query with names "a" and "a-b"
// (whose "k=v" strings sort the other way round) is accepted.
func TestSigV4QuerySortedByName(t *testing.T) {
	if got := canonicalQuery("a-b=1&a=2&a=1"); got != "a=1&a=2&a-b=1" {
		t.Fatalf("canonicalQuery = %q", got)
	}
	srv := startIAMServer(t, iamConfig([]string{allowAllCW}))
	res := signedRequest(t, srv, workerKey, workerSecret, "monitoring", time.Now(), "/?a-b=1&a=2",
		[]byte("Action=ListMetrics&Version=2010-08-01"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if res.status != 200 {
		t.Fatalf("query with a and a-b: %d %s", res.status, res.body)
	}
}
