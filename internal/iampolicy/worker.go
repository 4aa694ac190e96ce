package iampolicy

// WorkerOptions narrow the worker's policy; the zero value is the
// shipped deploy/iam/credstage-worker-policy.json.
type WorkerOptions struct {
	Scope
	// SecretPrefixes are the names the application secrets begin with
	// (--secret-prefix); none: every secret. A master secret named by a
	// secret's masterarn that is not RDS's own must be under one too.
	SecretPrefixes []string
	// KMSKeys are customer managed keys that encrypt application or
	// master secrets (--kms-key).
	KMSKeys []string
	// ResourcePolicies: provisioning attaches resource policies to the
	// secrets it creates (--resource-policies).
	ResourcePolicies bool
}

// Worker is the worker's identity policy.
func Worker(o WorkerOptions) (Document, error) {
	if err := o.validate(); err != nil {
		return Document{}, err
	}
	prefixes, err := validPrefixes("--secret-prefix", o.SecretPrefixes)
	if err != nil {
		return Document{}, err
	}
	if err := validKeys(o.KMSKeys); err != nil {
		return Document{}, err
	}
	return document(workerGrants(o, prefixes)), nil
}

// workerGrants are the worker's statements: the calls in activities/
// (the SecretsManagerAPI, RDSAPI and CloudWatchAPI interfaces) and what
// AWS checks on their behalf.
func workerGrants(o WorkerOptions, prefixes []string) []grant {
	app := []action{
		// Provisioning writes each user's secret (activities/provision_secret.go).
		{name: "secretsmanager:CreateSecret"},
		// CreateSecret carries the tags, the run's mark among them: AWS
		// checks TagResource for tags given in a create call.
		{name: "secretsmanager:TagResource", by: "secretsmanager:CreateSecret"},
		// Compensation deletes the secrets its run created.
		{name: "secretsmanager:DeleteSecret"},
		// Labels, leases, tags and ownership are read from the metadata.
		{name: "secretsmanager:DescribeSecret"},
		// Every step reads AWSCURRENT or AWSPENDING.
		{name: "secretsmanager:GetSecretValue"},
		// The create step writes the pending version; leases are labels
		// written with it.
		{name: "secretsmanager:PutSecretValue"},
		// Promotion, rollback and leases move staging labels.
		{name: "secretsmanager:UpdateSecretVersionStage"},
		// Every rotation's outcome is kept in the secret's credstage:outcomes
		// tag (activities/outcomes.go).
		{name: "secretsmanager:TagResource"},
	}
	if o.ResourcePolicies {
		app = append(app,
			// A user's secret gets its resource policy right after it is
			// created (activities/provision_policy.go).
			action{name: "secretsmanager:PutResourcePolicy"},
			// A secret provisioning did not create this run is compared
			// with the policy credstage would write before anything is put.
			action{name: "secretsmanager:GetResourcePolicy"},
		)
	}
	grants := []grant{
		{sid: "ApplicationSecrets", actions: app, resources: o.secrets(prefixes...)},
		{sid: "PasswordHandover", resources: o.secrets(HandoverPrefix), actions: []action{
			// An adopted role's current password, handed over by the CLI, is
			// read once, then the handover is deleted (activities/provision_user.go,
			// dropHandover), after checking its tag.
			{name: "secretsmanager:GetSecretValue"},
			{name: "secretsmanager:DescribeSecret"},
			{name: "secretsmanager:DeleteSecret"},
		}},
		{sid: "ReadRdsManagedMasterSecrets", resources: o.secrets(rdsMasterPrefix), actions: []action{
			// The master logs in with the secret RDS keeps (activities/master.go), and
			// the rds-managed-master strategy watches its versions.
			{name: "secretsmanager:GetSecretValue"},
			{name: "secretsmanager:DescribeSecret"},
		}},
		{sid: "LetRdsManageMasterSecrets", resources: o.secrets(rdsMasterPrefix), actions: []action{
			// The RDS User Guide (Password management with Secrets Manager,
			// permissions): whoever asks for ManageMasterUserPassword needs
			// CreateSecret and TagResource, and whoever rotates the master
			// with ModifyDBInstance RotateMasterUserPassword needs
			// RotateSecret; RDS uses them on the caller's behalf.
			{name: "secretsmanager:CreateSecret", by: "rds:CreateDBInstance"},
			{name: "secretsmanager:TagResource", by: "rds:CreateDBInstance"},
			{name: "secretsmanager:RotateSecret", by: "rds:ModifyDBInstance"},
		}},
		{sid: "GeneratePasswords", resources: Values{"*"}, actions: []action{
			// Every new password comes from Secrets Manager, never a local
			// PRNG; GetRandomPassword has no resource to narrow to.
			{name: "secretsmanager:GetRandomPassword"},
		}},
		{sid: "ProvisionAndRotateInstances", resources: Values{o.arn("rds", "db:*")}, actions: []action{
			{name: "rds:CreateDBInstance"},
			// RDS checks AddTagsToResource for the tags of CreateDBInstance
			// (the environment and the run's mark).
			{name: "rds:AddTagsToResource", by: "rds:CreateDBInstance"},
			// Compensation deletes the instance its run created.
			{name: "rds:DeleteDBInstance"},
			// The instance watch describes the instances waited on with a
			// db-instance-id filter, and masters are found by endpoint in an
			// unfiltered listing: RDS authorises both on db:*.
			{name: "rds:DescribeDBInstances"},
			// The rds-managed-master strategy asks RDS to rotate its master.
			{name: "rds:ModifyDBInstance"},
		}},
		{sid: "CreateInstancesInDefaultGroups", actions: []action{{name: "rds:CreateDBInstance"}},
			// CreateDBInstance is authorised on the option group, parameter
			// group and subnet group the instance gets too; credstage names
			// none, so RDS's defaults (RDS User Guide, identity-based policy
			// examples).
			resources: Values{o.arn("rds", "og:default*"), o.arn("rds", "pg:default*"), o.arn("rds", "subgrp:default")}},
		{sid: "DescribeMasterSecretKeys", resources: Values{o.arn("kms", "key/*")}, actions: []action{
			// Whoever asks for ManageMasterUserPassword needs DescribeKey on
			// the key of the master secret (aws/secretsmanager unless named),
			// whose id is not known in advance. It reads key metadata only.
			{name: "kms:DescribeKey", by: "rds:CreateDBInstance"},
		}},
		{sid: "InventoryReadsVersionDates", resources: append(o.secrets(prefixes...), o.secrets(rdsMasterPrefix)...), actions: []action{
			// The inventory reads the creation date of each managed
			// secret's AWSCURRENT version (internal/inventory), never
			// its value; plans may name RDS's master secrets.
			{name: "secretsmanager:ListSecretVersionIds"},
		}},
		{sid: "InventoryListsManagedSecrets", resources: Values{"*"}, actions: []action{
			// The inventory lists the secrets tagged credstage:managed;
			// ListSecrets has no resource to narrow to.
			{name: "secretsmanager:ListSecrets"},
		}},
		{sid: "PublishMetricsAndReadAlarms", resources: Values{"*"}, actions: []action{
			// Metrics of every rotation and provisioning; CloudWatch's
			// permissions reference names "*" as their resource.
			{name: "cloudwatch:PutMetricData"},
			// Alarm validators must not find their alarm in ALARM.
			{name: "cloudwatch:DescribeAlarms"},
		}},
	}
	if len(o.KMSKeys) > 0 {
		// Secrets Manager uses a secret's customer managed key on the
		// caller's behalf: Decrypt for GetSecretValue (and PutSecretValue
		// over an existing version), GenerateDataKey for PutSecretValue
		// and CreateSecret (Secrets Manager User Guide, secret encryption).
		// kms:CreateGrant, which RDS documents for whoever names a
		// customer key for the master secret, is not granted: credstage
		// never names one.
		grants = append(grants, grant{sid: "UseCustomerKeysThroughSecretsManager", resources: Values(o.KMSKeys),
			condition: o.viaService("secretsmanager"), actions: []action{
				{name: "kms:Decrypt", by: "secretsmanager:GetSecretValue"},
				{name: "kms:GenerateDataKey", by: "secretsmanager:PutSecretValue"},
			}})
	}
	return grants
}
