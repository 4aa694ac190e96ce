package localaws

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/credstage/credstage/localaws/internal/pgcluster"
)

func holderOf(stages map[string][]string, label string) string {
	for id, labels := range stages {
		if slices.Contains(labels, label) {
			return id
		}
	}
	return ""
}

// assertRotated checks a finished rotation from old to the new password:
// AWSCURRENT holds it and logs in, AWSPREVIOUS holds old, no AWSPENDING.
func assertRotated(t *testing.T, srv *Server, client *rds.Client, id, arn, old, want string) {
	t.Helper()
	sm := newRDSTestSMClient(srv.URL())
	db := describeOne(t, client, id)
	if s := aws.ToString(db.DBInstanceStatus); s != "available" {
		t.Errorf("status %q after the rotation, want available", s)
	}
	if p := holderOf(stagesOf(t, sm, arn), "AWSPENDING"); p != "" {
		t.Errorf("AWSPENDING left on %s", p)
	}
	if cur := readMasterSecret(t, sm, arn, "AWSCURRENT"); cur.Password != want {
		t.Error("AWSCURRENT does not hold the staged password")
	}
	if prev := readMasterSecret(t, sm, arn, "AWSPREVIOUS"); prev.Password != old {
		t.Error("AWSPREVIOUS does not hold the password before the rotation")
	}
	mustLogin(t, db.Endpoint, "postgres", want, "postgres")
	mustRefuse(t, db.Endpoint, "postgres", old, "postgres")
}

// TestRDSManagedRotationOrder holds a managed master rotation in AWS's
// window and checks its order: AWSPENDING and the database change first,
// AWSCURRENT moves last. A crash in the window, before or after the ALTER
// ROLE, is finished on the next start.
func TestRDSManagedRotationOrder(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "state")
	srv, client := startRDSServer(t, Options{DataDir: dataDir})
	sm := newRDSTestSMClient(srv.URL())
	const id = "window"
	created, err := client.CreateDBInstance(rdsCtx(t), &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(id), DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("postgres"),
		MasterUsername: aws.String("postgres"), ManageMasterUserPassword: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	arn := aws.ToString(created.DBInstance.MasterUserSecret.SecretArn)
	db := waitAvailable(t, client, id)
	first := readMasterSecret(t, sm, arn, "AWSCURRENT")
	firstVersion := holderOf(stagesOf(t, sm, arn), "AWSCURRENT")

	finish, err := srv.RotateManagedMasterStaged(id)
	if err != nil {
		t.Fatalf("RotateManagedMasterStaged: %v", err)
	}
	stages := stagesOf(t, sm, arn)
	pendingVersion := holderOf(stages, "AWSPENDING")
	if pendingVersion == "" || pendingVersion == firstVersion {
		t.Fatalf("in the window: AWSPENDING on %q, AWSCURRENT on %q (%v)", pendingVersion, firstVersion, stages)
	}
	if cur := holderOf(stages, "AWSCURRENT"); cur != firstVersion {
		t.Fatalf("AWSCURRENT moved to %s before the rotation finished", cur)
	}
	pending := readMasterSecret(t, sm, arn, "AWSPENDING")
	if pending.Password == first.Password {
		t.Fatal("the staged password is the old one")
	}
	mustLogin(t, db.Endpoint, "postgres", pending.Password, "postgres")
	mustRefuse(t, db.Endpoint, "postgres", first.Password, "postgres")
	if s := aws.ToString(describeOne(t, client, id).DBInstanceStatus); s != "resetting-master-credentials" {
		t.Errorf("status in the window %q", s)
	}
	_, err = client.ModifyDBInstance(rdsCtx(t), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), RotateMasterUserPassword: aws.Bool(true), ApplyImmediately: aws.Bool(true)})
	wantAPIError(t, err, "InvalidDBInstanceState", 400)

	if err := finish(); err != nil {
		t.Fatalf("finish: %v", err)
	}
	if err := finish(); err != nil {
		t.Fatalf("finish again: %v", err)
	}
	if cur := holderOf(stagesOf(t, sm, arn), "AWSCURRENT"); cur != pendingVersion {
		t.Fatalf("AWSCURRENT on %s, want the staged %s", cur, pendingVersion)
	}
	assertRotated(t, srv, client, id, arn, first.Password, pending.Password)

	// A crash in the window (after ALTER ROLE): the restart finishes it.
	before := pending.Password
	if _, err := srv.RotateManagedMasterStaged(id); err != nil {
		t.Fatal(err)
	}
	staged := readMasterSecret(t, sm, arn, "AWSPENDING")
	closeRDSServer(t, srv)
	srv, client = startRDSServer(t, Options{DataDir: dataDir})
	assertRotated(t, srv, client, id, arn, before, staged.Password)

	// A crash after staging but before ALTER ROLE: the restart applies the
	// staged password and finishes too.
	before = staged.Password
	if _, err := srv.RotateManagedMasterStaged(id); err != nil {
		t.Fatal(err)
	}
	staged = readMasterSecret(t, newRDSTestSMClient(srv.URL()), arn, "AWSPENDING")
	v, _ := pgcluster.SCRAMVerifier(before)
	if err := rdsCluster(t, srv, id).SetPassword(context.Background(), "postgres", v); err != nil {
		t.Fatal(err)
	}
	closeRDSServer(t, srv)
	srv, client = startRDSServer(t, Options{DataDir: dataDir})
	assertRotated(t, srv, client, id, arn, before, staged.Password)
}
