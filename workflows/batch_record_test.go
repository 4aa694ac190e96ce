package workflows

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/credstage/credstage/activities"
)

// TestRecordBatchedHistories records the batched-stage histories under
// testdata/ (staged_rotation_batched*.json) on the real dev server, like
// TestRecordHistories does for the others, with fake batch activities:
//
//	CREDSTAGE_RECORD_HISTORIES=1 go test -run TestRecordBatchedHistories ./workflows/
func TestRecordBatchedHistories(t *testing.T) {
	if os.Getenv("CREDSTAGE_RECORD_HISTORIES") != "1" {
		t.Skip("set CREDSTAGE_RECORD_HISTORIES=1 to re-record testdata/staged_rotation_batched*.json against the dev server")
	}
	c := startRecordingServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	const queue = "credstage-record-batched"
	f, b := newFake(), newFakeBatches()
	b.outcome["production/13"] = activities.BatchOutcome{Status: activities.BatchRolledBack, LastStep: activities.StepVerify,
		PreviousVersionID: "old-production/13", PasswordSet: true, Promoted: true, ValidationFailed: true,
		Error: "validation failed: sql probe: got 0", ErrorType: activities.ErrValidationFailed}
	w := worker.New(c, queue, worker.Options{})
	for _, wf := range Workflows() {
		w.RegisterWorkflow(wf)
	}
	registerFakeActivities(w, f)
	for name, fn := range map[string]any{"RotateBatch": b.RotateBatch, "RollbackBatch": b.RollbackBatch, "FinishBatch": b.FinishBatch} {
		w.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
	require.NoError(t, w.Start())
	defer w.Stop()

	plan := fleetPlan(25, 10)
	plan.Stages[0].Targets = append(plan.Stages[0].Targets, Target{SecretID: "rds!db-rec", Strategy: activities.StrategyManagedMaster})
	for _, sc := range []struct {
		file   string
		id     string
		plan   Plan
		status string
	}{
		// Staging in three batches plus a managed master's child; in
		// production one secret fails validation: production rolls back.
		{"staged_rotation_batched", "staged/rec-batched", plan, StatusRolledBack},
	} {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: sc.id, TaskQueue: queue}, StagedRotation, StagedRotationInput{Plan: sc.plan})
		require.NoError(t, err)
		var res StagedRotationResult
		err = run.Get(ctx, &res)
		var wee *temporal.WorkflowExecutionError
		if err != nil && !errors.As(err, &wee) {
			require.NoError(t, err, sc.file)
		}
		require.Equal(t, sc.status, res.Status, res.Summary)
		writeHistory(ctx, t, c, run, filepath.Join("testdata", sc.file+".json"))
	}
}
