package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/credstage/credstage/activities"
)

// baselineAccessKey signs the baselines' AWS calls.
const baselineAccessKey = "credstage-baseline"

// rotateOnce is what a single rotation function does for one secret with
// no orchestration at all: credstage's own create, set, test and promote
// steps, called straight in a row against localaws and PostgreSQL.
// It returns how long each step took.
func rotateOnce(ctx context.Context, a *activities.Activities, secretID string, strategy activities.Strategy) ([4]time.Duration, error) {
	var took [4]time.Duration
	step := activities.RotationStep{SecretID: secretID, Token: uuid.NewString(), Strategy: strategy}
	t0 := time.Now()
	created, err := a.CreatePending(ctx, step)
	if err != nil {
		return took, fmt.Errorf("create %s: %w", secretID, err)
	}
	t1 := time.Now()
	if _, err := a.SetPending(ctx, step); err != nil {
		return took, fmt.Errorf("set %s: %w", secretID, err)
	}
	t2 := time.Now()
	if _, err := a.TestPending(ctx, step); err != nil {
		return took, fmt.Errorf("test %s: %w", secretID, err)
	}
	t3 := time.Now()
	if _, err := a.Promote(ctx, activities.PromoteInput{Step: step, CurrentVersionID: created.CurrentVersionID}); err != nil {
		return took, fmt.Errorf("promote %s: %w", secretID, err)
	}
	took = [4]time.Duration{t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), time.Since(t3)}
	return took, nil
}

// stepNames name rotateOnce's timings.
var stepNames = [4]string{"create", "set", "test", "promote"}

// loopResult is one baseline run.
type loopResult struct {
	rotations int
	wall      time.Duration
	latencies []time.Duration
	steps     [4][]time.Duration
}

func (r loopResult) perSecond() float64 { return float64(r.rotations) / r.wall.Seconds() }

// runLoop rotates every secret once on `workers` goroutines (1: the
// sequential baseline).
func runLoop(ctx context.Context, a *activities.Activities, secrets []string, strategy activities.Strategy, workers int) (loopResult, error) {
	var mu sync.Mutex
	res := loopResult{rotations: len(secrets)}
	start := time.Now()
	err := parallelDo(ctx, len(secrets), workers, func(ctx context.Context, i int) error {
		t0 := time.Now()
		took, err := rotateOnce(ctx, a, secrets[i], strategy)
		if err != nil {
			return err
		}
		d := time.Since(t0)
		mu.Lock()
		res.latencies = append(res.latencies, d)
		for k := range took {
			res.steps[k] = append(res.steps[k], took[k])
		}
		mu.Unlock()
		return nil
	})
	res.wall = time.Since(start)
	return res, err
}
