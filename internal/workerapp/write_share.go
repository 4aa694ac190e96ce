package workerapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/workflows"
)

// Workers are separate processes, so the deployment's write budget is
// shared by what each of them runs, as Temporal shows it to all of them
// alike (docs/architecture.md, "Within Secrets Manager's write quota"):
//
//   - The view. Every writeShareEvery each worker lists the workers
//     polling the task queue for activities and, from the open
//     StagedRotation runs, the batch activities (activities.
//     BatchActivities) running and on which worker. Both come from
//     Temporal's own records (the task queue's pollers, each run's pending
//     activities), so every worker sees the same view.
//   - The share. A worker's weight is the batches it runs plus idleWeight
//     (which keeps some budget for the rest of its work: RotateSecret's
//     steps, a small stage), and its share is its weight over the sum of
//     every worker's. The shares of one view add up to the whole budget,
//     wherever Temporal placed the batches: two batches on one worker of
//     two give that worker 2.1/2.2 of the budget, not half.
//   - Changes. A smaller share applies at once; a larger one only once two
//     successive views agree on it (the lower of the two), so every other
//     worker has taken a view in between and given up its part first. A
//     worker that cannot take a view counts itself idle at once: it
//     writes less, never more.
//
// A worker that died stays in the view while Temporal lists it (its
// pollers for a few minutes, its batches until their heartbeat times
// out), so the others write less, never more.
const (
	writeShareEvery = 2 * time.Second
	idleWeight      = 0.1
	// maxRunsViewed bounds the runs described per view (one page).
	maxRunsViewed = 100
)

// budgetView is the deployment as one view shows it: every worker
// (identity) and the batch activities it runs.
type budgetView map[string]int

// shareOf is the fraction of the budget worker me takes in view v.
func shareOf(v budgetView, me string) float64 {
	sum := 0.0
	for _, batches := range v {
		sum += float64(batches) + idleWeight
	}
	if _, listed := v[me]; !listed {
		sum += idleWeight
	}
	return (float64(v[me]) + idleWeight) / sum
}

// idle is v with me running nothing.
func (v budgetView) idle(me string) budgetView {
	out := budgetView{}
	for w, n := range v {
		out[w] = n
	}
	out[me] = 0
	return out
}

// nextShare is the share to take now, from the current one, the target
// of the previous view and that of this one: a decrease at once, an
// increase only as far as both views agree.
func nextShare(current, previous, target float64) float64 {
	if target <= current {
		return target
	}
	return max(current, min(previous, target))
}

// shareWriteBudget keeps b's share current until ctx ends; me is the
// worker's identity as Temporal lists it.
func shareWriteBudget(ctx context.Context, c client.Client, b *activities.WriteBudget, me string, logger *slog.Logger) {
	t := time.NewTicker(writeShareEvery)
	defer t.Stop()
	last := budgetView{}
	_, previous := b.Share()
	seen := -1 // workers in the last view logged
	for {
		before, current := b.Share()
		if v, err := viewBudget(ctx, c); err != nil {
			// Idle at once: a smaller share never waits for agreement.
			previous = shareOf(last.idle(me), me)
			b.SetShare(min(current, previous))
			logger.Warn("write budget: cannot see the other workers; taking an idle worker's share", "error", err)
		} else {
			target := shareOf(v, me)
			b.SetShare(nextShare(current, previous, target))
			last, previous = v, target
		}
		if after, fraction := b.Share(); after != before || len(last) != seen {
			seen = len(last)
			logger.Info("write budget shared", "worker", me, "workers", len(last), "batchesHere", last[me],
				"fraction", fmt.Sprintf("%.3f", fraction), "callsPerSecond", after)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// viewBudget takes one view: the workers polling the task queue for
// activities, and the batch activities each runs in the open
// StagedRotation runs.
func viewBudget(ctx context.Context, c client.Client) (budgetView, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := c.DescribeTaskQueue(ctx, workflows.TaskQueue, enumspb.TASK_QUEUE_TYPE_ACTIVITY)
	if err != nil {
		return nil, err
	}
	v := budgetView{}
	for _, p := range resp.GetPollers() {
		v[p.GetIdentity()] += 0
	}
	runs, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		PageSize: maxRunsViewed,
		Query:    "WorkflowType = 'StagedRotation' AND ExecutionStatus = 'Running'",
	})
	if err != nil {
		return nil, err
	}
	for _, run := range runs.GetExecutions() {
		exec := run.GetExecution()
		d, err := c.DescribeWorkflow(ctx, exec.GetWorkflowId(), exec.GetRunId())
		var gone *serviceerror.NotFound
		if errors.As(err, &gone) {
			continue // closed and gone since the list
		}
		if err != nil {
			return nil, err
		}
		for _, pa := range d.RawResponse.GetPendingActivities() {
			if pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED &&
				slices.Contains(activities.BatchActivities, pa.GetActivityType().GetName()) {
				v[pa.GetLastWorkerIdentity()]++
			}
		}
	}
	return v, nil
}
