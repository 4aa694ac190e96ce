// Package workflows holds credstage's Temporal workflow definitions:
// ProvisionDatabase, RotateSecret, StagedRotation and RollbackSecret. It is
// deterministic code only: time comes from workflow.Now, waiting from
// workflow.Sleep and timers, and every side effect is an activity from
// package activities.
package workflows
