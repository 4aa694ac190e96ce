package activities

import (
	"context"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/credstage/credstage/engine"
)

const (
	// maxDatumsPerCall is PutMetricData's limit.
	maxDatumsPerCall = 1000
	// defaultNamespace is README.md's Metrics section.
	defaultNamespace = "Credstage"
)

// PublishMetrics sends datums to CloudWatch in batches of at most 1000.
// It never fails: a metrics outage must not fail a rotation (README.md,
// Metrics). Each batch is retried a few times with backoff while the failure is
// transient; once a batch has exhausted its retries CloudWatch is taken to
// be down and later batches get one try each. Datums that could not be
// published are counted in Failed and logged. Every per-secret or
// per-instance datum goes out with its per-environment roll-up
// (withRollups), and the rotations' outcomes are recorded on their
// secrets (recordOutcomes), as best effort as the metrics.
func (a *Activities) PublishMetrics(ctx context.Context, in PublishInput) (PublishResult, error) {
	return a.publishMetrics(ctx, in), nil
}

func (a *Activities) publishMetrics(ctx context.Context, in PublishInput) PublishResult {
	ns := in.Namespace
	if ns == "" {
		ns = defaultNamespace
	}
	data := cloudWatchDatums(withRollups(in.Datums), time.Now())
	var res PublishResult
	if len(in.Outcomes) > 0 {
		res.Recorded, res.NotRecorded = a.recordOutcomes(ctx, in.Outcomes)
	}
	attempts := a.opts.MetricsAttempts
	for batch := range slices.Chunk(data, maxDatumsPerCall) {
		err := a.putMetricBatch(ctx, ns, batch, attempts)
		if err != nil {
			res.Failed += len(batch)
			res.LastError = err.Error()
			attempts = 1
			logger(ctx).Warn("metrics not published", "namespace", ns, "datums", len(batch), "error", res.LastError)
		} else {
			res.Published += len(batch)
		}
		heartbeat(ctx, res)
	}
	return res
}

func (a *Activities) putMetricBatch(ctx context.Context, ns string, batch []cwtypes.MetricDatum, attempts int) error {
	return a.retryTransient(ctx, attempts, func() error {
		_, err := a.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(ns), MetricData: batch})
		return awsError(ctx, "metrics namespace "+ns, "PutMetricData", err)
	})
}

// withRollups adds, beside the datums of secrets and instances, the same
// series with their Environment dimension alone: a CloudWatch alarm
// watches one series and never aggregates across dimensions, so the
// per-environment alarms (README.md, Alarms) need these. Counts are
// summed into one roll-up datum per metric, environment and time (an
// alarm reads their Sum); durations keep one datum each, so that their
// Average and SampleCount stay those of the rotations.
func withRollups(in []MetricDatum) []MetricDatum {
	out := make([]MetricDatum, 0, len(in)+len(in)/4)
	summed := map[rollupKey]int{}
	for _, d := range in {
		out = append(out, d)
		env, ok := environmentOf(d)
		if !ok {
			continue
		}
		rollup := d
		rollup.Dimensions = []Dimension{env}
		if d.Unit != UnitCount {
			out = append(out, rollup)
			continue
		}
		k := rollupKey{name: d.Name, env: env.Value, ts: d.Timestamp.UnixNano()}
		if i, ok := summed[k]; ok {
			out[i].Value += d.Value
			continue
		}
		summed[k] = len(out)
		out = append(out, rollup)
	}
	return out
}

// Units of credstage's datums (CloudWatch's StandardUnit names).
const (
	UnitCount        = "Count"
	UnitMilliseconds = "Milliseconds"
	UnitSeconds      = "Seconds"
)

type rollupKey struct {
	name, env string
	ts        int64
}

// environmentOf is the Environment dimension of a datum that has others
// beside it (a secret's or an instance's), so needs a roll-up.
func environmentOf(d MetricDatum) (Dimension, bool) {
	if len(d.Dimensions) < 2 {
		return Dimension{}, false
	}
	for _, dim := range d.Dimensions {
		if dim.Name == engine.DimEnvironment {
			return dim, true
		}
	}
	return Dimension{}, false
}

// cloudWatchDatums converts credstage's datums; a zero timestamp is now.
func cloudWatchDatums(in []MetricDatum, now time.Time) []cwtypes.MetricDatum {
	out := make([]cwtypes.MetricDatum, 0, len(in))
	for _, d := range in {
		ts := d.Timestamp
		if ts.IsZero() {
			ts = now
		}
		dims := make([]cwtypes.Dimension, 0, len(d.Dimensions))
		for _, dim := range d.Dimensions {
			dims = append(dims, cwtypes.Dimension{Name: aws.String(dim.Name), Value: aws.String(dim.Value)})
		}
		out = append(out, cwtypes.MetricDatum{
			MetricName: aws.String(d.Name),
			Value:      aws.Float64(d.Value),
			Unit:       metricUnit(d.Unit),
			Dimensions: dims,
			Timestamp:  aws.Time(ts),
		})
	}
	return out
}

func metricUnit(u string) cwtypes.StandardUnit {
	unit := cwtypes.StandardUnit(u)
	if slices.Contains(unit.Values(), unit) {
		return unit
	}
	return cwtypes.StandardUnitNone
}
