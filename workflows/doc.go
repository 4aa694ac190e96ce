// Package workflows holds credstage's Temporal workflow definitions:
// ProvisionDatabase, RotateSecret, StagedRotation and RollbackSecret. It is
// deterministic code only: time comes from workflow.Now, waiting from
// workflow.Sleep and timers, and every side effect is an activity from
// package activities.
//
// Conventions shared by the workflows:
//
//   - A run that did what it could COMPLETES with its result, whose Status
//     says how it went (succeeded, rolled-back, aborted): a parent reads
//     it as a result and the CLI turns anything but succeeded into a
//     non-zero exit. A run FAILS only on invalid input (type InvalidInput,
//     nothing done) or when it leaves something a human must fix (type
//     ErrRotationFailed, the result in the error's details; for
//     provisioning the cause's type, or ErrCompensationFailed).
//   - One run at a time per secret: RotateSecret and RollbackSecret run
//     under SecretWorkflowID(secretID), rotate/<name>, with a full ARN
//     reduced to the secret's name (SecretName). A large stage of
//     StagedRotation rotates in batches (batch.go) under per-secret
//     leases recorded on the secrets (activities/lease.go) that respect
//     that lock and are respected by it.
//   - Search attributes: CredstageEnvironment is the environment (a staged
//     run's current stage), CredstageSecret the secret (a staged run's
//     plan name), CredstageStatus one of the Status* constants.
//   - Every activity call's timeouts and retries are in options.go, metric
//     names in metrics.go, versioning rules in versions.go; recorded
//     histories under testdata/ are replayed by replay_test.go.
package workflows
