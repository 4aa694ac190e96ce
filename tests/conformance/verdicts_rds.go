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
		v(lc, motoWrong, "per AWS's documentation: the managed master secret holds the instance's master user name (\"username\": MasterUsername, RDS user guide 'Password management with Secrets Manager'); moto writes \"admin\" whatever MasterUsername was (the password's length, 32 vs 9, is not documented)", "3:ok.SecretString"),
		v(lc, irrelevant, "the DBInstanceStatus in ModifyDBInstance's own answer is not documented (AWS usually answers \"available\" and turns to \"resetting-master-credentials\" right after); credstage polls DescribeDBInstances", "7:ok.DBInstance.DBInstanceStatus"),
		v(lc, motoWrong, "per AWS's documentation: DeleteDBInstance needs FinalDBSnapshotIdentifier unless SkipFinalSnapshot is turned on (API reference: \"the FinalDBSnapshotIdentifier parameter must be specified\"), InvalidParameterCombination; moto deletes", "9:*"),
		v(lc, motoWrong, "a consequence of step 9: AWS refuses a DeleteDBInstance without FinalDBSnapshotIdentifier or SkipFinalSnapshot, as localaws does, so step 10 is the first real delete and succeeds; moto deleted at step 9 and answers DBInstanceNotFound", "10:*"),
		v(lc, irrelevant, "after DeleteDBInstance AWS keeps the instance \"deleting\" for minutes and then answers DBInstanceNotFound; moto skips the deleting state. credstage treats both as gone", "11:*"),
	}
}
