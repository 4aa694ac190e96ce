package activities

import (
	"time"

	"github.com/credstage/credstage/engine"
	"github.com/credstage/credstage/internal/iampolicy"
)

// Strategy is how a secret's credentials are rotated.
type Strategy string

const (
	// StrategySingleUser changes the password of the one role the secret
	// names. Connections already open keep working; new logins with the old
	// password fail from the moment of the change until clients re-read the
	// secret, which is why applications refresh on authentication failure.
	StrategySingleUser Strategy = "single-user"
	// StrategyAlternatingUsers flips between role `name` and `name_clone`,
	// so the credentials in AWSCURRENT keep working during the whole
	// rotation: the new password goes to the role that is not in use.
	StrategyAlternatingUsers Strategy = "alternating-users"
	// StrategyManagedMaster rotates an RDS-managed master secret through
	// ModifyDBInstance RotateMasterUserPassword: RDS sets the password.
	StrategyManagedMaster Strategy = "rds-managed-master"
)

// Valid reports whether s is a strategy credstage knows.
func (s Strategy) Valid() bool {
	switch s {
	case StrategySingleUser, StrategyAlternatingUsers, StrategyManagedMaster:
		return true
	}
	return false
}

// Step names, as shown in progress and metrics: the engine's.
const (
	StepCreate   = engine.StepCreate
	StepSet      = engine.StepSet
	StepTest     = engine.StepTest
	StepPromote  = engine.StepPromote
	StepVerify   = engine.StepVerify
	StepRollback = engine.StepRollback
)

// SQLProbe is a query run over a login; when Expect is set the first column
// of the first row, as text, must equal it.
type SQLProbe struct {
	Name   string `json:"name,omitempty" yaml:"name,omitempty"`
	Query  string `json:"query" yaml:"query"`
	Expect string `json:"expect,omitempty" yaml:"expect,omitempty"`
}

// HTTPCheck is a health URL that must answer ExpectStatus (default 200) and,
// when BodyContains is set, a body containing it.
type HTTPCheck struct {
	URL          string `json:"url" yaml:"url"`
	ExpectStatus int    `json:"expectStatus,omitempty" yaml:"expectStatus,omitempty"`
	BodyContains string `json:"bodyContains,omitempty" yaml:"bodyContains,omitempty"`
}

// AlarmCheck is a CloudWatch alarm that must not be in ALARM.
type AlarmCheck struct {
	AlarmName string `json:"alarmName" yaml:"alarmName"`
}

// Validator is one post-promotion check of a stage. Exactly one of SQL,
// HTTP and Alarm is set.
type Validator struct {
	Name    string        `json:"name"`
	SQL     *SQLProbe     `json:"sql,omitempty"`
	HTTP    *HTTPCheck    `json:"http,omitempty"`
	Alarm   *AlarmCheck   `json:"alarm,omitempty"`
	Timeout time.Duration `json:"timeout,omitempty"` // default 10s
}

// RotationStep names one secret's rotation: everything a step needs, and
// never a password. Token is the VersionId of the new secret version, fixed
// when the rotation starts, so every step can be repeated safely.
type RotationStep struct {
	SecretID    string     `json:"secretId"`
	Token       string     `json:"token"`
	Strategy    Strategy   `json:"strategy"`
	Environment string     `json:"environment,omitempty"`
	Probes      []SQLProbe `json:"probes,omitempty"`
	// OutageBudget is how long the step waits out an unreachable database
	// before it fails (default engine.DefaultOutageBudget).
	OutageBudget time.Duration `json:"outageBudget,omitempty"`
	// Drain is the stage's consumer drain policy (alternating users; nil
	// is warn).
	Drain *Drain `json:"drain,omitempty"`
}

