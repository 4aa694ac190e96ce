package localaws

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// TestRDSPostgresOutage stops the PostgreSQL behind an available instance
// through the admin endpoint and the Go API: RDS still says available,
// logins fail, a rotation is refused without touching the secret, and
// starting PostgreSQL again ends the outage.
func TestRDSPostgresOutage(t *testing.T) {
	srv, client := startRDSServer(t, Options{})
	sm := newRDSTestSMClient(srv.URL())
	ctx := rdsCtx(t)
	if _, err := client.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String("flaky"), DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("postgres"),
		MasterUsername: aws.String("master"), ManageMasterUserPassword: aws.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
	db := waitAvailable(t, client, "flaky")
	arn := aws.ToString(db.MasterUserSecret.SecretArn)
	secret := readMasterSecret(t, sm, arn, "AWSCURRENT")

	if code := adminPost(t, srv, "/_localaws/rds/instances/flaky/stop-postgres"); code != http.StatusNoContent {
		t.Fatalf("stop-postgres: HTTP %d", code)
	}
	if s := aws.ToString(describeOne(t, client, "flaky").DBInstanceStatus); s != "available" {
		t.Fatalf("status during outage %q", s)
	}
	if conn, err := pgLogin(ctx, db.Endpoint, "master", secret.Password, "postgres"); err == nil {
		conn.Close(context.Background())
		t.Fatal("login works during the outage")
	}
	_, err := client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("flaky"), RotateMasterUserPassword: aws.Bool(true), ApplyImmediately: aws.Bool(true)})
	wantAPIError(t, err, "InvalidDBInstanceState", 400)
	if s := aws.ToString(describeOne(t, client, "flaky").DBInstanceStatus); s != "available" {
		t.Fatalf("status after refused rotation %q", s)
	}
	if now := readMasterSecret(t, sm, arn, "AWSCURRENT"); now.Password != secret.Password {
		t.Fatal("a refused rotation changed AWSCURRENT")
	}

	if code := adminPost(t, srv, "/_localaws/rds/instances/flaky/start-postgres"); code != http.StatusNoContent {
		t.Fatalf("start-postgres: HTTP %d", code)
	}
	mustLogin(t, db.Endpoint, "master", secret.Password, "postgres")

	// The Go API does the same.
	if err := srv.StopInstancePostgres("flaky"); err != nil {
		t.Fatal(err)
	}
	if rdsCluster(t, srv, "flaky").Running() {
		t.Fatal("still running after StopInstancePostgres")
	}
	if err := srv.StartInstancePostgres("flaky"); err != nil {
		t.Fatal(err)
	}
	mustLogin(t, db.Endpoint, "master", secret.Password, "postgres")
	if code := adminPost(t, srv, "/_localaws/rds/instances/nope/stop-postgres"); code != http.StatusNotFound {
		t.Fatalf("unknown instance: HTTP %d", code)
	}
}
