package workerapp

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/credstage/credstage/tests/stack"
)

func waitForSignal(ctx workflow.Context) error {
	workflow.GetSignalChannel(ctx, "go").Receive(ctx, nil)
	return nil
}

// TestRunChecker: a running workflow is open, by id and by run id; a
// finished one and an unknown one are not.
func TestRunChecker(t *testing.T) {
	tmp := stack.StartTemporal(t, stack.TemporalOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w := worker.New(tmp.Client, "runs-test", worker.Options{})
	w.RegisterWorkflow(waitForSignal)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	run, err := tmp.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "rotate/some/secret", TaskQueue: "runs-test"}, waitForSignal)
	if err != nil {
		t.Fatal(err)
	}
	rc := runChecker{tmp.Client}
	check := func(id, runID string, want bool) {
		t.Helper()
		got, err := rc.RunOpen(ctx, id, runID)
		if err != nil || got != want {
			t.Errorf("RunOpen(%q, %q) = %v, %v; want %v", id, runID, got, err, want)
		}
	}
	check("rotate/some/secret", "", true)
	check("rotate/some/secret", run.GetRunID(), true)
	check("rotate/other", "", false)
	if err := tmp.Client.SignalWorkflow(ctx, run.GetID(), run.GetRunID(), "go", nil); err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	check("rotate/some/secret", run.GetRunID(), false)
	check("rotate/some/secret", "", false)
}