// CreateResult is what the create step found and did.
type CreateResult struct {
	SecretARN string `json:"secretArn"`
	// CurrentVersionID is the AWSCURRENT version when the rotation began:
	// the version a rollback returns to.
	CurrentVersionID string `json:"currentVersionId"`
	// PreviousVersionID is the AWSPREVIOUS version when the rotation
	// began: promotion moves AWSPREVIOUS off it, so a rollback must put
	// it back (once unlabelled, DescribeSecret no longer lists it).
	PreviousVersionID string `json:"previousVersionId,omitempty"`
	// PreviousKnown: PreviousVersionID is what AWSPREVIOUS was when the
	// rotation began ("" when there was none). False when the create step
	// first ran after promotion (a repeat), when it can no longer be seen.
	PreviousKnown bool `json:"previousKnown,omitempty"`
	// Username is the role the pending version logs in as.
	Username string `json:"username"`
	// AlreadyPending is true when the token's version already held
	// AWSPENDING (a repeated step).
	AlreadyPending bool `json:"alreadyPending,omitempty"`
	// StaleCleared is the version id of an AWSPENDING left by an earlier
	// crashed run that was removed first, if any.
	StaleCleared string `json:"staleCleared,omitempty"`
}

// SetResult is what the set step did in the database.
type SetResult struct {
	Username    string `json:"username"`
	AlreadySet  bool   `json:"alreadySet,omitempty"`
	CreatedRole bool   `json:"createdRole,omitempty"`
	// Drain is what the consumer drain check found (alternating users).
	Drain *DrainReport `json:"drain,omitempty"`
}

// TestResult lists the probes that passed over a fresh login with the
// pending credentials.
type TestResult struct {
	Username string   `json:"username"`
	Probes   []string `json:"probes"`
}

// PromoteInput moves AWSCURRENT from CurrentVersionID to the token.
type PromoteInput struct {
	Step             RotationStep `json:"step"`
	CurrentVersionID string       `json:"currentVersionId"`
}

// PromoteResult is the version that became AWSPREVIOUS.
type PromoteResult struct {
	PreviousVersionID string `json:"previousVersionId"`
	AlreadyPromoted   bool   `json:"alreadyPromoted,omitempty"`
}

// VerifyInput is the consumer-side check after promotion: a login through
// AWSCURRENT as an application would, then the stage's validators.
type VerifyInput struct {
	SecretID    string      `json:"secretId"`
	Environment string      `json:"environment,omitempty"`
	Validators  []Validator `json:"validators,omitempty"`
	// OutageBudget: see RotationStep.
	OutageBudget time.Duration `json:"outageBudget,omitempty"`
}

// CheckResult is one validator's outcome (never a secret value).
type CheckResult struct {
	Name     string  `json:"name"`
	Passed   bool    `json:"passed"`
	Detail   string  `json:"detail,omitempty"`
	Duration float64 `json:"durationMs"`
}

// VerifyResult lists every check that ran.
type VerifyResult struct {
	Checks []CheckResult `json:"checks"`
}

// RollbackInput says what a rotation did, so rollback undoes exactly that,
// in reverse. Every field comes from earlier step results.
type RollbackInput struct {
	Step RotationStep `json:"step"`
	// CurrentVersionID is the version that was AWSCURRENT before the
	// rotation; empty if the create step never read it.
	CurrentVersionID string `json:"currentVersionId,omitempty"`
	// PreviousVersionID is the version that was AWSPREVIOUS before the
	// rotation ("" when there was none). With RestorePrevious, undoing a
	// promotion puts AWSPREVIOUS back exactly there; without it (a run
	// that did not record it) AWSPREVIOUS stays where Secrets Manager
	// moved it, on the rejected version.
	PreviousVersionID string `json:"previousVersionId,omitempty"`
	RestorePrevious   bool   `json:"restorePrevious,omitempty"`
	PasswordSet       bool   `json:"passwordSet,omitempty"`
	Promoted          bool   `json:"promoted,omitempty"`
}

