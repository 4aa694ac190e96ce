package workflows

import (
	"time"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/engine"
)

// Plan is a staged rotation: stages run in order, each only after the one
// before succeeded (and baked, and was approved when asked).
type Plan struct {
	Name             string `json:"name"`
	MetricsNamespace string `json:"metricsNamespace,omitempty"`
	// OutageBudget is how long each rotation step waits out a database
	// that cannot be reached (a reboot, a failover) before it fails; 0 is
	// engine.DefaultOutageBudget. Every stage uses it.
	OutageBudget time.Duration `json:"outageBudget,omitempty"`
	Stages       []Stage       `json:"stages"`
}

// Stage is one environment's part of a plan.
type Stage struct {
	// Name is the environment (staging, production): the Environment
	// dimension of metrics and the CredstageEnvironment search attribute.
	Name       string                 `json:"name"`
	Targets    []Target               `json:"targets"`
	Validators []activities.Validator `json:"validators,omitempty"`
	// MaxParallel bounds how many targets rotate at once (default 4).
	MaxParallel int `json:"maxParallel,omitempty"`
	// Bake is a durable wait after the stage succeeds, before the next.
	Bake time.Duration `json:"bake,omitempty"`
	// RequireApproval makes the stage wait for the approve update (or
	// abort) before it starts.
	RequireApproval bool `json:"requireApproval,omitempty"`
	// StepTimeout bounds each rotation step of the stage's targets,
	// retries of transient failures included: once it has passed, the
	// target rolls back. 0 keeps the defaults (see RotateSecretInput).
	StepTimeout time.Duration `json:"stepTimeout,omitempty"`
	// BatchSize says how the stage rotates its targets (see batch.go):
	// BatchSizeAuto (0) gives one RotateSecret child per target to a
	// stage of at most AutoBatchThreshold targets and batches of
	// DefaultBatchSize to a larger one; BatchSizeNever (-1) always one
	// child per target; n > 0 batches of n. RDS-managed master targets
	// always get a child of their own.
	BatchSize int `json:"batchSize,omitempty"`
	// Drain is what an alternating-users rotation does when clients still
	// log in as the role it is about to change (nil: warn).
	Drain *activities.Drain `json:"drain,omitempty"`
	// MaxAge is how old the stage's secrets may grow before the inventory
	// counts them overdue (0: no limit). The rotation ignores it: the
	// inventory reads it from the plans of credstage's schedules.
	MaxAge time.Duration `json:"maxAge,omitempty"`
}

// drainWait is how long the stage's set steps may wait for consumers.
func (st Stage) drainWait() time.Duration {
	return drainWait(st.Drain)
}

func drainWait(d *activities.Drain) time.Duration {
	if d == nil || d.Mode != activities.DrainWait {
		return 0
	}
	return engine.DrainTimeout(d.Timeout)
}

// Target is one secret to rotate.
type Target struct {
	SecretID string                `json:"secretId"`
	Strategy activities.Strategy   `json:"strategy"`
	Probes   []activities.SQLProbe `json:"probes,omitempty"`
}

// StagedRotationInput starts a StagedRotation.
type StagedRotationInput struct {
	Plan Plan `json:"plan"`
	// Resume carries state across continue-as-new; nil on a fresh start.
	Resume *StagedRotationResume `json:"resume,omitempty"`
}

// StagedRotationResume is the state a continued run picks up.
type StagedRotationResume struct {
	NextStage int       `json:"nextStage"`
	Progress  Progress  `json:"progress"`
	Started   time.Time `json:"started"`
	// Summary: the outcomes of the stages before NextStage, which runs of
	// earlier releases handed over; no longer written (resumeInput).
	Summary []TargetOutcome `json:"summary,omitempty"`
}

// StagedRotationResult is the readable summary of a run (also its memo).
type StagedRotationResult struct {
	Plan       string          `json:"plan"`
	Status     string          `json:"status"`
	Stages     []StageProgress `json:"stages"`
	DurationMS int64           `json:"durationMs"`
	Summary    string          `json:"summary"`
}

// RotateSecretInput starts a RotateSecret for one secret.
type RotateSecretInput struct {
	Target      Target                 `json:"target"`
	Environment string                 `json:"environment"`
	Validators  []activities.Validator `json:"validators,omitempty"`
	// PublishMetrics makes the workflow publish its own metrics; a parent
	// that batches metrics for a whole stage leaves it false.
	PublishMetrics   bool   `json:"publishMetrics,omitempty"`
	MetricsNamespace string `json:"metricsNamespace,omitempty"`
	// StepTimeout bounds each step, retries of transient failures
	// (throttling, 5xx, timeouts) included, before the rotation gives up
	// and rolls back. 0 keeps the defaults: 10 minutes for create, set,
	// test and promote, at least 10 for verify, an hour for an
	// RDS-managed master. Rollback always keeps its own, longer budget.
	StepTimeout time.Duration `json:"stepTimeout,omitempty"`
	// OutageBudget: see Plan.OutageBudget.
	OutageBudget time.Duration `json:"outageBudget,omitempty"`
	// Drain: see Stage.Drain.
	Drain *activities.Drain `json:"drain,omitempty"`
}

