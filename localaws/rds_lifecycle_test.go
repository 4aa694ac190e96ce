package localaws

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/credstage/credstage/localaws/internal/dbhost"
)

// TestRDSUserPasswordLifecycle walks one instance with a caller-chosen
// master password through create, describe, password change, stop, start,
// reboot and delete, checking the real database at every step.
func TestRDSUserPasswordLifecycle(t *testing.T) {
	srv, client := startRDSServer(t, Options{})
	ctx := rdsCtx(t)
	const id, user, pw1, pw2 = "life1", "master", "First-Pass-123", "Second~Pass#456"
	port, err := dbhost.FreePort()
	if err != nil {
		t.Fatal(err)
	}

	created, err := client.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(id), DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("postgres"),
		MasterUsername: aws.String(user), MasterUserPassword: aws.String(pw1), DBName: aws.String("orders"), Port: aws.Int32(int32(port)),
		AllocatedStorage: aws.Int32(30), DeletionProtection: aws.Bool(true),
		Tags: []rdstypes.Tag{{Key: aws.String("env"), Value: aws.String("staging")}},
	})
	if err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	if s := aws.ToString(created.DBInstance.DBInstanceStatus); s != "creating" || created.DBInstance.Endpoint != nil || created.DBInstance.MasterUserSecret != nil {
		t.Errorf("create response: status %q endpoint %v secret %v", s, created.DBInstance.Endpoint, created.DBInstance.MasterUserSecret)
	}
	// Statuses seen while polling: creating first, then backing-up or available.
	seen := []string{}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		s := aws.ToString(describeOne(t, client, id).DBInstanceStatus)
		if len(seen) == 0 || seen[len(seen)-1] != s {
			seen = append(seen, s)
		}
		if s == "available" {
			break
		}
	}
	if len(seen) < 2 || seen[0] != "creating" || seen[len(seen)-1] != "available" {
		t.Fatalf("status sequence %v", seen)
	}
	t.Logf("status sequence %v", seen)

	_, err = client.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String("LIFE1"), DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("postgres"),
		MasterUsername: aws.String(user), MasterUserPassword: aws.String(pw1)})
	wantAPIError(t, err, "DBInstanceAlreadyExists", 400)

	db := describeOne(t, client, id)
	if aws.ToString(db.Engine) != "postgres" || aws.ToString(db.DBName) != "orders" || aws.ToInt32(db.AllocatedStorage) != 30 ||
		aws.ToString(db.MasterUsername) != user || !aws.ToBool(db.DeletionProtection) || aws.ToString(db.EngineVersion) == "" ||
		len(db.TagList) != 1 || aws.ToString(db.TagList[0].Key) != "env" || db.InstanceCreateTime == nil ||
		aws.ToInt32(db.Endpoint.Port) != int32(port) {
		t.Errorf("described instance: %+v", db)
	}
	mustLogin(t, db.Endpoint, user, pw1, "orders")

	// Describe by ARN and with filters.
	byARN := describeOne(t, client, aws.ToString(db.DBInstanceArn))
	if aws.ToString(byARN.DBInstanceIdentifier) != id {
		t.Errorf("describe by ARN gave %q", aws.ToString(byARN.DBInstanceIdentifier))
	}
	for _, f := range [][]rdstypes.Filter{
		{{Name: aws.String("db-instance-id"), Values: []string{aws.ToString(db.DBInstanceArn)}}},
		{{Name: aws.String("engine"), Values: []string{"postgres"}}, {Name: aws.String("db-instance-id"), Values: []string{"other", id}}},
	} {
		out, err := client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{Filters: f})
		if err != nil || len(out.DBInstances) != 1 {
			t.Errorf("filters %v: %d instances, %v", f, len(out.DBInstances), err)
		}
	}
	out, err := client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{Filters: []rdstypes.Filter{{Name: aws.String("engine"), Values: []string{"mysql"}}}})
	if err != nil || len(out.DBInstances) != 0 {
		t.Errorf("engine mysql filter: %d instances, %v", len(out.DBInstances), err)
	}

	// Rotation is for managed passwords only.
	_, err = client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), RotateMasterUserPassword: aws.Bool(true), ApplyImmediately: aws.Bool(true)})
	wantAPIError(t, err, "InvalidParameterCombination", 400)

	// A new master password is real at once.
	mod, err := client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), MasterUserPassword: aws.String(pw2), ApplyImmediately: aws.Bool(true)})
	if err != nil {
		t.Fatalf("ModifyDBInstance password: %v", err)
	}
	if s := aws.ToString(mod.DBInstance.DBInstanceStatus); s != "resetting-master-credentials" {
		t.Errorf("status after password change %q", s)
	}
	_, err = client.StopDBInstance(ctx, &rds.StopDBInstanceInput{DBInstanceIdentifier: aws.String(id)})
	wantAPIError(t, err, "InvalidDBInstanceState", 400)
	mustRefuse(t, db.Endpoint, user, pw1, "orders")
	mustLogin(t, db.Endpoint, user, pw2, "orders")
	waitAvailable(t, client, id)

	// Other modifications go through modifying.
	mod, err = client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), DBInstanceClass: aws.String("db.m5.large"), ApplyImmediately: aws.Bool(true)})
	if err != nil || aws.ToString(mod.DBInstance.DBInstanceStatus) != "modifying" || aws.ToString(mod.DBInstance.DBInstanceClass) != "db.m5.large" {
		t.Fatalf("modify class: %+v, %v", mod, err)
	}
	waitAvailable(t, client, id)

	// Stop really stops PostgreSQL; start brings it back on the same endpoint.
	stop, err := client.StopDBInstance(ctx, &rds.StopDBInstanceInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil || aws.ToString(stop.DBInstance.DBInstanceStatus) != "stopping" {
		t.Fatalf("StopDBInstance: %+v, %v", stop, err)
	}
	waitStatus(t, client, id, "stopped")
	if conn, err := pgLogin(ctx, db.Endpoint, user, pw2, "orders"); err == nil {
		conn.Close(ctx)
		t.Fatal("login works on a stopped instance")
	}
	_, err = client.StopDBInstance(ctx, &rds.StopDBInstanceInput{DBInstanceIdentifier: aws.String(id)})
	wantAPIError(t, err, "InvalidDBInstanceState", 400)
	_, err = client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), MasterUserPassword: aws.String(pw1)})
	wantAPIError(t, err, "InvalidDBInstanceState", 400)
	_, err = client.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String(id)})
	wantAPIError(t, err, "InvalidDBInstanceState", 400)
	startOut, err := client.StartDBInstance(ctx, &rds.StartDBInstanceInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil || aws.ToString(startOut.DBInstance.DBInstanceStatus) != "starting" {
		t.Fatalf("StartDBInstance: %+v, %v", startOut, err)
	}
	db = waitAvailable(t, client, id)
	mustLogin(t, db.Endpoint, user, pw2, "orders")
	_, err = client.StartDBInstance(ctx, &rds.StartDBInstanceInput{DBInstanceIdentifier: aws.String(id)})
	wantAPIError(t, err, "InvalidDBInstanceState", 400)

	// Reboot restarts the postmaster.
	dir, _ := srv.InstanceDataDir(id)
	pidBefore := rdsCluster(t, srv, id).PID()
	reboot, err := client.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil || aws.ToString(reboot.DBInstance.DBInstanceStatus) != "rebooting" {
		t.Fatalf("RebootDBInstance: %+v, %v", reboot, err)
	}
	db = waitAvailable(t, client, id)
	if pidAfter := rdsCluster(t, srv, id).PID(); pidAfter == pidBefore || pidAfter == 0 {
		t.Errorf("postmaster pid %d before reboot, %d after", pidBefore, pidAfter)
	}
	mustLogin(t, db.Endpoint, user, pw2, "orders")

	// Deletion protection, then delete.
	_, err = client.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true)})
	wantAPIError(t, err, "InvalidParameterCombination", 400)
	if _, err := client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), DeletionProtection: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	_, err = client.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true)})
	if err != nil {
		wantAPIError(t, err, "InvalidDBInstanceState", 400) // or already gone
	}
	waitGoneRDS(t, client, id)
	if _, err := pgLogin(ctx, db.Endpoint, user, pw2, "orders"); err == nil {
		t.Error("login works after delete")
	}
	if dir == "" {
		t.Fatal("no data dir")
	}
	assertNoPath(t, dir)
}

func waitStatus(t *testing.T, c *rds.Client, id, want string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if aws.ToString(describeOne(t, c, id).DBInstanceStatus) == want {
			return
		}
	}
	t.Fatalf("%s never reached %s", id, want)
}

func waitGoneRDS(t *testing.T, c *rds.Client, id string) {
	t.Helper()
	if err := rds.NewDBInstanceDeletedWaiter(c, func(o *rds.DBInstanceDeletedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 300*time.Millisecond
	}).Wait(rdsCtx(t), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)}, time.Minute); err != nil {
		t.Fatalf("wait for %s to be deleted: %v", id, err)
	}
	_, err := c.DescribeDBInstances(rdsCtx(t), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	wantAPIError(t, err, "DBInstanceNotFound", 404)
}
