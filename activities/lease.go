package activities

import (
	"context"
	"fmt"
	"strings"
)

// Leases: one rotation per secret at a time, without a workflow per
// secret.
//
// RotateSecret and RollbackSecret run under the workflow ID
// rotate/<secret>, and Temporal lets only one such run be open: that is
// their lock. A batched stage (RotateBatch) rotates many secrets from one
// workflow, so it takes a lease on each secret instead, recorded on the
// secret itself: the staging label
//
//	credstage-lease/<run id>@<attempt>/<workflow id>
//
// on the batch's new version (its token); the attempt fences two attempts
// of one batch from each other (lease_fence.go), and labels written
// without it still parse. A lease is held from the moment
// that label exists until it is removed (FinishBatch, after the stage's
// verification or rollback), as long as the run it names is open. Anyone
// who finds a live foreign lease keeps away: the batch's own acquisition,
// RotateSecret's create step, RollbackSecret's restore. A lease whose run
// has closed (terminated, timed out, continued as new) is stale: whoever
// finds it removes it, and an AWSPENDING its run left is cleared as a
// stale one always was (docs/architecture.md §2, step 1).
//
// Acquisition (acquireAndCreate) announces first and looks second:
//
//  1. PutSecretValue the token's version with the lease label (and, for a
//     single user, when the secret showed neither a lease nor an
//     AWSPENDING a moment before, AWSPENDING too, which saves a call);
//  2. DescribeSecret again: a live foreign lease, or an open
//     rotate/<secret> run, means back off (remove our label; nothing else
//     was done) and report the secret as already being rotated;
//  3. for a single user, unless it is there already, move AWSPENDING onto
//     the token with UpdateSecretVersionStage, naming the version it
//     leaves (RemoveFromVersionId): Secrets Manager refuses the move if
//     AWSPENDING went anywhere else meanwhile, so a lost race also backs
//     off. For alternating users a stale AWSPENDING is removed the same
//     way (labelsPending says why they take none).
//
// A batched rotation therefore writes three times for alternating users
// (the put, AWSCURRENT's move, the release) and four for a single user
// (AWSPENDING's removal at promote too); docs/architecture.md §4 counts
// them against Secrets Manager's write quota.
//
// Two batches announcing at once: each looks after its own announcement,
// so at least the later one sees the other and backs off (both may, which
// is safe). A batch and a RotateSecret: the batch looks for an open
// rotate/<secret> after announcing, and RotateSecret's create looks for
// leases after its run started, so whichever comes second keeps away.
//
// Failure modes, all safe in the sense of the invariant:
//   - Both sides of a race back off: the secret is reported as already
//     being rotated by both, and nothing changed.
//   - A RotateSecret whose create ran in the same instant as a batch's
//     put may lose its AWSPENDING to it; the batch then backs off (the
//     RotateSecret run is open) and the RotateSecret fails at its set step
//     with VersionConflict, having changed nothing. Never both proceed. A
//     batch whose AWSPENDING is taken that way by a batch that then backs
//     off finishes its rotation all the same (promote checks AWSCURRENT,
//     and the lease, not AWSPENDING, is what keeps others away).
//   - A run terminated while holding leases leaves them (and maybe an
//     AWSPENDING, or a single-user password set but not promoted, exactly
//     as a terminated RotateSecret would): the next rotation of the
//     secret finds the run closed, removes the lease and clears the
//     pending version as stale. `credstage rollback` restores a promoted
//     one. Cancelling (not terminating) rolls back and releases as usual.
//   - Temporal unreachable when a lease must be judged: the step fails
//     transiently and is retried; no lease is ever judged stale without an
//     answer from Temporal.
//   - Without a RunChecker (Options.Runs) every foreign lease counts as
//     live and batches cannot start: refusing is the safe side.
//   - Someone outside credstage moving labels by hand: the same
//     RemoveFromVersionId checks as before turn that into VersionConflict.
const leaseLabelPrefix = "credstage-lease/"

// labelsPending says whether a batched rotation of this strategy labels
// its new version AWSPENDING besides the lease. A single user's clients
// need it: between set and promote only the pending password logs in, and
// a client refused at login reads AWSPENDING (client/pgsecret). Alternating
// users' clients never do (AWSCURRENT's user logs in throughout), and
// within credstage the lease label already marks the version as the one
// being rotated in, and keeps every other rotation away, exactly as
// AWSPENDING would with it. Leaving it out saves a write per rotation
// against Secrets Manager's account-wide write quota: its removal at
// promote. RotateSecret, which holds no lease, always labels AWSPENDING.
func labelsPending(s Strategy) bool { return s != StrategyAlternatingUsers }

// maxStageLabel is Secrets Manager's limit on a staging label's length.
const maxStageLabel = 256

// LeaseHolder is the workflow run that holds (or asks for) leases.
type LeaseHolder struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
}

// Label is the staging label that records the lease.
func (h LeaseHolder) Label() string { return leaseLabelPrefix + h.RunID + "/" + h.WorkflowID }

// Validate checks the holder can be written as a label and read back.
func (h LeaseHolder) Validate() error {
	switch {
	case h.WorkflowID == "" || h.RunID == "":
		return invalidInput("lease holder: workflowId and runId are required")
	case strings.Contains(h.RunID, "/"):
		return invalidInput("lease holder: run id %q contains '/'", h.RunID)
	case len(h.Label()) > maxStageLabel:
		return invalidInput("lease holder: workflow id of %d characters is too long for a staging label (at most %d)",
			len(h.WorkflowID), maxStageLabel-len(leaseLabelPrefix)-len(h.RunID)-1)
	}
	return nil
}

