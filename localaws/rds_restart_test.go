package localaws

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// TestRDSRestart closes a server with a DataDir and opens a new one on the
// same folder: the instance is still available, its PostgreSQL was really
// stopped by Close and started again by New, and the managed secret still
// logs in. A stopped instance stays stopped.
func TestRDSRestart(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "state")
	srv, client := startRDSServer(t, Options{DataDir: dataDir})
	ctx := rdsCtx(t)
	if _, err := client.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String("keep"), DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("postgres"),
		MasterUsername: aws.String("postgres"), ManageMasterUserPassword: aws.Bool(true),
	}); err != nil {
		t.Fatalf("create: %v", err)
	}
	before := waitAvailable(t, client, "keep")
	createWithPassword(t, client, "sleeper", "master", "Sleeper-Pass-1")
	if _, err := client.StopDBInstance(ctx, &rds.StopDBInstanceInput{DBInstanceIdentifier: aws.String("sleeper")}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, client, "sleeper", "stopped")
	keep := rdsCluster(t, srv, "keep")
	closeRDSServer(t, srv)
	if keep.Running() {
		t.Fatal("Close left PostgreSQL running")
	}
	if _, err := os.Stat(filepath.Join(dataDir, "rds.json")); err != nil {
		t.Fatalf("rds.json: %v", err)
	}

	srv2, client2 := startRDSServer(t, Options{DataDir: dataDir})
	after := describeOne(t, client2, "keep")
	if aws.ToString(after.DBInstanceStatus) != "available" || aws.ToInt32(after.Endpoint.Port) != aws.ToInt32(before.Endpoint.Port) ||
		aws.ToString(after.MasterUserSecret.SecretArn) != aws.ToString(before.MasterUserSecret.SecretArn) {
		t.Fatalf("after restart: %+v", after)
	}
	if !rdsCluster(t, srv2, "keep").Running() {
		t.Fatal("PostgreSQL not started again")
	}
	secret := readMasterSecret(t, newRDSTestSMClient(srv2.URL()), aws.ToString(after.MasterUserSecret.SecretArn), "AWSCURRENT")
	mustLogin(t, after.Endpoint, "postgres", secret.Password, "postgres")
	if s := aws.ToString(describeOne(t, client2, "sleeper").DBInstanceStatus); s != "stopped" || rdsCluster(t, srv2, "sleeper").Running() {
		t.Fatalf("stopped instance after restart: status %s", s)
	}
	// Delete both so nothing of the folder's clusters survives the test.
	for _, id := range []string{"keep", "sleeper"} {
		if _, err := client2.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		waitGoneRDS(t, client2, id)
	}
	assertNoPath(t, filepath.Join(dataDir, "rds", "keep"))
}
