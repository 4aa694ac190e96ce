package engine

// Step names, in the order a rotation runs them, as progress, outcomes,
// logs and metrics show them.
const (
	StepCreate   = "create"
	StepSet      = "set"
	StepTest     = "test"
	StepPromote  = "promote"
	StepVerify   = "verify"
	StepRollback = "rollback"
)

// Statuses of a run, a stage and one target (the CredstageStatus search
// attribute, progress, outcomes and the batch activities' results).
const (
	StatusPending          = "pending"
	StatusRunning          = "running"
	StatusAwaitingApproval = "awaiting-approval"
	StatusBaking           = "baking"
	StatusSucceeded        = "succeeded"
	StatusFailed           = "failed"
	StatusRolledBack       = "rolled-back"
	StatusAborted          = "aborted"
	StatusSkipped          = "skipped"
	// StatusPromotedUnverified: the new version is AWSCURRENT and the
	// database holds its password (the test step proved it with a fresh
	// login), but the database stayed unreachable for longer than the
	// outage budget after promotion, so verify could not run. Rolling back
	// into a database that cannot be reached would be worse: the run
	// leaves the secret promoted and says so.
	StatusPromotedUnverified = "promoted-unverified"
)

// Metric names (namespace Credstage unless configured).
const (
	MetricRotationSucceeded  = "RotationSucceeded"
	MetricRotationFailed     = "RotationFailed"
	MetricRotationRolledBack = "RotationRolledBack"
	MetricRotationUnverified = "RotationPromotedUnverified"
	MetricRotationDuration   = "RotationDuration"
	MetricValidationFailed   = "ValidationFailed"
	MetricStageDuration      = "StageDuration"
	MetricProvisionSucceeded = "ProvisionSucceeded"
	MetricProvisionFailed    = "ProvisionFailed"
	MetricProvisionDuration  = "ProvisionDuration"
	MetricPreviousRevoked    = "PreviousRevoked"
	MetricRevokeFailed       = "RevokeFailed"

	// The inventory's series (README.md, "Secret age and the inventory"): per Environment the
	// age in seconds of the oldest AWSCURRENT among the managed secrets,
	// how many are overdue (older than their maxAge) and how many there
	// are; SecretAge per secret only when asked for.
	MetricOldestSecretAge = "OldestSecretAge"
	MetricOverdueSecrets  = "OverdueSecrets"
	MetricManagedSecrets  = "ManagedSecrets"
	MetricSecretAge       = "SecretAge"
)

// Tags credstage puts on the secrets (and instances, alarms) it creates
// and manages: the mark, the environment, and a secret's strategy.
const (
	TagManaged     = "credstage:managed"
	TagEnvironment = "Environment"
	TagStrategy    = "credstage:strategy"
)

// Metric dimensions. Every per-secret or per-instance series has a roll-up
// beside it with DimEnvironment alone, because a CloudWatch alarm watches
// one series and never aggregates across dimensions.
const (
	DimEnvironment  = "Environment"
	DimSecretName   = "SecretName"
	DimDBInstanceID = "DBInstanceIdentifier"
)

// ErrDatabaseOutage is the error type of a step that gave up after the
// database stayed unreachable (refused, timed out, restarting, read-only
// after a failover) for longer than the outage budget. Such a step may
// have acted before the outage began (see MayHaveActed).
const ErrDatabaseOutage = "DatabaseOutage"
