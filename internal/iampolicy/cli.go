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
		}},
		{sid: "ResolvePlanSelectors", resources: Values{"*"}, actions: []action{
			// A stage's selector (tags, name prefix) lists secrets;
			// ListSecrets has no resource to narrow to.
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
		}},
		{sid: "AuditEventHistory", resources: Values{"*"}, actions: []action{
			// credstage audit reads who called what on each secret;
			// LookupEvents has no resource-level permissions.
			{name: "cloudtrail:LookupEvents"},
		}},
		{sid: "AuditReaders", resources: o.secrets(prefixes...), actions: []action{
			// ... and which readers a secret's resource policy names. A
			// policy credstage wrote denies the CLI all but DescribeSecret,
			// so there the audit notes the policy as unreadable (run it as
			// the break-glass principal to see its readers).
			{name: "secretsmanager:GetResourcePolicy"},
		}},
	}
}
