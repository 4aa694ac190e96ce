package activities

import (
	"context"
	"sync"
	"time"

	"github.com/credstage/credstage/engine"
)

// RollbackBatch rolls back secrets of a batched stage that this run
// rotated and still holds (their stage failed or was aborted after they
// succeeded).
func (a *Activities) RollbackBatch(ctx context.Context, in RollbackBatchInput) (RollbackBatchResult, error) {
	return a.rollbackBatch(ctx, in)
}

// rollbackBatch rolls every target back (rollbackLeased), at most
// Concurrency at once, retrying transient failures for as long as
// RotateSecret's rollback would; a target whose rollback fails for good
// is reported failed with Attention and the others still run. It never
// stops halfway because of a cancellation: undoing is what cancelling
// asks for.
func (a *Activities) rollbackBatch(ctx context.Context, in RollbackBatchInput) (RollbackBatchResult, error) {
	if err := a.validateBatch(in.Holder, len(in.Targets)); err != nil {
		return RollbackBatchResult{}, err
	}
	b := &batchRun{a: a, actx: ctx, outcomes: make([]BatchOutcome, len(in.Targets)),
		in: RotateBatchInput{Holder: in.Holder, Concurrency: in.Concurrency}, attempt: fenceFinal}
	b.sctx, b.cancelSteps = context.WithCancel(context.WithoutCancel(ctx))
	b.uctx = b.sctx
	defer b.cancelSteps()
	stopBeat := b.heartbeatLoop()
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, in.Concurrency))
	for i, t := range in.Targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			start := time.Now()
			o := BatchOutcome{SecretID: t.SecretID, LastStep: StepRollback, PreviousVersionID: t.PreviousVersionID,
				PasswordSet: t.PasswordSet, Promoted: t.Promoted}
			step := RotationStep{SecretID: t.SecretID, Token: t.Token, Strategy: t.Strategy}
			if err := validateStep(step); err != nil {
				o.Status, o.Attention = BatchFailed, true
				o.Error, o.ErrorType = describeStepError(err)
			} else {
				b.undo(&o, RollbackInput{Step: step, CurrentVersionID: t.PreviousVersionID, PreviousVersionID: t.OriginalPreviousVersionID, RestorePrevious: t.PreviousKnown,
					PasswordSet: t.PasswordSet, Promoted: t.Promoted}, "")
			}
			o.DurationMS = time.Since(start).Milliseconds()
			b.mu.Lock()
			b.outcomes[i] = o
			b.mu.Unlock()
		}()
	}
	wg.Wait()
	stopBeat()
	return RollbackBatchResult{Outcomes: b.snapshot()}, nil
}

// FinishBatch ends a batch of a decided stage: it releases the leases and
// publishes the batch's metrics.
func (a *Activities) FinishBatch(ctx context.Context, in FinishBatchInput) (FinishBatchResult, error) {
	return a.finishBatch(ctx, in)
}

// finishBatch removes the holder's lease label from each token's version
// (a lease already gone counts as released; a transient failure fails the
// activity, which is retried: releasing is idempotent), then publishes
// the metrics like PublishMetrics, which never fails for CloudWatch's
// sake. After it, the secrets are free for the next rotation; if it never
// runs (the run was terminated), the leases go stale with the run.
func (a *Activities) finishBatch(ctx context.Context, in FinishBatchInput) (FinishBatchResult, error) {
	if err := in.Holder.Validate(); err != nil {
		return FinishBatchResult{}, err
	}
	var res FinishBatchResult
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, r := range in.Release {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := a.releaseLease(ctx, r.SecretID, r.Token, in.Holder)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && !isErrorType(err, ErrSecretNotFound) {
				if first == nil {
					first = err
				}
				return
			}
			res.Released++
		}()
	}
	wg.Wait()
	if first != nil {
		return res, first
	}
	now := time.Now()
	datums := append([]MetricDatum(nil), in.Extra...)
	for _, m := range in.Metrics {
		datums = append(datums, RotationDatums(in.Environment, m, now)...)
	}
	if len(datums) > 0 || len(in.Outcomes) > 0 {
		res.Metrics = a.publishMetrics(ctx, PublishInput{Namespace: in.MetricsNamespace, Datums: datums, Outcomes: in.Outcomes})
	}
	return res, nil
}

// RotationDatums are one secret's rotation metrics, for every path (a
// RotateSecret run, a batch): 1 in exactly one of RotationSucceeded,
// RotationRolledBack, RotationFailed and RotationPromotedUnverified, 0 in
// the others, so sums and alarms see data every run. RotationFailed is
// the one to alarm on: a human must look. It is pure, so workflow code
// may call it.
func RotationDatums(env string, m RotationMetric, ts time.Time) []MetricDatum {
	var dims []Dimension
	if env != "" {
		dims = append(dims, Dimension{Name: engine.DimEnvironment, Value: env})
	}
	dims = append(dims, Dimension{Name: engine.DimSecretName, Value: m.SecretName})
	one := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	d := func(name string, v float64, unit string) MetricDatum {
		return MetricDatum{Name: name, Value: v, Unit: unit, Dimensions: dims, Timestamp: ts}
	}
	return []MetricDatum{
		d(engine.MetricRotationSucceeded, one(m.Status == engine.StatusSucceeded), UnitCount),
		d(engine.MetricRotationRolledBack, one(m.Status == engine.StatusRolledBack), UnitCount),
		d(engine.MetricRotationFailed, one(m.Status == engine.StatusFailed), UnitCount),
		d(engine.MetricRotationUnverified, one(m.Status == engine.StatusPromotedUnverified), UnitCount),
		d(engine.MetricValidationFailed, one(m.ValidationFailed), UnitCount),
		d(engine.MetricRotationDuration, float64(m.DurationMS), UnitMilliseconds),
	}
}
