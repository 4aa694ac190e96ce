package workerapp

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/credstage/credstage/workflows"
)

// TestViewBudgetAgainstDevServer: the view the write budget is shared by
// comes from Temporal's own records. Worker a runs a batch of an open
// StagedRotation run (a stand-in registered under that name), worker b
// only polls: the view lists both, the batch on a, and a's share is
// 1.1/1.2 of the budget, b's the rest.
func TestViewBudgetAgainstDevServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := startDevServer(ctx, t)
	c := srv.Client()

	running := make(chan struct{}, 1)
	batch := func(ctx context.Context) error {
		running <- struct{}{}
		for ctx.Err() == nil {
			activity.RecordHeartbeat(ctx)
			time.Sleep(200 * time.Millisecond)
		}
		return ctx.Err()
	}
	staged := func(ctx workflow.Context) error {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute, HeartbeatTimeout: 10 * time.Second})
		return workflow.ExecuteActivity(ctx, "RotateBatch").Get(ctx, nil)
	}
	wa := worker.New(c, workflows.TaskQueue, worker.Options{Identity: "worker-a"})
	wa.RegisterWorkflowWithOptions(staged, workflow.RegisterOptions{Name: "StagedRotation"})
	wa.RegisterActivityWithOptions(batch, activity.RegisterOptions{Name: "RotateBatch"})
	if err := wa.Start(); err != nil {
		t.Fatal(err)
	}
	defer wa.Stop()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "staged/view", TaskQueue: workflows.TaskQueue}, "StagedRotation")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.TerminateWorkflow(context.Background(), run.GetID(), run.GetRunID(), "test over") }()
	select {
	case <-running:
	case <-ctx.Done():
		t.Fatal("the batch never started")
	}
	// Worker b starts once the batch runs on a, so that it cannot take it.
	wb := worker.New(c, workflows.TaskQueue, worker.Options{Identity: "worker-b"})
	wb.RegisterActivityWithOptions(func(context.Context) error { return nil }, activity.RegisterOptions{Name: "Idle"})
	if err := wb.Start(); err != nil {
		t.Fatal(err)
	}
	defer wb.Stop()

	var v budgetView
	for {
		v, err = viewBudget(ctx, c)
		if err == nil && len(v) == 2 && v["worker-a"] == 1 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("view %v (%v), want worker-a running one batch and worker-b idle", v, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if v["worker-b"] != 0 {
		t.Errorf("view %v: worker-b runs nothing", v)
	}
	if a, b := shareOf(v, "worker-a"), shareOf(v, "worker-b"); !near(a, 1.1/1.2) || !near(b, 0.1/1.2) {
		t.Errorf("shares a %.3f, b %.3f; want %.3f and %.3f", a, b, 1.1/1.2, 0.1/1.2)
	}
}
