package workflows

import (
	"go.temporal.io/sdk/temporal"

	"github.com/credstage/credstage/engine"
)

// TaskQueue is where the worker listens and every starter sends work.
const TaskQueue = "credstage"

// Names of queries and updates, shared by workflows, CLI and tests.
const (
	QueryProgress = "progress"
	UpdateApprove = "approve"
	UpdateAbort   = "abort"
)

// Custom search attributes. The dev server and the worker register them.
var (
	SearchAttrEnvironment = temporal.NewSearchAttributeKeyKeyword("CredstageEnvironment")
	SearchAttrSecret      = temporal.NewSearchAttributeKeyKeyword("CredstageSecret")
	SearchAttrStatus      = temporal.NewSearchAttributeKeyKeyword("CredstageStatus")
)

// RotateWorkflowID is the ID of the one workflow allowed to rotate a secret
// at a time.
func RotateWorkflowID(secretName string) string { return "rotate/" + secretName }

// Status values of runs, targets and stages (CredstageStatus): the
// engine's vocabulary.
const (
	StatusPending            = engine.StatusPending
	StatusRunning            = engine.StatusRunning
	StatusAwaitingApproval   = engine.StatusAwaitingApproval
	StatusBaking             = engine.StatusBaking
	StatusSucceeded          = engine.StatusSucceeded
	StatusFailed             = engine.StatusFailed
	StatusRolledBack         = engine.StatusRolledBack
	StatusAborted            = engine.StatusAborted
	StatusSkipped            = engine.StatusSkipped
	StatusPromotedUnverified = engine.StatusPromotedUnverified
)

// Default metrics namespace (README.md, Metrics).
const DefaultMetricsNamespace = "Credstage"

// Workflow type names, as Workflows registers them (function names), for
// those who find runs and schedules by type.
const (
	StagedRotationType = "StagedRotation"
	InventoryType      = "Inventory"
)

// The inventory's schedule and the runs it starts (credstage inventory).
const (
	// InventoryScheduleID is the one schedule of the inventory: a fixed
	// ID, so `credstage inventory apply` creates it once and updates it
	// after.
	InventoryScheduleID = "credstage-inventory"
	// InventoryWorkflowID is its actions' workflow ID (Temporal appends
	// the action's time), and that of `credstage inventory run`.
	InventoryWorkflowID = "inventory"
)
