package localaws

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// Principals the IAM tests sign as. Their policies are set per test.
const (
	testAccount   = "000000000000"
	workerARN     = "arn:aws:iam::" + testAccount + ":role/credstage-worker"
	workerKey     = "AKIACREDSTAGEWORKER1"
	workerSecret  = "worker-secret"
	readerARN     = "arn:aws:iam::" + testAccount + ":user/reader"
	readerKey     = "AKIAREADER0000000001"
	readerSecret  = "reader-secret"
	strangerKey   = "AKIANOBODY0000000001"
	allowAllSM    = `{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}`
	allowAllRDS   = `{"Effect":"Allow","Action":"rds:*","Resource":"*"}`
	allowAllCW    = `{"Effect":"Allow","Action":"cloudwatch:*","Resource":"*"}`
	allowEveryAPI = `{"Effect":"Allow","Action":"*","Resource":"*"}`
)

// policy builds a policy document from statements.
func policy(statements ...string) json.RawMessage {
	return json.RawMessage(`{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`)
}

// iamConfig is a worker with the given statements and a reader with
// none unless readerStatements are given.
func iamConfig(workerStatements []string, readerStatements ...string) *IAMConfig {
	cfg := &IAMConfig{Principals: []IAMPrincipal{
		{ARN: workerARN, AccessKeyID: workerKey, SecretAccessKey: workerSecret},
		{ARN: readerARN, AccessKeyID: readerKey, SecretAccessKey: readerSecret},
	}}
	if len(workerStatements) > 0 {
		cfg.Principals[0].Policies = []json.RawMessage{policy(workerStatements...)}
	}
	if len(readerStatements) > 0 {
		cfg.Principals[1].Policies = []json.RawMessage{policy(readerStatements...)}
	}
	return cfg
}

// startIAMServer runs an emulator enforcing cfg.
func startIAMServer(t *testing.T, cfg *IAMConfig) *Server {
	t.Helper()
	srv, _ := startSMServer(t, Options{IAM: cfg})
	return srv
}

func staticCreds(key, secret string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(key, secret, "")
}

func smClientAs(srv *Server, key, secret string) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()),
		Credentials: staticCreds(key, secret), RetryMaxAttempts: 1})
}

func rdsClientAs(srv *Server, key, secret string) *rds.Client {
	return rds.New(rds.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()),
		Credentials: staticCreds(key, secret), RetryMaxAttempts: 1})
}

func cwClientAs(srv *Server, key, secret string) *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()),
		Credentials: staticCreds(key, secret), RetryMaxAttempts: 1})
}

// requireAPIError checks the error code, HTTP status and (if given) a
// part of the message.
func requireAPIError(t *testing.T, err error, code string, status int, msgPart string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got %v, want AWS error %s", err, code)
	}
	if apiErr.ErrorCode() != code {
		t.Fatalf("got error %s (%s), want %s", apiErr.ErrorCode(), apiErr.ErrorMessage(), code)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Fatalf("%s: got HTTP status %v, want %d", code, err, status)
	}
	if msgPart != "" && !strings.Contains(apiErr.ErrorMessage(), msgPart) {
		t.Fatalf("%s: message %q does not contain %q", code, apiErr.ErrorMessage(), msgPart)
	}
}

func iamCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// lastEntry is the request log's newest entry for op.
func lastEntry(t *testing.T, srv *Server, op string) RequestEntry {
	t.Helper()
	entries := srv.Requests().Entries()
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].Op == op {
			return entries[i]
		}
	}
	t.Fatalf("no %s in the request log", op)
	return RequestEntry{}
}

// adminSM is a Secrets Manager client that may do everything, for
// setting up and inspecting state in tests that enforce IAM.
func adminSM(t *testing.T, srv *Server) *secretsmanager.Client {
	t.Helper()
	return smClientAs(srv, adminKey, adminSecret)
}

const (
	adminARN    = "arn:aws:iam::" + testAccount + ":user/admin"
	adminKey    = "AKIAADMIN00000000001"
	adminSecret = "admin-secret"
)

// withAdmin adds an administrator who may do everything.
func withAdmin(cfg *IAMConfig) *IAMConfig {
	cfg.Principals = append(cfg.Principals, IAMPrincipal{ARN: adminARN, AccessKeyID: adminKey, SecretAccessKey: adminSecret,
		Policies: []json.RawMessage{policy(allowEveryAPI)}})
	return cfg
}
