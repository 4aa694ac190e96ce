//go:build conformance

package main

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	rds2 "github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	sm2 "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// RDS: the provisioning path (CreateDBInstance with an RDS-managed master
// password, waiting until available, reading the managed secret,
// rotating it, deleting the instance) and the errors credstage handles.
// Only one instance is really created: on localaws it is a real
// PostgreSQL cluster, seconds to start on two shared cores.

func rdsStep(op string, in any) step { return step{svc: rdsSvc, op: op, in: in} }

// instanceKeep are the members credstage reads of a DB instance
// (activities/provision_*.go, managed_master.go, internal/inventory).
func instanceKeep(prefix string) []string {
	var keep []string
	for _, m := range []string{"DBInstanceIdentifier", "DBInstanceStatus", "DBInstanceArn", "Engine", "MasterUsername", "DBName",
		"Endpoint.Address", "Endpoint.Port", "MasterUserSecret.SecretArn", "MasterUserSecret.SecretStatus", "TagList", "StorageEncrypted", "DBInstanceClass", "AllocatedStorage"} {
		keep = append(keep, prefix+m)
	}
	return keep
}

func createInstance(id string) *rds2.CreateDBInstanceInput {
	return &rds2.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(id), Engine: aws.String("postgres"), DBInstanceClass: aws.String("db.t3.micro"),
		AllocatedStorage: aws.Int32(20), DBName: aws.String("app"), MasterUsername: aws.String("postgres"),
		ManageMasterUserPassword: aws.Bool(true), StorageEncrypted: aws.Bool(true),
		Tags: []rdstypes.Tag{{Key: aws.String("credstage:managed"), Value: aws.String("true")}, {Key: aws.String("credstage:environment"), Value: aws.String("staging")}},
	}
}

func describeInstance(id string) step {
	s := rdsStep("DescribeDBInstances", &rds2.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	s.keep = instanceKeep("DBInstances.")
	return s
}

func waitAvailable(id string) step {
	s := describeInstance(id)
	s.waitFor = `"DBInstanceStatus":"available"`
	return s
}

// masterSecret reads the instance's managed secret named by an earlier
// DescribeDBInstances answer (step index at).
func masterSecret(at int) func(prev []any) (any, error) {
	return func(prev []any) (any, error) {
		out, ok := prev[at].(*rds2.DescribeDBInstancesOutput)
		if !ok || len(out.DBInstances) == 0 || out.DBInstances[0].MasterUserSecret == nil {
			return nil, errors.New("no MasterUserSecret in the DescribeDBInstances answer")
		}
		return &sm2.GetSecretValueInput{SecretId: out.DBInstances[0].MasterUserSecret.SecretArn}, nil
	}
}

func rdsCases() []testCase {
	const id = "conf-db"
	created := rdsStep("CreateDBInstance", createInstance(id))
	created.keep = instanceKeep("DBInstance.")
	modified := rdsStep("ModifyDBInstance", &rds2.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), RotateMasterUserPassword: aws.Bool(true), ApplyImmediately: aws.Bool(true)})
	modified.keep = instanceKeep("DBInstance.")
	deleted := rdsStep("DeleteDBInstance", &rds2.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true), DeleteAutomatedBackups: aws.Bool(true)})
	deleted.keep = instanceKeep("DBInstance.")
	return []testCase{
		{id: "rds/describe-missing", steps: []step{describeInstance("conf-no-db")}},
		{id: "rds/modify-missing", steps: []step{
			rdsStep("ModifyDBInstance", &rds2.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("conf-no-db"), ApplyImmediately: aws.Bool(true)}),
		}},
		{id: "rds/delete-missing", steps: []step{
			rdsStep("DeleteDBInstance", &rds2.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("conf-no-db"), SkipFinalSnapshot: aws.Bool(true)}),
		}},
		{id: "rds/describe-engine-filter-none", steps: []step{
			rdsStep("DescribeDBInstances", &rds2.DescribeDBInstancesInput{Filters: []rdstypes.Filter{{Name: aws.String("engine"), Values: []string{"mysql"}}}}),
		}},
		{id: "rds/describe-bad-filter", steps: []step{
			rdsStep("DescribeDBInstances", &rds2.DescribeDBInstancesInput{Filters: []rdstypes.Filter{{Name: aws.String("colour"), Values: []string{"blue"}}}}),
		}},
		{id: "rds/create-password-and-managed", steps: []step{
			rdsStep("CreateDBInstance", func() *rds2.CreateDBInstanceInput {
				in := createInstance("conf-both")
				in.MasterUserPassword = aws.String("not-with-managed-1")
				return in
			}()),
		}},
		{id: "rds/create-invalid-identifier", steps: []step{
			rdsStep("CreateDBInstance", createInstance("conf_bad--id")),
		}},
		{id: "rds/create-without-password", steps: []step{
			rdsStep("CreateDBInstance", func() *rds2.CreateDBInstanceInput {
				in := createInstance("conf-nopass")
				in.ManageMasterUserPassword = nil
				return in
			}()),
		}},
		{id: "rds/create-unknown-engine", steps: []step{
			rdsStep("CreateDBInstance", func() *rds2.CreateDBInstanceInput {
				in := createInstance("conf-engine")
				in.Engine = aws.String("cobol-db")
				return in
			}()),
		}},
		{id: "rds/managed-master-lifecycle", steps: []step{
			created,
			waitAvailable(id),
			{svc: sm, op: "GetSecretValue", inFrom: masterSecret(1), keep: []string{"SecretString", "VersionStages", "Name"}},
			{svc: sm, op: "DescribeSecret", inFrom: func(prev []any) (any, error) {
				in, err := masterSecret(1)(prev)
				if err != nil {
					return nil, err
				}
				return &sm2.DescribeSecretInput{SecretId: in.(*sm2.GetSecretValueInput).SecretId}, nil
			}, keep: []string{"Name", "OwningService", "Tags", "RotationEnabled"}},
			{svc: rdsSvc, op: "CreateDBInstance", in: createInstance(id), keep: instanceKeep("DBInstance.")},
			{svc: rdsSvc, op: "DescribeDBInstances", in: &rds2.DescribeDBInstancesInput{Filters: []rdstypes.Filter{{Name: aws.String("db-instance-id"), Values: []string{id}}}},
				keep: instanceKeep("DBInstances.")},
			modified,
			waitAvailable(id),
			{svc: rdsSvc, op: "DeleteDBInstance", in: &rds2.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id)}, keep: instanceKeep("DBInstance.")},
			deleted,
			describeInstance(id),
		}},
	}
}
