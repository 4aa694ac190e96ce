package activities

import (
	"context"
	"math"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"golang.org/x/time/rate"
)

// The write budget (docs/architecture.md §4, "Within Secrets Manager's
// write quota"). Secrets Manager allows about 50 requests a second per
// account and Region, combined, for PutSecretValue, UpdateSecret and
// UpdateSecretVersionStage (and the replication calls), shared with every
// other writer in the account; GetRandomPassword has 50 a second of its
// own. A fleet rotation must slow down before it reaches them, not after:
// a throttled account fails other writers' calls too. So every worker
// waits for a token before each such call.

// DefaultWriteRate is the deployment's default budget: half the quota,
// so other writers of the account keep the other half.
const DefaultWriteRate = 25

// WriteBudget is one worker's share of the deployment's write budget:
// Total calls a second across every worker, of which this one takes the
// fraction SetShare gives it (the worker computes it from what Temporal
// shows of every worker's work: internal/workerapp/write_share.go). Its
// token bucket holds one second of the share (at least one call), so the
// deployment's writes in any second stay within Total plus one second's
// burst of each worker. Safe for concurrent use.
type WriteBudget struct {
	total float64

	mu       sync.Mutex
	fraction float64
	writes   *rate.Limiter // PutSecretValue, UpdateSecretVersionStage, UpdateSecret
	random   *rate.Limiter // GetRandomPassword
}

// NewWriteBudget is a budget of total calls a second, all of it this
// worker's until SetShare says otherwise. total ≤ 0 means no budget.
func NewWriteBudget(total float64) *WriteBudget {
	b := &WriteBudget{total: total, writes: rate.NewLimiter(rate.Inf, 0), random: rate.NewLimiter(rate.Inf, 0)}
	b.SetShare(1)
	return b
}

// SetShare gives this worker fraction f of the budget (clamped to
// (0, 1]; a worker always keeps some share, so no call waits forever).
func (b *WriteBudget) SetShare(f float64) {
	if b == nil || b.total <= 0 {
		return
	}
	f = min(max(f, minShare), 1)
	b.mu.Lock()
	defer b.mu.Unlock()
	if f == b.fraction {
		return
	}
	b.fraction = f
	share := b.total * f
	burst := max(1, int(math.Floor(share)))
	for _, l := range []*rate.Limiter{b.writes, b.random} {
		l.SetLimit(rate.Limit(share))
		l.SetBurst(burst)
	}
}

// minShare is the least fraction SetShare gives.
const minShare = 0.001

// Share is this worker's calls a second (0: no budget) and the fraction
// of the budget that is.
func (b *WriteBudget) Share() (perSecond, fraction float64) {
	if b == nil || b.total <= 0 {
		return 0, 1
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total * b.fraction, b.fraction
}

// BatchActivities are the activities that write for many secrets at
// once: a worker's share of the write budget follows how many of them it
// runs (internal/workerapp/write_share.go). The names are the methods'.
var BatchActivities = []string{"RotateBatch", "RollbackBatch", "FinishBatch"}

// wait takes one token of l, or returns when ctx ends: a cancelled step
// never writes after its cancellation.
func (b *WriteBudget) wait(ctx context.Context, l *rate.Limiter) error {
	if b == nil || b.total <= 0 {
		return nil
	}
	return l.Wait(ctx)
}

// budgeted is a SecretsManagerAPI whose write-quota calls wait for the
// budget first. Reads, and the calls of other quota families
// (CreateSecret, DeleteSecret, the resource policy), pass straight on.
type budgeted struct {
	SecretsManagerAPI
	b *WriteBudget
}

// Budgeted wraps sm with the budget b (nil: sm unchanged).
func Budgeted(sm SecretsManagerAPI, b *WriteBudget) SecretsManagerAPI {
	if b == nil || b.total <= 0 {
		return sm
	}
	return budgeted{SecretsManagerAPI: sm, b: b}
}

func (s budgeted) PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	if err := s.b.wait(ctx, s.b.writes); err != nil {
		return nil, err
	}
	return s.SecretsManagerAPI.PutSecretValue(ctx, in, opts...)
}

func (s budgeted) UpdateSecretVersionStage(ctx context.Context, in *secretsmanager.UpdateSecretVersionStageInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error) {
	if err := s.b.wait(ctx, s.b.writes); err != nil {
		return nil, err
	}
	return s.SecretsManagerAPI.UpdateSecretVersionStage(ctx, in, opts...)
}

func (s budgeted) GetRandomPassword(ctx context.Context, in *secretsmanager.GetRandomPasswordInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetRandomPasswordOutput, error) {
	if err := s.b.wait(ctx, s.b.random); err != nil {
		return nil, err
	}
	return s.SecretsManagerAPI.GetRandomPassword(ctx, in, opts...)
}
