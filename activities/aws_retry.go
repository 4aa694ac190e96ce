package activities

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// The SDK's standard retryer gives up after 3 attempts and keeps a
// client-side retry quota (a token bucket that each retry drains) which
// fails calls at once under sustained throttling: both would turn a
// throttled fleet into failed steps. credstage's own budget
// (write_budget.go) keeps calls under the quota, and its steps retry
// transient failures for the step's whole timeout (engine.StepTimeout),
// so the SDK only needs to absorb short throttling bursts: more attempts,
// a longer backoff, and no retry quota. A call that still fails reaches
// the step runner as a transient error and is tried again, never as a
// failed rotation.
const (
	sdkMaxAttempts = 8
	sdkMaxBackoff  = 20 * time.Second
)

// throttleTolerantRetryer is the retryer of credstage's Secrets Manager
// and RDS clients.
func throttleTolerantRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = sdkMaxAttempts
		o.MaxBackoff = sdkMaxBackoff
		o.RateLimiter = ratelimit.None
	})
}
