package activities

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
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
// published are counted in Failed and logged.
func (a *Activities) PublishMetrics(ctx context.Context, in PublishInput) (PublishResult, error) {
	return a.publishMetrics(ctx, in), nil
}

func (a *Activities) publishMetrics(ctx context.Context, in PublishInput) PublishResult {
	ns := in.Namespace
	if ns == "" {
		ns = defaultNamespace
	}
	data := cloudWatchDatums(in.Datums, time.Now())
	var res PublishResult
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
	delay := a.opts.MetricsBackoff
	for attempt := 1; ; attempt++ {
		_, err := a.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(ns), MetricData: batch})
		if err == nil {
			return nil
		}
		err = awsError(ctx, "metrics namespace "+ns, "PutMetricData", err)
		var tr *transientError
		if !errors.As(err, &tr) || attempt >= attempts || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		delay *= 2
	}
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