// LeaseLabelFits reports whether a run with this workflow id and run id
// can hold leases (its label fits Secrets Manager's limit).
func LeaseLabelFits(workflowID, runID string) bool {
	return LeaseHolder{WorkflowID: workflowID, RunID: runID}.Validate() == nil
}

func (h LeaseHolder) String() string { return "workflow " + h.WorkflowID + " (run " + h.RunID + ")" }

func parseLeaseLabel(label string) (LeaseHolder, bool) {
	h, _, ok := parseLeaseLabelAt(label)
	return h, ok
}

// parseLeaseLabelAt reads a lease label, with the attempt that holds it
// (lease_fence.go; 0 for labels without one).
func parseLeaseLabelAt(label string) (LeaseHolder, int32, bool) {
	rest, ok := strings.CutPrefix(label, leaseLabelPrefix)
	if !ok {
		return LeaseHolder{}, 0, false
	}
	run, wf, ok := strings.Cut(rest, "/")
	if !ok || run == "" || wf == "" {
		return LeaseHolder{}, 0, false
	}
	run, attempt, ok := splitLeaseRun(run)
	if !ok || run == "" {
		return LeaseHolder{}, 0, false
	}
	return LeaseHolder{WorkflowID: wf, RunID: run}, attempt, true
}

// RunChecker tells whether a workflow run is still open; the worker
// implements it with its Temporal client (DescribeWorkflowExecution).
type RunChecker interface {
	// RunOpen reports whether the run is open. An empty runID means the
	// latest run of workflowID. A run Temporal does not know is not open.
	RunOpen(ctx context.Context, workflowID, runID string) (bool, error)
}

// lease is a lease label found on a version of a secret.
type lease struct {
	holder  LeaseHolder
	label   string
	version string
}

// leasesOn sorts the leases on a secret, other than self's, into live
// ones (their run is open, or cannot be judged without a RunChecker) and
// stale ones.
func (a *Activities) leasesOn(ctx context.Context, secretID string, st secretState, self *LeaseHolder) (live, stale []lease, err error) {
	for version, labels := range st.stages {
		for _, l := range labels {
			h, ok := parseLeaseLabel(l)
			if !ok || (self != nil && h == *self) {
				continue
			}
			ls := lease{holder: h, label: l, version: version}
			if a.runs == nil {
				live = append(live, ls)
				continue
			}
			open, err := a.runs.RunOpen(ctx, h.WorkflowID, h.RunID)
			if err != nil {
				return nil, nil, retryable("secret %s: cannot tell whether the lease of %s is live: %v", secretID, h, err)
			}
			if open {
				live = append(live, ls)
			} else {
				stale = append(stale, ls)
			}
		}
	}
	return live, stale, nil
}

// leaseHeldError is the refusal of a secret another run is rotating.
func leaseHeldError(secretID string, by string) error {
	return nonRetryable(ErrAlreadyRotating, fmt.Sprintf("secret %s is already being rotated by %s", secretID, by))
}

// refuseLiveLeases fails when another run holds a lease on the secret and
// removes the stale ones it finds; RotateSecret's create and
// RollbackSecret's restore call it before they change anything.
func (a *Activities) refuseLiveLeases(ctx context.Context, secretID string, st secretState) error {
	if !st.hasLeaseLabel() {
		return nil
	}
	live, stale, err := a.leasesOn(ctx, secretID, st, nil)
	if err != nil {
		return err
	}
	if len(live) > 0 {
		return leaseHeldError(secretID, live[0].holder.String())
	}
	return a.removeStaleLeases(ctx, secretID, stale)
}

func (a *Activities) removeStaleLeases(ctx context.Context, secretID string, stale []lease) error {
	for _, ls := range stale {
		if err := a.removeLabel(ctx, secretID, ls.label, ls.version); err != nil {
			return err
		}
		logger(ctx).Warn("removed a stale lease: its run has closed", "secret", secretID, "holder", ls.holder.String(), "version", ls.version)
	}
	return nil
}

// removeLabel takes label off version; a label already gone (a retry, or
// someone faster) is success.
func (a *Activities) removeLabel(ctx context.Context, secretID, label, version string) error {
	err := a.moveStage(ctx, secretID, label, "", version)
	if err == nil || !isErrorType(err, ErrAWSRequestRefused) {
		return err
	}
	st, derr := a.describeSecret(ctx, secretID)
	if derr == nil && !st.has(version, label) {
		return nil
	}
	return err
}

func (s secretState) hasLeaseLabel() bool {
	for _, labels := range s.stages {
		for _, l := range labels {
			if strings.HasPrefix(l, leaseLabelPrefix) {
				return true
			}
		}
	}
	return false
}

// releaseLease removes the holder's lease labels (whatever attempt holds
// them) from the token's version; a lease already gone is released.
func (a *Activities) releaseLease(ctx context.Context, secretID, token string, h LeaseHolder) error {
	st, err := a.describeSecret(ctx, secretID)
	if err != nil {
		return err
	}
	labels, _ := st.heldBy(token, h)
	for _, l := range labels {
		if err := a.removeLabel(ctx, secretID, l, token); err != nil {
			return err
		}
	}
	return nil
}
