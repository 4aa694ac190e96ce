package activities

import (
	"context"
	"math"
	"strconv"
	"strings"
)

// Fencing attempts on the secret itself. Two attempts of one batch share
// the run and the token, so a lease label naming only the run cannot tell
// them apart. The label therefore also carries the attempt that holds it:
//
//	credstage-lease/<run id>@<attempt>/<workflow id>
//
// A later attempt that resumes a secret moves the label to its own number
// (one label write, only on a retried attempt), and an attempt checks the
// label wherever it reads the secret before writing (the create step, an
// undo): one that finds a later attempt stops acting at once and settles
// nothing (ErrAttemptFenced). Between those reads, the steps in between
// (set, promote) are guarded without a call of their own by the
// acknowledgement of the attempt (batch_fence.go): a later attempt exists
// only once the server gave up on this one, which it cannot do while it
// still confirms it. RollbackBatch, which undoes a stage
// after its batches, takes every lease it undoes with fenceFinal, so no
// batch attempt still running can act on those secrets again. Labels
// written before this format (no @<attempt>) count as attempt 0, and a
// batch run outside an activity (tests) acts as attempt 0 and checks
// nothing. What remains unfenced is the moment between a check and the
// write it guards (docs/architecture.md, "Worker stops").

// fenceFinal is the attempt RollbackBatch fences a lease with: later than
// any attempt of the batch.
const fenceFinal int32 = math.MaxInt32

// labelAt is the lease label of attempt (the plain Label for attempt 0, or
// when the attempt would not fit Secrets Manager's label length).
func (h LeaseHolder) labelAt(attempt int32) string {
	if attempt <= 0 {
		return h.Label()
	}
	l := leaseLabelPrefix + h.RunID + "@" + strconv.FormatInt(int64(attempt), 10) + "/" + h.WorkflowID
	if len(l) > maxStageLabel {
		return h.Label()
	}
	return l
}

// splitLeaseRun splits a label's run part into the run id and the attempt.
func splitLeaseRun(run string) (string, int32, bool) {
	id, at, found := strings.Cut(run, "@")
	if !found {
		return run, 0, true
	}
	n, err := strconv.ParseInt(at, 10, 32)
	if err != nil || n < 0 {
		return "", 0, false
	}
	return id, int32(n), true
}

// heldBy lists the labels of holder h on version, with the highest
// attempt first in attempt (two labels: a process died between writing
// the new one and removing the old).
func (s secretState) heldBy(version string, h LeaseHolder) (labels []string, attempt int32) {
	attempt = -1
	for _, l := range s.stages[version] {
		got, at, ok := parseLeaseLabelAt(l)
		if ok && got == h {
			labels = append(labels, l)
			attempt = max(attempt, at)
		}
	}
	return labels, attempt
}

func attemptFenced(secretID, why string) error {
	return nonRetryable(ErrAttemptFenced, "secret "+secretID+": "+why+"; this attempt stops acting and leaves the secret to it")
}

// takeFence moves holder h's lease on the token's version to attempt, and
// refuses (ErrAttemptFenced) when a later attempt holds it. held reports
// whether h holds a lease there at all.
func (a *Activities) takeFence(ctx context.Context, step RotationStep, h LeaseHolder, st secretState, attempt int32) (held bool, err error) {
	labels, at := st.heldBy(step.Token, h)
	switch {
	case len(labels) == 0:
		return false, nil
	case at > attempt:
		return true, attemptFenced(step.SecretID, "a later attempt ("+strconv.Itoa(int(at))+") holds the lease")
	}
	want := h.labelAt(attempt)
	if len(labels) == 1 && labels[0] == want {
		return true, nil
	}
	if !st.has(step.Token, want) {
		if err := a.moveStage(ctx, step.SecretID, want, step.Token, ""); err != nil {
			return true, err
		}
	}
	for _, l := range labels {
		if l != want {
			if err := a.removeLabel(ctx, step.SecretID, l, step.Token); err != nil {
				return true, err
			}
		}
	}
	return true, nil
}
