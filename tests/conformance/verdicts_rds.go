//go:build conformance

package main

func rdsVerdicts() []verdict {
	v := func(id string, k kind, why string, paths ...string) verdict {
		return verdict{caseID: id, paths: paths, kind: k, why: why}
	}
	const lc = "rds/managed-master-lifecycle"
	return []verdict{
		v("rds/create-password-and-managed", motoWrong, "per AWS's documentation: CreateDBInstance's MasterUserPassword \"Can't be specified if ManageMasterUserPassword is turned on\" (API reference); moto creates the instance", "1:*"),
		v("rds/create-without-password", motoWrong, "per AWS's documentation: for RDS for PostgreSQL CreateDBInstance needs MasterUserPassword unless ManageMasterUserPassword is turned on (API reference, MasterUserPassword); moto creates an instance without either", "1:*"),
		v("rds/create-unknown-engine", irrelevant, wording, "1:error.Message"),
		v(lc, motoWrong, "per AWS's documentation: CreateDBInstance answers while the instance is \"creating\", without an Endpoint until it is available (DB instance status, RDS user guide); moto answers \"available\" at once", "1:ok.DBInstance.DBInstanceStatus", "1:ok.DBInstance.Endpoint"),
		v(lc, localawsWrong, "AWS answers a new managed secret's MasterUserSecret.SecretStatus \"creating\" (MasterUserSecret.SecretStatus: creating, active, rotating, impaired; the user guide's create example); localaws says \"active\" at once", "1:ok.DBInstance.MasterUserSecret.SecretStatus"),
		v(lc, localawsWrong, "StorageEncrypted=true was asked for and AWS reports it (DBInstance.StorageEncrypted); localaws reports false", "1:ok.DBInstance.StorageEncrypted", "2:ok.DBInstances[0].StorageEncrypted", "6:ok.DBInstances[0].StorageEncrypted",
			"7:ok.DBInstance.StorageEncrypted", "8:ok.DBInstances[0].StorageEncrypted", "10:ok.DBInstance.StorageEncrypted", "11:ok.DBInstances[0].StorageEncrypted"),
		v(lc, motoWrong, "per AWS's documentation: the managed master secret holds the instance's master user name (\"username\": MasterUsername, RDS user guide 'Password management with Secrets Manager'); moto writes \"admin\" whatever MasterUsername was (the password's length, 32 vs 9, is not documented)", "3:ok.SecretString"),
		v(lc, localawsWrong, "secrets another service manages carry the tag aws:secretsmanager:owningService (=rds here) besides aws:rds:primaryDBInstanceArn (Secrets Manager user guide, 'Secrets managed by other AWS services': find them by that tag key; the RDS user guide's describe-secret example of a managed secret shows both tags); localaws sets only the RDS tag", "4:ok.Tags"),
		v(lc, localawsWrong, "ModifyDBInstance with RotateMasterUserPassword answers MasterUserSecret.SecretStatus \"rotating\" (\"rotating - The secret is being rotated\", API reference); localaws says \"active\"", "7:ok.DBInstance.MasterUserSecret.SecretStatus"),
		v(lc, irrelevant, "the DBInstanceStatus in ModifyDBInstance's own answer is not documented (AWS usually answers \"available\" and turns to \"resetting-master-credentials\" right after); credstage polls DescribeDBInstances", "7:ok.DBInstance.DBInstanceStatus"),
		v(lc, motoWrong, "per AWS's documentation: DeleteDBInstance needs FinalDBSnapshotIdentifier unless SkipFinalSnapshot is turned on (API reference: \"the FinalDBSnapshotIdentifier parameter must be specified\"), InvalidParameterCombination; moto deletes", "9:*"),
		v(lc, localawsWrong, "a DeleteDBInstance of an instance already \"deleting\" is refused by AWS with InvalidDBInstanceState \"Instance <id> is already being deleted.\" (InvalidDBInstanceStateFault in DeleteDBInstance's error list; AWS's answer as recorded in hashicorp/terraform-provider-aws#5622/#5624); localaws answers success again (moto has removed the instance already: DBInstanceNotFound, as it keeps no deleting state)", "10:*"),
		v(lc, irrelevant, "after DeleteDBInstance AWS keeps the instance \"deleting\" for minutes and then answers DBInstanceNotFound; moto skips the deleting state. credstage treats both as gone", "11:*"),
	}
}
