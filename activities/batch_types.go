package activities

import (
	"time"

	"github.com/credstage/credstage/engine"
)

// Batched rotation (batch_rotate.go): the types of RotateBatch,
// RollbackBatch and FinishBatch. Like every activity type they carry ids,
// version ids, usernames and statuses, never a password.

// Statuses of one secret of a batch: the engine's, as for RotateSecret.
const (
	BatchSucceeded          = engine.StatusSucceeded
	BatchRolledBack         = engine.StatusRolledBack
	BatchFailed             = engine.StatusFailed
	BatchSkipped            = engine.StatusSkipped
	BatchPromotedUnverified = engine.StatusPromotedUnverified
)

// BatchTarget is one secret of a batch. Token is fixed by the workflow
// before the first attempt, so every attempt rotates to the same version.
type BatchTarget struct {
	SecretID string     `json:"secretId"`
	Token    string     `json:"token"`
	Strategy Strategy   `json:"strategy"`
	Probes   []SQLProbe `json:"probes,omitempty"`
	// LockID is the workflow ID RotateSecret and RollbackSecret take for
	// this secret (rotate/<name>): while such a run is open the batch
	// keeps away from the secret.
	LockID string `json:"lockId"`
}

// RotateBatchInput rotates a batch of one stage's secrets, each from
// create to verify, under a lease held by Holder (lease.go).
type RotateBatchInput struct {
	Holder      LeaseHolder   `json:"holder"`
	Environment string        `json:"environment,omitempty"`
	Targets     []BatchTarget `json:"targets"`
	Validators  []Validator   `json:"validators,omitempty"`
	// Concurrency is how many of the batch's secrets rotate at once
	// (default 1).
	Concurrency int `json:"concurrency,omitempty"`
	// StepTimeout bounds each step of one secret, retries of transient
	// failures included (default engine.DefaultStepTimeout).
	StepTimeout time.Duration `json:"stepTimeout,omitempty"`
	// OutageBudget is how long each step waits out an unreachable
	// database (default engine.DefaultOutageBudget).
	OutageBudget time.Duration `json:"outageBudget,omitempty"`
	// Drain is the stage's consumer drain policy (nil: warn).
	Drain *Drain `json:"drain,omitempty"`
}

// BatchOutcome is how one secret of a batch ended, and what a later
// rollback needs to undo exactly what was done.
type BatchOutcome struct {
	SecretID string `json:"secretId"`
	Status   string `json:"status"`
	LastStep string `json:"lastStep,omitempty"`
	// PreviousVersionID is the version AWSCURRENT was on before: where a
	// rollback returns.
	PreviousVersionID string `json:"previousVersionId,omitempty"`
	// OriginalPreviousVersionID is the version AWSPREVIOUS was on before
	// ("" when none): with PreviousKnown, a rollback after promotion puts
	// AWSPREVIOUS back on it (RollbackInput.RestorePrevious).
	OriginalPreviousVersionID string `json:"originalPreviousVersionId,omitempty"`
	PreviousKnown             bool   `json:"previousKnown,omitempty"`
	PasswordSet               bool   `json:"passwordSet,omitempty"`
	Promoted                  bool   `json:"promoted,omitempty"`
	ValidationFailed          bool   `json:"validationFailed,omitempty"`
	StaleCleared              string `json:"staleCleared,omitempty"`
	// Drain is what the consumer drain check found (alternating users).
	Drain     *DrainReport `json:"drain,omitempty"`
	Error     string       `json:"error,omitempty"`
	ErrorType string       `json:"errorType,omitempty"`
	// Attention: the secret is in a state a human must look at (its
	// rollback failed).
	Attention  bool  `json:"attention,omitempty"`
	DurationMS int64 `json:"durationMs"`
}

// RotateBatchResult lists every target's outcome, in input order.
type RotateBatchResult struct {
	Outcomes []BatchOutcome `json:"outcomes"`
}

// BatchRollbackTarget is a secret of a batch to roll back and what was
// done to it. A secret whose outcome was lost (the batch activity failed
// as a whole) is rolled back with everything assumed done; rollback reads
// the actual labels anyway.
type BatchRollbackTarget struct {
	SecretID          string   `json:"secretId"`
	Token             string   `json:"token"`
	Strategy          Strategy `json:"strategy"`
	PreviousVersionID string   `json:"previousVersionId,omitempty"`
	// OriginalPreviousVersionID and PreviousKnown: see BatchOutcome.
	OriginalPreviousVersionID string `json:"originalPreviousVersionId,omitempty"`
	PreviousKnown             bool   `json:"previousKnown,omitempty"`
	PasswordSet               bool   `json:"passwordSet,omitempty"`
	Promoted                  bool   `json:"promoted,omitempty"`
}

// RollbackBatchInput undoes the rotation of secrets whose leases Holder
// still holds.
type RollbackBatchInput struct {
	Holder      LeaseHolder           `json:"holder"`
	Targets     []BatchRollbackTarget `json:"targets"`
	Concurrency int                   `json:"concurrency,omitempty"`
}

// RollbackBatchResult lists each target's outcome: rolled-back (also when
// nothing was left to undo) or failed.
type RollbackBatchResult struct {
	Outcomes []BatchOutcome `json:"outcomes"`
}

// BatchRelease is a lease to give back: the secret and the token's version
// that carries it.
type BatchRelease struct {
	SecretID string `json:"secretId"`
	Token    string `json:"token"`
}

// RotationMetric is one secret's rotation, as its metrics count it.
type RotationMetric struct {
	SecretName       string `json:"secretName"`
	Status           string `json:"status"`
	ValidationFailed bool   `json:"validationFailed,omitempty"`
	DurationMS       int64  `json:"durationMs"`
}

// FinishBatchInput ends a batch once its stage is decided: it releases
// the leases and publishes the batch's rotation metrics (README.md, Metrics:
// RotationSucceeded, RotationRolledBack, RotationFailed,
// ValidationFailed, RotationDuration per secret), so per-secret datums
// never travel through workflow history.
type FinishBatchInput struct {
	Holder           LeaseHolder      `json:"holder"`
	Release          []BatchRelease   `json:"release"`
	MetricsNamespace string           `json:"metricsNamespace,omitempty"`
	Environment      string           `json:"environment,omitempty"`
	Metrics          []RotationMetric `json:"metrics,omitempty"`
	// Extra datums to publish with the batch (a stage's StageDuration).
	Extra []MetricDatum `json:"extra,omitempty"`
	// Outcomes are the batch's rotations' outcomes, to record on their
	// secrets (engine.TagOutcomes).
	Outcomes []SecretOutcome `json:"outcomes,omitempty"`
}

// FinishBatchResult counts what was released and published.
type FinishBatchResult struct {
	Released int           `json:"released"`
	Metrics  PublishResult `json:"metrics"`
}