// RollbackResult says what rollback changed.
type RollbackResult struct {
	RemovedPending    bool   `json:"removedPending,omitempty"`
	RestoredPassword  bool   `json:"restoredPassword,omitempty"`
	RestoredCurrent   bool   `json:"restoredCurrent,omitempty"`
	RestoredPrevious  bool   `json:"restoredPrevious,omitempty"`
	CurrentVersionID  string `json:"currentVersionId"`
	CurrentLoginCheck bool   `json:"currentLoginCheck"`
}

// RestoreInput asks an on-demand rollback of a completed rotation: the
// secret goes back to its AWSPREVIOUS version. When ExpectCurrentVersionID
// is set and AWSCURRENT is elsewhere, nothing changes (someone else moved
// it: refuse rather than undo their work).
type RestoreInput struct {
	SecretID               string   `json:"secretId"`
	Strategy               Strategy `json:"strategy"`
	ExpectCurrentVersionID string   `json:"expectCurrentVersionId,omitempty"`
	// PreviousVersionID, with RestorePrevious: once AWSCURRENT is back,
	// AWSPREVIOUS goes there ("" removes it) instead of staying on the
	// version just replaced, which a stage is rolling back as rejected.
	PreviousVersionID string `json:"previousVersionId,omitempty"`
	RestorePrevious   bool   `json:"restorePrevious,omitempty"`
}

// RestoreResult is the version restored and the one it replaced.
type RestoreResult struct {
	RestoredVersionID string `json:"restoredVersionId"`
	ReplacedVersionID string `json:"replacedVersionId"`
	AlreadyRestored   bool   `json:"alreadyRestored,omitempty"`
}

// ManagedMasterInput names a DB instance whose RDS-managed master secret is
// rotated by RDS itself.
type ManagedMasterInput struct {
	// DBInstanceIdentifier names the instance; when empty, SecretID (the
	// managed secret's name or ARN, as plans list it) is resolved to its
	// instance through the secret's aws:rds:primaryDBInstanceArn tag.
	DBInstanceIdentifier string `json:"dbInstanceIdentifier,omitempty"`
	SecretID             string `json:"secretId,omitempty"`
	// PreviousVersionID is AWSCURRENT of the master secret before the
	// request, so the wait knows when RDS has moved it.
	PreviousVersionID string        `json:"previousVersionId,omitempty"`
	MinDelay          time.Duration `json:"minDelay,omitempty"`
	MaxDelay          time.Duration `json:"maxDelay,omitempty"`
}

// ManagedMasterResult reports the master secret's versions.
type ManagedMasterResult struct {
	SecretARN         string `json:"secretArn"`
	PreviousVersionID string `json:"previousVersionId"`
	CurrentVersionID  string `json:"currentVersionId"`
}

// MetricDatum is one CloudWatch datum credstage publishes (README.md, Metrics).
// Dimensions are ordered name/value pairs so the value is deterministic in
// workflow code.
type MetricDatum struct {
	Name       string      `json:"name"`
	Value      float64     `json:"value"`
	Unit       string      `json:"unit"` // Count or Milliseconds
	Dimensions []Dimension `json:"dimensions"`
	Timestamp  time.Time   `json:"timestamp"`
}

// Dimension is a CloudWatch dimension.
type Dimension struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// PublishInput is a batch of datums for one namespace, and the outcomes
// of the rotations they count, to record on their secrets.
type PublishInput struct {
	Namespace string          `json:"namespace"`
	Datums    []MetricDatum   `json:"datums"`
	Outcomes  []SecretOutcome `json:"outcomes,omitempty"`
}

// SecretOutcome is how one rotation of a secret ended, recorded in the
// secret's engine.TagOutcomes tag.
type SecretOutcome struct {
	SecretID  string    `json:"secretId"`
	VersionID string    `json:"versionId,omitempty"`
	Status    string    `json:"status"`
	Time      time.Time `json:"time"`
}

