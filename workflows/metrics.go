package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/engine"
)

// Metric names: the engine's (README.md, Metrics).
const (
	MetricRotationSucceeded  = engine.MetricRotationSucceeded
	MetricRotationFailed     = engine.MetricRotationFailed
	MetricRotationRolledBack = engine.MetricRotationRolledBack
	MetricRotationUnverified = engine.MetricRotationUnverified
	MetricRotationDuration   = engine.MetricRotationDuration
	MetricValidationFailed   = engine.MetricValidationFailed
	MetricStageDuration      = engine.MetricStageDuration
	MetricProvisionSucceeded = engine.MetricProvisionSucceeded
	MetricProvisionFailed    = engine.MetricProvisionFailed
	MetricProvisionDuration  = engine.MetricProvisionDuration
	MetricPreviousRevoked    = engine.MetricPreviousRevoked
	MetricRevokeFailed       = engine.MetricRevokeFailed

	unitCount        = activities.UnitCount
	unitMilliseconds = activities.UnitMilliseconds

	// maxDatumsPerPublish bounds one PublishMetrics input (PutMetricData's
	// own limit), keeping the activity's payload small for big stages.
	maxDatumsPerPublish = 1000
)

// datum builds one datum. Dimensions without a value are left out:
// CloudWatch refuses empty ones (a rollback started by hand may not say
// its environment).
func datum(name string, value float64, unit string, ts time.Time, dims ...activities.Dimension) activities.MetricDatum {
	kept := make([]activities.Dimension, 0, len(dims))
	for _, d := range dims {
		if d.Value != "" {
			kept = append(kept, d)
		}
	}
	return activities.MetricDatum{Name: name, Value: value, Unit: unit, Dimensions: kept, Timestamp: ts}
}

// rotationDatums are one target's metrics, built by the same function a
// batch uses (activities.RotationDatums).
func rotationDatums(o TargetOutcome, ts time.Time) []activities.MetricDatum {
	return activities.RotationDatums(o.Environment, activities.RotationMetric{SecretName: SecretName(o.SecretID),
		Status: o.Status, ValidationFailed: o.ValidationFailed, DurationMS: o.DurationMS}, ts)
}

// rotationOutcome is the outcome a target's rotation records on its
// secret (engine.TagOutcomes).
func rotationOutcome(o TargetOutcome, ts time.Time) activities.SecretOutcome {
	return activities.SecretOutcome{SecretID: o.SecretID, VersionID: o.VersionID, Status: o.Status, Time: ts}
}

// publishMetrics sends datums in batches, the first with the outcomes to
// record. It runs in a disconnected
// context, so a cancelled run still reports how it ended, and it never
// fails the workflow: a metrics outage is logged (README.md, Metrics).
func publishMetrics(ctx workflow.Context, namespace string, datums []activities.MetricDatum, outcomes ...activities.SecretOutcome) {
	if len(datums) == 0 && len(outcomes) == 0 {
		return
	}
	if namespace == "" {
		namespace = DefaultMetricsNamespace
	}
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	dctx = withMetricsOptions(dctx)
	var a *activities.Activities
	for start := 0; start < max(len(datums), 1); start += maxDatumsPerPublish {
		batch := datums[start:min(start+maxDatumsPerPublish, len(datums))]
		in := activities.PublishInput{Namespace: namespace, Datums: batch}
		if start == 0 {
			in.Outcomes = outcomes
		}
		var res activities.PublishResult
		err := workflow.ExecuteActivity(dctx, a.PublishMetrics, in).Get(dctx, &res)
		switch {
		case err != nil:
			workflow.GetLogger(ctx).Warn("metrics not published", "namespace", namespace, "datums", len(batch), "error", err)
		case res.Failed > 0:
			workflow.GetLogger(ctx).Warn("some metrics not published", "namespace", namespace, "failed", res.Failed, "error", res.LastError)
		}
	}
}
