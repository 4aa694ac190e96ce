package localaws

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

type rdsMasterSecret struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func readMasterSecret(t *testing.T, sm *secretsmanager.Client, arn, stage string) rdsMasterSecret {
	t.Helper()
	out, err := sm.GetSecretValue(rdsCtx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionStage: aws.String(stage)})
	if err != nil {
		t.Fatalf("GetSecretValue %s %s: %v", arn, stage, err)
	}
	var v rdsMasterSecret
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &v); err != nil {
		t.Fatalf("master secret is not JSON: %v", err)
	}
	if v.Username == "" || len(v.Password) < 8 || strings.ContainsAny(v.Password, "/@\"'\\: ") {
		t.Fatalf("master secret has user %q and a password of %d characters (or a forbidden character)", v.Username, len(v.Password))
	}
	return v
}

// TestRDSManagedMasterPasswordRotation is the end-to-end proof: RDS makes
// the master password and its secret, the secret logs in to the real
// PostgreSQL, and RotateMasterUserPassword really changes the password.
func TestRDSManagedMasterPasswordRotation(t *testing.T) {
	srv, client := startRDSServer(t, Options{})
	sm := newRDSTestSMClient(srv.URL())
	ctx := rdsCtx(t)
	const id = "Managed-DB1" // identifiers are case-insensitive, stored lower-case

	start := time.Now()
	created, err := client.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier:     aws.String(id),
		DBInstanceClass:          aws.String("db.t4g.micro"),
		Engine:                   aws.String("postgres"),
		MasterUsername:           aws.String("postgres"),
		ManageMasterUserPassword: aws.Bool(true),
		DBName:                   aws.String("appdb"),
	})
	if err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	db := created.DBInstance
	if got := aws.ToString(db.DBInstanceIdentifier); got != "managed-db1" {
		t.Errorf("identifier %q, want managed-db1", got)
	}
	if got := aws.ToString(db.DBInstanceStatus); got != "creating" {
		t.Errorf("status right after create %q, want creating", got)
	}
	if db.MasterUserSecret == nil || !strings.Contains(aws.ToString(db.MasterUserSecret.SecretArn), ":secret:rds!db-") {
		t.Fatalf("MasterUserSecret = %+v", db.MasterUserSecret)
	}
	secretARN := aws.ToString(db.MasterUserSecret.SecretArn)

	avail := waitAvailable(t, client, "managed-db1")
	t.Logf("create -> available: %v", time.Since(start))
	if aws.ToString(avail.MasterUserSecret.SecretStatus) != "active" || aws.ToString(avail.MasterUserSecret.KmsKeyId) == "" {
		t.Errorf("MasterUserSecret = %+v", *avail.MasterUserSecret)
	}
	if aws.ToString(avail.Endpoint.Address) != "127.0.0.1" || aws.ToInt32(avail.Endpoint.Port) == 0 {
		t.Errorf("Endpoint = %+v", *avail.Endpoint)
	}
	arn := aws.ToString(avail.DBInstanceArn)
	if arn != "arn:aws:rds:us-east-1:000000000000:db:managed-db1" || !strings.HasPrefix(aws.ToString(avail.DbiResourceId), "db-") {
		t.Errorf("DBInstanceArn %q, DbiResourceId %q", arn, aws.ToString(avail.DbiResourceId))
	}

	// The secret, as Secrets Manager shows it.
	desc, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretARN)})
	if err != nil {
		t.Fatalf("DescribeSecret: %v", err)
	}
	if aws.ToString(desc.OwningService) != "rds" || !strings.HasPrefix(aws.ToString(desc.Name), "rds!db-") {
		t.Errorf("secret owner %q name %q", aws.ToString(desc.OwningService), aws.ToString(desc.Name))
	}
	tagged := false
	for _, tag := range desc.Tags {
		tagged = tagged || (aws.ToString(tag.Key) == "aws:rds:primaryDBInstanceArn" && aws.ToString(tag.Value) == arn)
	}
	if !tagged {
		t.Errorf("secret tags %+v lack aws:rds:primaryDBInstanceArn=%s", desc.Tags, arn)
	}

	first := readMasterSecret(t, sm, secretARN, "AWSCURRENT")
	if first.Username != "postgres" {
		t.Errorf("secret username %q", first.Username)
	}
	loginStart := time.Now()
	mustLogin(t, avail.Endpoint, first.Username, first.Password, "appdb")
	t.Logf("login with the managed secret: %v", time.Since(loginStart))

	// Rotation needs ApplyImmediately, as on AWS.
	_, err = client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), RotateMasterUserPassword: aws.Bool(true)})
	wantAPIError(t, err, "InvalidParameterCombination", 400)
	// A managed instance takes no caller password.
	_, err = client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), MasterUserPassword: aws.String("Caller-Pass-123"), ApplyImmediately: aws.Bool(true)})
	wantAPIError(t, err, "InvalidParameterCombination", 400)

	mod, err := client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier: aws.String(id), RotateMasterUserPassword: aws.Bool(true), ApplyImmediately: aws.Bool(true)})
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	if got := aws.ToString(mod.DBInstance.DBInstanceStatus); got != "resetting-master-credentials" {
		t.Errorf("status after rotate %q, want resetting-master-credentials", got)
	}
	// While resetting, other changes are refused.
	_, err = client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), RotateMasterUserPassword: aws.Bool(true), ApplyImmediately: aws.Bool(true)})
	wantAPIError(t, err, "InvalidDBInstanceState", 400)
	waitAvailable(t, client, id)

	second := readMasterSecret(t, sm, secretARN, "AWSCURRENT")
	if second.Password == first.Password {
		t.Fatal("rotation kept the password")
	}
	if prev := readMasterSecret(t, sm, secretARN, "AWSPREVIOUS"); prev.Password != first.Password {
		t.Error("AWSPREVIOUS does not hold the password before rotation")
	}
	mustRefuse(t, avail.Endpoint, "postgres", first.Password, "appdb")
	mustLogin(t, avail.Endpoint, "postgres", second.Password, "appdb")

	// RDS's own state never holds a master password (only Secrets Manager does).
	state, err := os.ReadFile(filepath.Join(srv.env.dataDir, "rds.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(state), first.Password) || strings.Contains(string(state), second.Password) {
		t.Fatal("rds.json contains a master password")
	}

	// Delete removes the cluster and the secret.
	dir, err := srv.InstanceDataDir(id)
	if err != nil {
		t.Fatal(err)
	}
	del, err := client.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true)})
	if err != nil {
		t.Fatalf("DeleteDBInstance: %v", err)
	}
	if got := aws.ToString(del.DBInstance.DBInstanceStatus); got != "deleting" {
		t.Errorf("status after delete %q", got)
	}
	if err := rds.NewDBInstanceDeletedWaiter(client, func(o *rds.DBInstanceDeletedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 300*time.Millisecond
	}).Wait(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)}, time.Minute); err != nil {
		t.Fatalf("deleted waiter: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cluster folder %s still there: %v", dir, err)
	}
	_, err = sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretARN)})
	var notFound *smtypes.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("managed secret after delete: %v, want ResourceNotFoundException", err)
	}
	if _, err := pgLogin(ctx, avail.Endpoint, "postgres", second.Password, "appdb"); err == nil {
		t.Error("PostgreSQL still accepts logins after delete")
	}
}
