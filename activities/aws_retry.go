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
// so the SDK keeps its 3 attempts (a failure reaches the step runner
// within seconds, naming its call, and is tried again there with the
// engine's backoff) but loses the retry quota, which would fail calls
// outright once sustained throttling has drained it.
const (
	sdkMaxAttempts = 3
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
