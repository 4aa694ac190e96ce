package iampolicy

// CLIOptions narrow the CLI's policy; the zero value is the shipped
// deploy/iam/credstage-cli-policy.json.
type CLIOptions struct {
	Scope
	// SecretPrefixes are the names the application secrets begin with
	// (--secret-prefix); none: every secret.
	SecretPrefixes []string
}

// CLI is the identity policy of the people and jobs that run the
// credstage CLI. It reads no secret value: everything secret is the
// worker's to read.
func CLI(o CLIOptions) (Document, error) {
	if err := o.validate(); err != nil {
		return Document{}, err
	}
	prefixes, err := validPrefixes("--secret-prefix", o.SecretPrefixes)
	if err != nil {
		return Document{}, err
	}
	return document(cliGrants(o, prefixes)), nil
}

// cliGrants are the CLI's statements: the calls in internal/cli and
// internal/plan.
func cliGrants(o CLIOptions, prefixes []string) []grant {
	return []grant{
		{sid: "DescribePlanTargets", resources: append(o.secrets(prefixes...), o.secrets(rdsMasterPrefix)...), actions: []action{
			// plan validate and rotate check that every target exists;
			// rollback reads the labels. Targets include RDS's master
			// secrets (the rds-managed-master strategy).
			{name: "secretsmanager:DescribeSecret"},
			// credstage history finds batched and expired rotations through
			// the versions their tokens name; credstage report reads the
			// creation date of each managed secret's AWSCURRENT (never its value).
			{name: "secretsmanager:ListSecretVersionIds"},
		}},
		{sid: "ResolvePlanSelectors", resources: Values{"*"}, actions: []action{
			// A stage's selector (tags, name prefix) lists secrets, and
			// credstage report the managed ones; ListSecrets has no
			// resource to narrow to.
			{name: "secretsmanager:ListSecrets"},
		}},
		{sid: "PasswordHandover", resources: o.secrets(HandoverPrefix), actions: []action{
			// provision --password-stdin hands an adopted role's password to
			// the worker through a short-lived secret ...
			{name: "secretsmanager:CreateSecret"},
			// ... tagged credstage:handover in the create call ...
			{name: "secretsmanager:TagResource", by: "secretsmanager:CreateSecret"},
			// ... and deletes it when the server refused the start.
			{name: "secretsmanager:DeleteSecret"},
		}},
		{sid: "ReadMetrics", resources: Values{"*"}, actions: []action{
			// credstage metrics lists the namespace's metrics and reads them;
			// CloudWatch's permissions reference names "*" as their resource.
			{name: "cloudwatch:ListMetrics"},
			{name: "cloudwatch:GetMetricData"},
			// credstage alarms apply compares, and alarms list shows, the
			// alarms' state.
			{name: "cloudwatch:DescribeAlarms"},
		}},
		{sid: "KeepAlarms", resources: Values{o.arn("cloudwatch", "alarm:*")}, actions: []action{
			// credstage alarms apply creates or updates credstage's alarms
			// (internal/alarms) ...
			{name: "cloudwatch:PutMetricAlarm"},
			// ... tagged in the same call.
			{name: "cloudwatch:TagResource", by: "cloudwatch:PutMetricAlarm"},
		}},
		{sid: "ApplyDashboard", resources: Values{"arn:aws:cloudwatch::" + o.account() + ":dashboard/*"}, actions: []action{
			// credstage dashboard apply reads the dashboard, and writes it
			// only when its body would change. Dashboards are global: their
			// ARN has no Region.
			{name: "cloudwatch:GetDashboard"},
			{name: "cloudwatch:PutDashboard"},
		}},
		{sid: "AuditEventHistory", resources: Values{"*"}, actions: []action{
			// credstage audit reads who called what on each secret;
			// LookupEvents has no resource-level permissions.
			{name: "cloudtrail:LookupEvents"},
		}},
		{sid: "AuditReaders", resources: o.secrets(prefixes...), actions: []action{
			// ... and which readers a secret's resource policy names (a
			// policy credstage wrote leaves the CLI this metadata read).
			{name: "secretsmanager:GetResourcePolicy"},
		}},
	}
}
