package localaws

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// TestRDSManagePasswordSwitch turns ManageMasterUserPassword on for an
// instance created with its own password, then off again.
func TestRDSManagePasswordSwitch(t *testing.T) {
	srv, client := startRDSServer(t, Options{})
	sm := newRDSTestSMClient(srv.URL())
	ctx := rdsCtx(t)
	const own, later = "Own-Pass-1234", "Later-Pass-5678"
	db := createWithPassword(t, client, "switch", "master", own)

	_, err := client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("switch"),
		ManageMasterUserPassword: aws.Bool(true), MasterUserPassword: aws.String(later)})
	wantAPIError(t, err, "InvalidParameterCombination", 400)

	on, err := client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("switch"),
		ManageMasterUserPassword: aws.Bool(true), ApplyImmediately: aws.Bool(true)})
	if err != nil {
		t.Fatalf("manage on: %v", err)
	}
	if aws.ToString(on.DBInstance.DBInstanceStatus) != "modifying" || on.DBInstance.MasterUserSecret == nil {
		t.Fatalf("manage on response: status %s secret %v", aws.ToString(on.DBInstance.DBInstanceStatus), on.DBInstance.MasterUserSecret)
	}
	arn := aws.ToString(on.DBInstance.MasterUserSecret.SecretArn)
	waitAvailable(t, client, "switch")
	secret := readMasterSecret(t, sm, arn, "AWSCURRENT")
	mustRefuse(t, db.Endpoint, "master", own, "postgres")
	mustLogin(t, db.Endpoint, "master", secret.Password, "postgres")

	_, err = client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("switch"), ManageMasterUserPassword: aws.Bool(false)})
	wantAPIError(t, err, "InvalidParameterCombination", 400)
	off, err := client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("switch"),
		ManageMasterUserPassword: aws.Bool(false), MasterUserPassword: aws.String(later), ApplyImmediately: aws.Bool(true)})
	if err != nil {
		t.Fatalf("manage off: %v", err)
	}
	if off.DBInstance.MasterUserSecret != nil {
		t.Errorf("MasterUserSecret still shown: %+v", off.DBInstance.MasterUserSecret)
	}
	waitAvailable(t, client, "switch")
	mustRefuse(t, db.Endpoint, "master", secret.Password, "postgres")
	mustLogin(t, db.Endpoint, "master", later, "postgres")
	_, err = sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	var notFound *smtypes.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("secret after switching off: %v, want ResourceNotFoundException", err)
	}
}