// TargetOutcome is how one secret's rotation ended.
type TargetOutcome struct {
	SecretID          string              `json:"secretId"`
	Environment       string              `json:"environment"`
	Strategy          activities.Strategy `json:"strategy"`
	Status            string              `json:"status"` // succeeded, failed, rolled-back, promoted-unverified
	LastStep          string              `json:"lastStep"`
	VersionID         string              `json:"versionId,omitempty"`
	PreviousVersionID string              `json:"previousVersionId,omitempty"`
	// OriginalPreviousVersionID is the version AWSPREVIOUS was on before
	// the rotation ("" when none), known when PreviousKnown: a rollback
	// of the promoted rotation puts AWSPREVIOUS back there.
	OriginalPreviousVersionID string `json:"originalPreviousVersionId,omitempty"`
	PreviousKnown             bool   `json:"previousKnown,omitempty"`
	Promoted                  bool   `json:"promoted,omitempty"`
	ValidationFailed          bool   `json:"validationFailed,omitempty"`
	// StaleCleared is the version id of an AWSPENDING left by an earlier,
	// crashed rotation that the create step removed first.
	StaleCleared string `json:"staleCleared,omitempty"`
	// Drain is what the consumer drain check found before set
	// (alternating users): clients still logging in as the old role.
	Drain      *activities.DrainReport `json:"drain,omitempty"`
	Error      string                  `json:"error,omitempty"`
	ErrorType  string                  `json:"errorType,omitempty"`
	DurationMS int64                   `json:"durationMs"`
}

// RollbackSecretInput undoes a completed rotation of one secret: back to
// AWSPREVIOUS (labels, and the database password for single-user).
type RollbackSecretInput struct {
	SecretID string              `json:"secretId"`
	Strategy activities.Strategy `json:"strategy"`
	// ExpectCurrentVersionID guards against undoing someone else's change.
	ExpectCurrentVersionID string `json:"expectCurrentVersionId,omitempty"`
	Environment            string `json:"environment,omitempty"`
	Reason                 string `json:"reason,omitempty"`
	// SkipMetrics is set by StagedRotation, which counts the rollback in
	// its own batch for the stage.
	SkipMetrics bool `json:"skipMetrics,omitempty"`
	// PreviousVersionID, with RestorePrevious, is where AWSPREVIOUS was
	// before the rotation being undone ("" when there was none): a
	// stage's rollback of a rotation it just made leaves AWSPREVIOUS
	// there, not on the rejected version.
	PreviousVersionID string `json:"previousVersionId,omitempty"`
	RestorePrevious   bool   `json:"restorePrevious,omitempty"`
}

// ProvisionDatabaseResult names what was created or adopted.
type ProvisionDatabaseResult struct {
	Instance   activities.InstanceInfo    `json:"instance"`
	Users      []activities.AppUserResult `json:"users"`
	DurationMS int64                      `json:"durationMs"`
	// Adopted: the instance existed (Outcome says whether credstage made
	// it in an earlier run or it was adopted).
	Adopted bool               `json:"adopted,omitempty"`
	Outcome activities.Outcome `json:"outcome,omitempty"`
	// Changed is false when the run found everything in place and changed
	// nothing: a re-run of a successful provisioning.
	Changed bool `json:"changed"`
}

// Progress is the answer to the progress query.
type Progress struct {
	Plan         string          `json:"plan"`
	Status       string          `json:"status"`
	CurrentStage string          `json:"currentStage,omitempty"`
	Stages       []StageProgress `json:"stages"`
}

// StageProgress is one stage's state and its targets.
type StageProgress struct {
	Name       string    `json:"name"`
	Status     string    `json:"status"`
	StartedAt  time.Time `json:"startedAt,omitzero"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	BakeUntil  time.Time `json:"bakeUntil,omitzero"`
	// Consumers are the samples taken while the stage baked
	// (staged_consumers.go).
	Consumers []ConsumerSample `json:"consumers,omitempty"`
	Targets   []TargetProgress `json:"targets"`
}

// TargetProgress is one target's state within its stage.
type TargetProgress struct {
	SecretID string `json:"secretId"`
	Step     string `json:"step,omitempty"`
	Status   string `json:"status"`
	Error    string `json:"error,omitempty"`
	// StaleCleared: see TargetOutcome.
	StaleCleared string `json:"staleCleared,omitempty"`
	// Drain: see TargetOutcome.
	Drain *activities.DrainReport `json:"drain,omitempty"`
}

// ApproveInput and AbortInput are the update arguments.
type ApproveInput struct {
	Stage    string `json:"stage,omitempty"` // optional guard: the stage being approved
	Approver string `json:"approver,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

type AbortInput struct {
	Reason string `json:"reason,omitempty"`
	By     string `json:"by,omitempty"`
}
