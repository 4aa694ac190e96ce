package workflows

import "go.temporal.io/sdk/workflow"

// Workflow versioning (docs/architecture.md §6). A change to a workflow that alters
// the commands a running execution would emit must not break executions
// already running, nor the histories under testdata/ that replay_test.go
// replays. Each such change gets a change ID and a branch:
//
//	v := workflow.GetVersion(ctx, changeSomething, workflow.DefaultVersion, 1)
//	if v == workflow.DefaultVersion { old behaviour } else { new behaviour }
//
// and the old branch stays until no open execution and no kept history
// needs it (then minSupported is raised to 1). Change IDs are never reused.
//
// RotateSecret records its version when it starts: version 1 marks
// histories written by the first release (testdata/release1_*.json),
// which replay the old way; later changes branch on the recorded value.
const (
	changeRotateSecret = "credstage/rotate-secret"

	// rotateSecretV2: the token is engine.Token of the run (no side
	// effect), and a verify that met a database outage past the budget
	// after promotion ends promoted-unverified instead of rolling back
	// (engine.Unverified).
	rotateSecretV2 workflow.Version = 2
)

// changeStagedBatches: StagedRotation rotates a large stage in batches
// (batch.go) instead of one RotateSecret child per target. The marker is
// recorded only for a stage that would be batched, so histories of small
// stages are unchanged, and a large stage that started before the change
// replays with its children.
const (
	changeStagedBatches = "credstage/staged-batches"

	stagedBatchesV1 workflow.Version = 1
)

// changeRunTokens: a batched stage's tokens are engine.Token of the run
// (no side effect) instead of UUIDs derived from a recorded random seed.
const (
	changeRunTokens = "credstage/run-tokens"

	runTokensV1 workflow.Version = 1
)

// changeProvisionOwnership: ProvisionDatabase marks what it creates with
// its run (activities' ownership.go) and compensates by that mark: a
// user is compensated from the moment CreateAppUser is tried, and an
// instance whose CreateDBInstance failed is offered to DeleteDBInstance,
// which deletes it only if this run's mark is on it.
const (
	changeProvisionOwnership = "credstage/provision-ownership"

	provisionOwnershipV1 workflow.Version = 1
)

// changeConsumerWatch: a bake samples its stage's consumers
// (CountConsumers, staged_consumers.go) about ten times.
const (
	changeConsumerWatch = "credstage/consumer-watch"

	consumerWatchV1 workflow.Version = 1
)

// originalRunID is the run id before any reset: the same on every replay,
// retried workflow task and reset, so what a run names after it (a
// rotation token, a provisioning's ownership mark) stays its own.
func originalRunID(ctx workflow.Context) string {
	info := workflow.GetInfo(ctx)
	if info.OriginalRunID != "" {
		return info.OriginalRunID
	}
	return info.WorkflowExecution.RunID // the SDK's test environment sets no original
}
