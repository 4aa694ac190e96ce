package localaws

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"
)

func scopeRDSClient(srv *Server, region string) *rds.Client {
	return rds.New(rds.Options{Region: region, BaseEndpoint: aws.String(srv.URL()),
		Credentials: staticCreds("AKIDSCOPETEST", "s"), RetryMaxAttempts: 1})
}

// TestRegionsKeepInstancesApart: the same identifier in two Regions is two
// instances, two PostgreSQL clusters on two ports, each with its Region in
// its ARN, Availability Zone, certificate name and managed master secret;
// neither Region finds the other's by ARN, and the admin endpoints pick a
// Region with ?region=. After a restart the us-west-2 instance is back.
func TestRegionsKeepInstancesApart(t *testing.T) {
	dir := t.TempDir()
	srv, _ := startRDSServer(t, Options{DataDir: dir})
	ctx := rdsCtx(t)
	east, west := scopeRDSClient(srv, "us-east-1"), scopeRDSClient(srv, "us-west-2")
	eastDB := createWithPassword(t, east, "orders", "postgres", "east-password-1")
	_, err := west.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("orders"),
		DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("postgres"), MasterUsername: aws.String("postgres"),
		ManageMasterUserPassword: aws.Bool(true), AllocatedStorage: aws.Int32(20)})
	requireNoErr(t, "CreateDBInstance us-west-2 (same identifier)", err)
	westDB := waitAvailable(t, west, "orders")

	if *eastDB.DBInstanceArn != "arn:aws:rds:us-east-1:000000000000:db:orders" || *westDB.DBInstanceArn != "arn:aws:rds:us-west-2:000000000000:db:orders" {
		t.Fatalf("ARNs %s and %s", *eastDB.DBInstanceArn, *westDB.DBInstanceArn)
	}
	if *westDB.AvailabilityZone != "us-west-2a" || *westDB.Endpoint.Port == *eastDB.Endpoint.Port {
		t.Fatalf("us-west-2: zone %s, port %d (us-east-1's is %d)", *westDB.AvailabilityZone, *westDB.Endpoint.Port, *eastDB.Endpoint.Port)
	}
	secretARN := aws.ToString(westDB.MasterUserSecret.SecretArn)
	if !strings.HasPrefix(secretARN, "arn:aws:secretsmanager:us-west-2:000000000000:secret:rds!db-") {
		t.Fatalf("us-west-2's master secret %s", secretARN)
	}
	westSM := scopeSMClient(srv, "us-west-2")
	master := readMasterSecret(t, westSM, secretARN, "AWSCURRENT")
	mustLogin(t, westDB.Endpoint, master.Username, master.Password, "postgres")
	mustLogin(t, eastDB.Endpoint, "postgres", "east-password-1", "postgres")
	_, err = scopeSMClient(srv, "us-east-1").DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretARN)})
	requireAPIError(t, err, "ResourceNotFoundException", 400, "")

	_, err = east.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: westDB.DBInstanceArn})
	wantAPIError(t, err, "DBInstanceNotFound", 404)
	list, err := east.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	requireNoErr(t, "DescribeDBInstances us-east-1", err)
	if len(list.DBInstances) != 1 || *list.DBInstances[0].DBInstanceArn != *eastDB.DBInstanceArn {
		t.Fatalf("us-east-1 lists %d instances", len(list.DBInstances))
	}

	// One CA for every Region; the certificate names the Region's host.
	sc, err := srv.scopes.get(scopeKey{account: "000000000000", region: "us-west-2"})
	requireNoErr(t, "us-west-2 scope", err)
	host := sc.rds.instanceDNSName("orders")
	if !strings.Contains(host, ".us-west-2.") {
		t.Fatalf("us-west-2 host name %s", host)
	}
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=%d sslmode=verify-full sslrootcert=%s connect_timeout=10",
		*westDB.Endpoint.Port, srv.RDSCABundlePath()))
	requireNoErr(t, "pgx config", err)
	cfg.TLSConfig.ServerName = host
	cfg.User, cfg.Password, cfg.Database, cfg.Fallbacks = master.Username, master.Password, "postgres", nil
	conn, err := pgx.ConnectConfig(ctx, cfg)
	requireNoErr(t, "verify-full login to us-west-2 as "+host, err)
	_ = conn.Close(ctx)

	if code := adminPost(t, srv, "/_localaws/rds/instances/orders/stop-postgres?region=us-west-2"); code != http.StatusNoContent {
		t.Fatalf("stop-postgres?region=us-west-2: %d", code)
	}
	if _, err := pgLogin(ctx, westDB.Endpoint, master.Username, master.Password, "postgres"); err == nil {
		t.Fatal("us-west-2's PostgreSQL still takes logins after stop-postgres")
	}
	mustLogin(t, eastDB.Endpoint, "postgres", "east-password-1", "postgres")
	if code := adminPost(t, srv, "/_localaws/rds/instances/orders/start-postgres?region=us-west-2"); code != http.StatusNoContent {
		t.Fatalf("start-postgres?region=us-west-2: %d", code)
	}
	mustLogin(t, westDB.Endpoint, master.Username, master.Password, "postgres")
	if code := adminPost(t, srv, "/_localaws/rds/instances/orders/stop-postgres?region=eu-west-1"); code != http.StatusNotFound {
		t.Fatalf("stop-postgres in a Region without the instance: %d", code)
	}
	if code := adminPost(t, srv, "/_localaws/rds/instances/orders/stop-postgres?region=../x"); code != http.StatusBadRequest {
		t.Fatalf("stop-postgres?region=../x: %d", code)
	}

	closeRDSServer(t, srv)
	srv, _ = startRDSServer(t, Options{DataDir: dir})
	west = scopeRDSClient(srv, "us-west-2")
	again := waitAvailable(t, west, "orders")
	if *again.DBInstanceArn != *westDB.DBInstanceArn {
		t.Fatalf("after restart: %s", *again.DBInstanceArn)
	}
	mustLogin(t, again.Endpoint, master.Username, master.Password, "postgres")
}
