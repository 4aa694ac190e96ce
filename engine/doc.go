// Package engine holds the rules of a rotation that every path shares:
// RotateSecret (one workflow per secret) and RotateBatch (one activity per
// batch of secrets) run the same steps, in the same order, under the same
// retry policy, outage budget and rollback rule, and speak the same
// vocabulary of steps, statuses and metric names. Keeping them here, and
// nowhere else, is what lets the workflow and the activities agree without
// copying each other's constants.
//
// Everything in this package is deterministic (constants and pure
// functions), so workflow code may call it. The protocol itself, its
// invariants and what happens if the process dies after each step are in
// docs/architecture.md.
package engine