// PublishResult counts what was published and what was dropped after
// retries, and the outcomes recorded and not; a metrics outage never
// fails a rotation.
type PublishResult struct {
	Published   int    `json:"published"`
	Failed      int    `json:"failed"`
	LastError   string `json:"lastError,omitempty"`
	Recorded    int    `json:"recorded,omitempty"`
	NotRecorded int    `json:"notRecorded,omitempty"`
}

// ProvisionRequest describes one RDS PostgreSQL instance and its users.
type ProvisionRequest struct {
	Identifier       string            `json:"identifier"`
	Environment      string            `json:"environment"`
	InstanceClass    string            `json:"instanceClass,omitempty"`    // default db.t4g.micro
	AllocatedStorage int32             `json:"allocatedStorage,omitempty"` // GiB, default 20
	DBName           string            `json:"dbName"`
	MasterUsername   string            `json:"masterUsername,omitempty"` // default postgres
	EngineVersion    string            `json:"engineVersion,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	Users            []AppUser         `json:"users"`
	// AdoptInstance lets provisioning use an existing instance that
	// credstage did not create (no credstage mark). It is still checked
	// (engine, database name, master settings, environment tag) and is
	// never changed or deleted.
	AdoptInstance bool `json:"adoptInstance,omitempty"`
	// Run is the provisioning run's mark (docs/architecture.md,
	// "Provisioning and ownership"), set by the workflow: what carries it
	// is this run's to delete. Empty for runs that started before marks.
	Run string `json:"run,omitempty"`
	// WaitMinDelay and WaitMaxDelay bound the availability poll (the SDK
	// waiter's backoff with a shorter floor). Defaults 2s and 30s.
	WaitMinDelay time.Duration `json:"waitMinDelay,omitempty"`
	WaitMaxDelay time.Duration `json:"waitMaxDelay,omitempty"`
}

// AppUser is an application role and the secret that holds its credentials.
type AppUser struct {
	Name       string   `json:"name"`
	Strategy   Strategy `json:"strategy"`             // single-user or alternating-users
	SecretName string   `json:"secretName,omitempty"` // default <env>/<identifier>/<name>
	// Grants are privileges on the database: "CONNECT" (always given),
	// "readonly" (SELECT on the tables and views of schema public),
	// "readwrite" (plus INSERT, UPDATE, DELETE, and USAGE, SELECT on its
	// sequences), "create" (CREATE on schema public). They cover what the
	// master can grant now and what it creates later; see ensureGrants.
	Grants []string `json:"grants,omitempty"`
	// Adopt lets provisioning use an existing role of this name (and its
	// clone) and an existing secret at SecretName that credstage did not
	// create. An adopted role keeps its password and privileges: its
	// current password comes from that secret, or from PasswordFrom, and
	// must log in before credstage writes anything.
	Adopt bool `json:"adopt,omitempty"`
	// PasswordFrom names a secret holding an adopted role's current
	// password (a "password" key of a JSON object, or the whole string):
	// the CLI's handover of --password-stdin. A handover secret (tagged
	// credstage:handover) is deleted once read into the user's secret.
	PasswordFrom string `json:"passwordFrom,omitempty"`
	// Access, when set, is who may use the user's secret: provisioning
	// attaches the resource policy it makes (iampolicy.SecretAccess.Policy)
	// right after creating the secret (provision_policy.go).
	Access *iampolicy.SecretAccess `json:"access,omitempty"`
}

// Outcome says what provisioning did with an instance, a secret or a
// role.
type Outcome string

const (
	// OutcomeCreated: this run created it; its compensation may delete it.
	OutcomeCreated Outcome = "created"
	// OutcomeExisting: an earlier credstage provisioning created it; it
	// was used as it is.
	OutcomeExisting Outcome = "existing"
	// OutcomeAdopted: it existed without credstage's mark and was adopted
	// explicitly; credstage neither changed nor will delete it.
	OutcomeAdopted Outcome = "adopted"
)

// InstanceInfo is what provisioning learns about an available instance.
type InstanceInfo struct {
	Identifier      string `json:"identifier"`
	ARN             string `json:"arn"`
	Address         string `json:"address"`
	Port            int32  `json:"port"`
	DBName          string `json:"dbName"`
	MasterUsername  string `json:"masterUsername"`
	MasterSecretARN string `json:"masterSecretArn"`
	Status          string `json:"status"`
}

// CreateInstanceResult is the first provisioning step's: Outcome says
// whether this run created the instance, found an earlier provisioning's,
// or adopted one credstage did not create.
type CreateInstanceResult struct {
	ARN string `json:"arn"`
	// Adopted: the instance is not this run's to delete (Outcome is
	// existing or adopted).
	Adopted bool    `json:"adopted,omitempty"`
	Outcome Outcome `json:"outcome,omitempty"`
}

// WaitInstanceInput polls DescribeDBInstances until the instance is
// available, heartbeating between polls.
type WaitInstanceInput struct {
	Identifier string        `json:"identifier"`
	MinDelay   time.Duration `json:"minDelay,omitempty"`
	MaxDelay   time.Duration `json:"maxDelay,omitempty"`
}

// AppUserInput creates (or adopts) one application user on an instance.
type AppUserInput struct {
	Instance    InstanceInfo      `json:"instance"`
	User        AppUser           `json:"user"`
	Environment string            `json:"environment"`
	Tags        map[string]string `json:"tags,omitempty"`
	// Run is the provisioning run's mark (ProvisionRequest.Run).
	Run string `json:"run,omitempty"`
}

// AppUserResult names the secret and the roles, and says what was done
// with each.
type AppUserResult struct {
	SecretARN  string   `json:"secretArn"`
	SecretName string   `json:"secretName"`
	Roles      []string `json:"roles"`
	// Adopted: nothing of this user is this run's to delete.
	Adopted bool `json:"adopted,omitempty"`
	// Secret and Role say what happened to the secret and the user's
	// role (the clone, if any, follows the role).
	Secret Outcome `json:"secret,omitempty"`
	Role   Outcome `json:"role,omitempty"`
	// Grants says what was granted, skipped and covered later.
	Grants GrantReport `json:"grants,omitempty"`
	// ResourcePolicy says what became of the secret's resource policy
	// when AppUser.Access asked for one; empty otherwise.
	ResourcePolicy PolicyOutcome `json:"resourcePolicy,omitempty"`
}

// PolicyOutcome says what provisioning did with a secret's resource
// policy.
type PolicyOutcome string

const (
	// PolicyAttached: the policy was put now.
	PolicyAttached PolicyOutcome = "attached"
	// PolicyInPlace: the secret already had exactly this policy.
	PolicyInPlace PolicyOutcome = "in-place"
	// PolicyLeft: an adopted secret has no policy or another one, and
	// adopting changes nothing: it is left as it is.
	PolicyLeft PolicyOutcome = "left"
)

// UndoResult says what a compensation deleted and what it left alone
// because this run had not made it.
type UndoResult struct {
	Deleted []string `json:"deleted,omitempty"`
	Kept    []string `json:"kept,omitempty"`
}

// LoginCheckInput asks for a fresh login with a secret's AWSCURRENT (or the
// given stage) credentials.
type LoginCheckInput struct {
	SecretID     string `json:"secretId"`
	VersionStage string `json:"versionStage,omitempty"`
}

// DeleteInstanceInput removes an instance (compensation of provisioning).
type DeleteInstanceInput struct {
	Identifier string `json:"identifier"`
	// Run is the provisioning run's mark: only an instance tagged with it
	// is deleted. Empty (runs from before marks): the credstage:managed
	// tag is enough.
	Run string `json:"run,omitempty"`
}
