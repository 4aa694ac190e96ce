package workerapp

import (
	"context"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/workflows"
)

// Workers are separate processes, so the deployment's write budget is
// shared by counting them: each worker takes the budget divided by the
// workers Temporal sees polling the task queue for activities, and counts
// again every writeShareEvery. Temporal lists a poller for a few minutes
// after its last poll, so a worker that died keeps its share until then
// (the others write less, never more), and a new worker writes at most
// its share on top of the others' until their next count. README.md,
// "Within Secrets Manager's write quota".
const writeShareEvery = 10 * time.Second

// shareWriteBudget keeps b's share current until ctx ends.
func shareWriteBudget(ctx context.Context, c client.Client, b *activities.WriteBudget, logger *slog.Logger) {
	t := time.NewTicker(writeShareEvery)
	defer t.Stop()
	for {
		n, err := activityPollers(ctx, c)
		if err != nil {
			logger.Warn("write budget: cannot count the workers; the share stays", "error", err)
		} else {
			before, _ := b.Share()
			b.SetWorkers(n)
			if after, workers := b.Share(); after != before {
				logger.Info("write budget shared", "workers", workers, "callsPerSecond", after)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// activityPollers counts the distinct workers polling the task queue for
// activities.
func activityPollers(ctx context.Context, c client.Client) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := c.DescribeTaskQueue(ctx, workflows.TaskQueue, enumspb.TASK_QUEUE_TYPE_ACTIVITY)
	if err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	for _, p := range resp.GetPollers() {
		seen[p.GetIdentity()] = true
	}
	return max(len(seen), 1), nil
}
