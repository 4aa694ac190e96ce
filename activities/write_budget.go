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
// Total calls a second across every worker, of which this one takes
// Total ÷ workers (SetWorkers). Its token bucket holds one second of the
// share (at least one call), so the deployment's writes in any second
// stay within Total plus one second's burst of each worker. Safe for
// concurrent use.
type WriteBudget struct {
	total float64

	mu      sync.Mutex
	workers int
	writes  *rate.Limiter // PutSecretValue, UpdateSecretVersionStage, UpdateSecret
	random  *rate.Limiter // GetRandomPassword
}

// NewWriteBudget is a budget of total calls a second for one worker until
// SetWorkers says how many share it. total ≤ 0 means no budget.
func NewWriteBudget(total float64) *WriteBudget {
	b := &WriteBudget{total: total, writes: rate.NewLimiter(rate.Inf, 0), random: rate.NewLimiter(rate.Inf, 0)}
	b.SetWorkers(1)
	return b
}

// SetWorkers shares the budget among n workers (n < 1 counts as 1).
func (b *WriteBudget) SetWorkers(n int) {
	if b == nil || b.total <= 0 {
		return
	}
	n = max(n, 1)
	b.mu.Lock()
	defer b.mu.Unlock()
	if n == b.workers {
		return
	}
	b.workers = n
	share := b.total / float64(n)
	burst := max(1, int(math.Floor(share)))
	for _, l := range []*rate.Limiter{b.writes, b.random} {
		l.SetLimit(rate.Limit(share))
		l.SetBurst(burst)
	}
}

// Share is this worker's calls a second (0: no budget) and the workers
// it is shared with.
func (b *WriteBudget) Share() (perSecond float64, workers int) {
	if b == nil || b.total <= 0 {
		return 0, 1
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total / float64(b.workers), b.workers
}

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
