package stack

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

func greet(ctx workflow.Context, name string) (string, error) {
	if err := workflow.Sleep(ctx, 10*time.Millisecond); err != nil {
		return "", err
	}
	return "hello " + name, nil
}

// TestDevServerRunsAWorkflow proves the helper gives a real dev server from
// bin/temporal, with credstage's search attributes registered, that runs a
// workflow end to end.
func TestDevServerRunsAWorkflow(t *testing.T) {
	tmp := StartTemporal(t, TemporalOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	w := worker.New(tmp.Client, "stack-test", worker.Options{})
	w.RegisterWorkflow(greet)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	run, err := tmp.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "stack-test"}, greet, "credstage")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if got != "hello credstage" {
		t.Fatalf("result %q, want %q", got, "hello credstage")
	}

	attrs, err := tmp.Client.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"CredstageEnvironment", "CredstageSecret", "CredstageStatus"} {
		if attrs.CustomAttributes[name] != enums.INDEXED_VALUE_TYPE_KEYWORD {
			t.Errorf("search attribute %s is %v, want Keyword", name, attrs.CustomAttributes[name])
		}
	}
}
