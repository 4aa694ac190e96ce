package localaws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
	"github.com/credstage/credstage/localaws/internal/pgcluster"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// startRDSServer runs an emulator for one test with short transient
// statuses, and closes it when the test ends, checking that no cluster
// is left running.
func startRDSServer(t *testing.T, opts Options) (*Server, *rds.Client) {
	t.Helper()
	if opts.DataDir == "" {
		opts.Ephemeral = true
	}
	opts.Addr = "127.0.0.1:0"
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv.rds.mu.Lock()
	srv.rds.backupDelay, srv.rds.settleDelay = 150*time.Millisecond, 150*time.Millisecond
	srv.rds.mu.Unlock()
	if err := srv.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { closeRDSServer(t, srv) })
	return srv, newRDSTestClient(srv.URL())
}

// closeRDSServer closes a server (once) and fails the test if a cluster
// of it still runs afterwards.
func closeRDSServer(t *testing.T, srv *Server) {
	t.Helper()
	srv.rds.mu.Lock()
	var clusters []*rdsInstance
	for _, in := range srv.rds.instances {
		clusters = append(clusters, in)
	}
	srv.rds.mu.Unlock()
	if err := srv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	for _, in := range clusters {
		if in.cluster != nil && in.cluster.Running() {
			t.Errorf("instance %s: its database server still runs after Close", in.Identifier)
		}
	}
}

func newRDSTestClient(url string) *rds.Client {
	return rds.New(rds.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDRDSTEST", "secret", ""),
	})
}

func newRDSTestSMClient(url string) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDRDSTEST", "secret", ""),
	})
}

func rdsCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// waitAvailable waits with the SDK's own waiter, polling fast.
func waitAvailable(t *testing.T, c *rds.Client, id string) rdstypes.DBInstance {
	t.Helper()
	out, err := rds.NewDBInstanceAvailableWaiter(c, func(o *rds.DBInstanceAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 300*time.Millisecond
	}).WaitForOutput(rdsCtx(t), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)}, time.Minute)
	if err != nil {
		t.Fatalf("wait for %s to be available: %v", id, err)
	}
	return out.DBInstances[0]
}

// createWithPassword creates an instance with a caller-chosen master
// password and waits until it is available.
func createWithPassword(t *testing.T, c *rds.Client, id, user, password string, mutate ...func(*rds.CreateDBInstanceInput)) rdstypes.DBInstance {
	t.Helper()
	in := &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(id),
		DBInstanceClass:      aws.String("db.t4g.micro"),
		Engine:               aws.String("postgres"),
		MasterUsername:       aws.String(user),
		MasterUserPassword:   aws.String(password),
		AllocatedStorage:     aws.Int32(20),
	}
	for _, m := range mutate {
		m(in)
	}
	if _, err := c.CreateDBInstance(rdsCtx(t), in); err != nil {
		t.Fatalf("CreateDBInstance %s: %v", id, err)
	}
	return waitAvailable(t, c, id)
}

func describeOne(t *testing.T, c *rds.Client, id string) rdstypes.DBInstance {
	t.Helper()
	out, err := c.DescribeDBInstances(rdsCtx(t), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		t.Fatalf("DescribeDBInstances %s: %v", id, err)
	}
	if len(out.DBInstances) != 1 {
		t.Fatalf("DescribeDBInstances %s: %d instances", id, len(out.DBInstances))
	}
	return out.DBInstances[0]
}

// pgLogin opens a real TCP connection with SCRAM-SHA-256 authentication,
// over TLS as rds.force_ssl demands; the certificate is not checked here
// (rds_tls_test.go checks it).
func pgLogin(ctx context.Context, endpoint *rdstypes.Endpoint, user, password, db string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d sslmode=require connect_timeout=10 require_auth=scram-sha-256",
		aws.ToString(endpoint.Address), aws.ToInt32(endpoint.Port)))
	if err != nil {
		return nil, err
	}
	cfg.User, cfg.Password, cfg.Database = user, password, db
	cfg.Fallbacks = nil
	return pgx.ConnectConfig(ctx, cfg)
}

// mustLogin logs in and runs SELECT 1.
func mustLogin(t *testing.T, endpoint *rdstypes.Endpoint, user, password, db string) {
	t.Helper()
	ctx := rdsCtx(t)
	conn, err := pgLogin(ctx, endpoint, user, password, db)
	if err != nil {
		t.Fatalf("login as %s: %v", user, err)
	}
	defer conn.Close(ctx)
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 as %s: %d, %v", user, one, err)
	}
}

// mustRefuse checks a login fails with SQLSTATE 28P01 (invalid password).
func mustRefuse(t *testing.T, endpoint *rdstypes.Endpoint, user, password, db string) {
	t.Helper()
	ctx := rdsCtx(t)
	conn, err := pgLogin(ctx, endpoint, user, password, db)
	if err == nil {
		conn.Close(ctx)
		t.Fatalf("login as %s with a stale password succeeded", user)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Fatalf("login as %s: got %v, want SQLSTATE 28P01", user, err)
	}
}

// wantAPIError checks err is the AWS error code (and HTTP status, if >0).
func wantAPIError(t *testing.T, err error, code string, status int) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got %v, want AWS error %s", err, code)
	}
	if apiErr.ErrorCode() != code {
		t.Fatalf("got error code %s (%s), want %s", apiErr.ErrorCode(), apiErr.ErrorMessage(), code)
	}
	if status > 0 {
		var re *awshttp.ResponseError
		if !errors.As(err, &re) {
			t.Fatalf("%s: no HTTP response in %v", code, err)
		}
		if re.HTTPStatusCode() != status {
			t.Fatalf("%s: HTTP status %d, want %d", code, re.HTTPStatusCode(), status)
		}
	}
}

// adminPost calls an emulator control endpoint.
func adminPost(t *testing.T, srv *Server, path string) int {
	t.Helper()
	resp, err := http.Post(srv.URL()+path, "application/json", strings.NewReader(""))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func assertNoPath(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists (%v)", path, err)
	}
}

// rdsCluster returns the PostgreSQL cluster behind an instance.
func rdsCluster(t *testing.T, srv *Server, id string) *pgcluster.Cluster {
	t.Helper()
	pg, ok := rdsServer(t, srv, id).(pgServer)
	if !ok {
		t.Fatalf("%s is not a PostgreSQL instance", id)
	}
	return pg.Cluster
}

// rdsServer returns the database server behind an instance, of any engine.
func rdsServer(t *testing.T, srv *Server, id string) dbServer {
	t.Helper()
	srv.rds.mu.Lock()
	defer srv.rds.mu.Unlock()
	in, ok := srv.rds.instances[id]
	if !ok || in.cluster == nil {
		t.Fatalf("no cluster for %s", id)
	}
	return in.cluster
}
