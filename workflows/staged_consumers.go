package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/credstage/credstage/activities"
)

// ConsumerSample is one count of a baking stage's consumers: how many
// sessions use the credentials now current and how many the ones before
// (activities.ConsumerCounts), so `credstage status` shows consumers
// moving over while the stage bakes.
type ConsumerSample struct {
	At time.Time `json:"at"`
	activities.ConsumerCounts
}

// Consumer watch cadence: about ten samples over a bake, none closer than
// minConsumerInterval. None is taken when the bake ends, and one still
// running then is cancelled, so the next stage starts on time.
const (
	consumerSamplesPerBake = 10
	minConsumerInterval    = 5 * time.Second
	// maxConsumerTargets bounds a sample's input: a stage of thousands of
	// secrets is sampled through its first ones, which the sample says.
	maxConsumerTargets = 200
)

// watchConsumers samples the stage's promoted secrets until bakeDone or
// an abort; sp.Consumers keeps the samples.
func (s *stagedRun) watchConsumers(ctx workflow.Context, i int, bake time.Duration, bakeDone workflow.Future) {
	targets := s.consumerTargets(s.plan.Stages[i].Name)
	if len(targets) == 0 {
		return
	}
	interval := max(bake/consumerSamplesPerBake, minConsumerInterval)
	for {
		if s.sampleConsumers(ctx, i, targets, bakeDone) {
			return
		}
		over, err := workflow.AwaitWithTimeout(ctx, interval, func() bool { return bakeDone.IsReady() || s.aborted })
		if over || err != nil {
			return
		}
	}
}

// consumerTargets are the stage's secrets that succeeded, in order.
func (s *stagedRun) consumerTargets(stage string) []activities.ConsumerTarget {
	var out []activities.ConsumerTarget
	for _, o := range s.outcomes {
		if o.Environment == stage && o.Status == StatusSucceeded && o.Strategy != activities.StrategyManagedMaster && len(out) < maxConsumerTargets {
			out = append(out, activities.ConsumerTarget{SecretID: o.SecretID, Strategy: o.Strategy})
		}
	}
	return out
}

// sampleConsumers takes one sample unless the bake ends or the run is
// aborted first, which cancels it (over: stop watching), so a slow count
// (unreachable instances) never holds the bake or an abort up.
func (s *stagedRun) sampleConsumers(ctx workflow.Context, i int, targets []activities.ConsumerTarget, bakeDone workflow.Future) (over bool) {
	var a *activities.Activities
	sctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	fut := workflow.ExecuteActivity(withConsumerOptions(sctx), a.CountConsumers, activities.CountConsumersInput{Targets: targets})
	if err := workflow.Await(ctx, func() bool { return fut.IsReady() || bakeDone.IsReady() || s.aborted }); err != nil || !fut.IsReady() {
		return true
	}
	var counts activities.ConsumerCounts
	if err := fut.Get(ctx, &counts); err != nil {
		workflow.GetLogger(ctx).Warn("consumer count failed; the bake goes on", "stage", s.plan.Stages[i].Name, "error", err)
		return false
	}
	sp := &s.progress.Stages[i]
	sp.Consumers = append(sp.Consumers, ConsumerSample{At: workflow.Now(ctx), ConsumerCounts: counts})
	return false
}

// withConsumerOptions: a count only reads; one retry, then the sample is
// skipped.
func withConsumerOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 2},
	})
}
