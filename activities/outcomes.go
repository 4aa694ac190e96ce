package activities

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/credstage/credstage/engine"
)

// outcomeConcurrency bounds the secrets whose outcome is recorded at once:
// each is a DescribeSecret and a TagResource, the latter in Secrets
// Manager's tag quota (50/s per account), which nothing else of a
// rotation spends.
const outcomeConcurrency = 8

// defaultOutcomeTagRate is Options.OutcomeTagRate's default.
const defaultOutcomeTagRate = 20

// recordOutcomes puts each rotation's outcome first in its secret's
// engine.TagOutcomes tag (docs/architecture.md, "Where outcomes live").
// Like the metrics beside it, it never fails a rotation: a secret whose
// tag cannot be written is counted and logged, and transient failures
// are retried as PutMetricData's are.
//
// Faults: the tag is read, extended and written back; a rotation of the
// same secret never overlaps (its lease or workflow ID), so nothing else
// writes it meanwhile. Dies after TagResource, or the reply is lost: the
// retry reads a value that already holds the entry, and AppendOutcome
// leaves it as it is, so nothing is recorded twice.
func (a *Activities) recordOutcomes(ctx context.Context, outcomes []SecretOutcome) (recorded, failed int) {
	outcomes = slices.DeleteFunc(slices.Clone(outcomes), func(o SecretOutcome) bool { return !engine.EndsRotation(o.Status) })
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, outcomeConcurrency)
	for _, o := range outcomes {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := a.retryTransient(ctx, a.opts.MetricsAttempts, func() error { return a.recordOutcome(ctx, o) })
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				logger(ctx).Warn("rotation outcome not recorded", "secret", o.SecretID, "status", o.Status, "error", err)
				return
			}
			recorded++
		}()
	}
	wg.Wait()
	return recorded, failed
}

func (a *Activities) recordOutcome(ctx context.Context, o SecretOutcome) error {
	subject := "secret " + o.SecretID
	desc, err := a.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(o.SecretID)})
	if err != nil {
		return awsError(ctx, subject, "DescribeSecret", err)
	}
	prev := smTagMap(desc.Tags)[engine.TagOutcomes]
	next, err := engine.AppendOutcome(prev, engine.NewOutcome(o.Status, o.Time, o.VersionID))
	if err != nil || next == prev {
		return err
	}
	if err := a.outcomeTags.Wait(ctx); err != nil {
		return retryable("%s: TagResource: %v", subject, err)
	}
	_, err = a.sm.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(o.SecretID),
		Tags: []smtypes.Tag{{Key: aws.String(engine.TagOutcomes), Value: aws.String(next)}}})
	return awsError(ctx, subject, "TagResource", err)
}

// retryTransient calls fn up to attempts times while it fails with a
// transient error, doubling MetricsBackoff between tries.
func (a *Activities) retryTransient(ctx context.Context, attempts int, fn func() error) error {
	delay := a.opts.MetricsBackoff
	for attempt := 1; ; attempt++ {
		err := fn()
		var tr *transientError
		if err == nil || !errors.As(err, &tr) || attempt >= attempts || ctx.Err() != nil {
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
