package workflows

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/credstage/credstage/activities"
)

// TestRecordHistories re-records testdata/*.json, the histories
// TestReplayRecordedHistories replays. It runs each workflow on the real
// dev server (bin/temporal, built from tools/) with fake activities
// registered under the real activity names, and writes each run's full
// history. Run it after a deliberate, versioned workflow change, keeping
// the old files too:
//
//	CREDSTAGE_RECORD_HISTORIES=1 go test -run TestRecordHistories ./workflows/
//
// CREDSTAGE_TEMPORAL_BIN overrides the binary's path;
// CREDSTAGE_RECORD_ONLY=name,... records only those scenarios (a new
// workflow's), leaving the other files as they are.
func TestRecordHistories(t *testing.T) {
	if os.Getenv("CREDSTAGE_RECORD_HISTORIES") != "1" {
		t.Skip("set CREDSTAGE_RECORD_HISTORIES=1 to re-record testdata/*.json against the dev server")
	}
	c := startRecordingServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	const queue = "credstage-record"
	f := newFake()
	w := worker.New(c, queue, worker.Options{})
	for _, wf := range Workflows() {
		w.RegisterWorkflow(wf)
	}
	registerFakeActivities(w, f)
	require.NoError(t, w.Start())
	defer w.Stop()

	// Failures are keyed by subject, so scenarios do not interfere.
	f.fail["Verify:rec/verify-fails"] = temporal.NewNonRetryableApplicationError("validation failed: http health: status 503", activities.ErrValidationFailed, nil)
	f.fail["Verify:rec/staged-fail/b"] = temporal.NewNonRetryableApplicationError("validation failed: sql probe: got 0", activities.ErrValidationFailed, nil)
	f.slow["SetPending:rec/busy"] = 3 * time.Second
	f.slow["SetPending:rec/abort-running/b"] = 3 * time.Second
	f.fail["CreateAppUser:rec_report"] = temporal.NewNonRetryableApplicationError("permission denied to create role", activities.ErrDatabaseRefused, nil)

	start := func(id string, wf any, arg any) client.WorkflowRun {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, wf, arg)
		require.NoError(t, err)
		return run
	}
	update := func(run client.WorkflowRun, name string, arg any) {
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: run.GetID(), RunID: run.GetRunID(),
			UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
		require.NoError(t, err)
		require.NoError(t, h.Get(ctx, nil))
	}
	awaitStatus := func(run client.WorkflowRun, status string) {
		require.Eventually(t, func() bool {
			v, err := c.QueryWorkflow(ctx, run.GetID(), run.GetRunID(), QueryProgress)
			if err != nil {
				return false
			}
			var p Progress
			return v.Get(&p) == nil && p.Status == status
		}, time.Minute, 100*time.Millisecond)
	}

	plan := func(name, a, b, prod string) Plan {
		return Plan{Name: name, Stages: []Stage{
			{Name: "staging", MaxParallel: 1, Bake: time.Second, Targets: []Target{
				{SecretID: a, Strategy: activities.StrategySingleUser},
				{SecretID: b, Strategy: activities.StrategyAlternatingUsers}},
				Validators: []activities.Validator{{Name: "health", HTTP: &activities.HTTPCheck{URL: "http://127.0.0.1:8080/healthz"}}}},
			{Name: "production", RequireApproval: true, Targets: []Target{{SecretID: prod, Strategy: activities.StrategySingleUser}}},
		}}
	}
	provision := func(id string, users ...activities.AppUser) activities.ProvisionRequest {
		return activities.ProvisionRequest{Identifier: id, Environment: "staging", DBName: "orders", Users: users}
	}

	result := func(run client.WorkflowRun) StagedRotationResult {
		var res StagedRotationResult
		require.NoError(t, run.Get(ctx, &res))
		return res
	}

	scenarios := []struct {
		file string
		run  func() client.WorkflowRun
	}{
		{"rotate_secret_succeeded", func() client.WorkflowRun {
			in := rotateInput("rec/ok", activities.StrategySingleUser)
			in.PublishMetrics = true
			return start(SecretWorkflowID("rec/ok"), RotateSecret, in)
		}},
		{"rotate_secret_rolled_back", func() client.WorkflowRun {
			in := rotateInput("rec/verify-fails", activities.StrategyAlternatingUsers)
			in.PublishMetrics = true
			return start(SecretWorkflowID("rec/verify-fails"), RotateSecret, in)
		}},
		{"rotate_secret_managed_master", func() client.WorkflowRun {
			return start(SecretWorkflowID("rec-master"), RotateSecret, rotateInput("rec-master", activities.StrategyManagedMaster))
		}},
		{"staged_rotation_approved", func() client.WorkflowRun {
			run := start("staged/rec-approved", StagedRotation, StagedRotationInput{Plan: plan("rec-approved", "rec/ok/a", "rec/ok/b", "rec/ok/prod")})
			awaitStatus(run, StatusAwaitingApproval)
			update(run, UpdateApprove, ApproveInput{Stage: "production", Approver: "recorder"})
			return run
		}},
		{"staged_rotation_rolled_back", func() client.WorkflowRun {
			return start("staged/rec-failed", StagedRotation, StagedRotationInput{Plan: plan("rec-failed", "rec/staged-fail/a", "rec/staged-fail/b", "rec/staged-fail/prod")})
		}},
		{"staged_rotation_aborted", func() client.WorkflowRun {
			run := start("staged/rec-aborted", StagedRotation, StagedRotationInput{Plan: plan("rec-aborted", "rec/abort/a", "rec/abort/b", "rec/abort/prod")})
			awaitStatus(run, StatusAwaitingApproval)
			update(run, UpdateAbort, AbortInput{Reason: "recorded abort", By: "recorder"})
			return run
		}},
		{"staged_rotation_secret_busy", func() client.WorkflowRun {
			// Another run holds rotate/rec/busy: the real server refuses the
			// child, and the target fails with the lock's message.
			busy := start(SecretWorkflowID("rec/busy"), RotateSecret, rotateInput("rec/busy", activities.StrategySingleUser))
			run := start("staged/rec-busy", StagedRotation, StagedRotationInput{Plan: plan("rec-busy", "rec/busy", "rec/busy/b", "rec/busy/prod")})
			res := result(run)
			require.Equal(t, StatusRolledBack, res.Status)
			require.Equal(t, "secret rec/busy is already being rotated by workflow rotate/rec/busy", res.Stages[0].Targets[0].Error)
			require.Equal(t, StatusSkipped, res.Stages[0].Targets[1].Status)
			require.NoError(t, busy.Get(ctx, nil))
			return run
		}},
		{"staged_rotation_aborted_running", func() client.WorkflowRun {
			// The abort arrives while b's child is inside its (slow) set
			// step: b rolls itself back, a is rolled back by the plan.
			run := start("staged/rec-abort-running", StagedRotation, StagedRotationInput{Plan: plan("rec-abort-running", "rec/abort-running/a", "rec/abort-running/b", "rec/abort-running/prod")})
			require.Eventually(t, func() bool {
				for _, c := range f.called("SetPending") {
					if c.Subject == "rec/abort-running/b" {
						return true
					}
				}
				return false
			}, time.Minute, 50*time.Millisecond)
			update(run, UpdateAbort, AbortInput{Reason: "recorded abort while running"})
			res := result(run)
			require.Equal(t, StatusAborted, res.Status)
			require.Equal(t, StatusRolledBack, res.Stages[0].Targets[0].Status)
			require.Equal(t, StatusRolledBack, res.Stages[0].Targets[1].Status)
			var rolledBackB bool
			for _, rb := range f.rollbacks() {
				if rb.Step.SecretID == "rec/abort-running/b" {
					rolledBackB = rb.PasswordSet && !rb.Promoted
				}
			}
			require.True(t, rolledBackB, "b's child rolled back its set step")
			return run
		}},
		{"staged_rotation_consumer_watch", func() client.WorkflowRun {
			// A bake long enough for three consumer samples, and a drain
			// report from the alternating target's set step.
			p := plan("rec-watch", "rec/watch/a", "rec/watch/b", "rec/watch/prod")
			p.Stages[0].Bake = 12 * time.Second
			p.Stages[0].Drain = &activities.Drain{Mode: activities.DrainWarn}
			p.Stages[1].RequireApproval = false
			f.drainSessions = 2
			run := start("staged/rec-watch", StagedRotation, StagedRotationInput{Plan: p})
			res := result(run)
			f.drainSessions = 0
			require.Equal(t, StatusSucceeded, res.Status)
			require.Len(t, res.Stages[0].Consumers, 3)
			require.NotNil(t, res.Stages[0].Targets[1].Drain)
			return run
		}},
		{"revoke_secret", func() client.WorkflowRun {
			return start(SecretWorkflowID("rec/revoke"), RevokeSecret, RevokeSecretInput{SecretID: "rec/revoke",
				VersionID: "v-old", Terminate: true, Environment: "staging", Reason: "recorded"})
		}},
		{"rollback_secret", func() client.WorkflowRun {
			return start(SecretWorkflowID("rec/rollback"), RollbackSecret, RollbackSecretInput{SecretID: "rec/rollback",
				Strategy: activities.StrategySingleUser, ExpectCurrentVersionID: "v-new", Environment: "staging", Reason: "recorded"})
		}},
		{"provision_database_succeeded", func() client.WorkflowRun {
			return start("provision/rec-db", ProvisionDatabase, provision("rec-db",
				activities.AppUser{Name: "rec_app", Strategy: activities.StrategyAlternatingUsers, Grants: []string{"readwrite"}}))
		}},
		{"inventory", func() client.WorkflowRun {
			return start("inventory/rec", Inventory, InventoryInput{DefaultMaxAge: 24 * time.Hour, PerSecretMetrics: true, MaxRows: 2})
		}},
		{"provision_database_compensated", func() client.WorkflowRun {
			return start("provision/rec-db-fails", ProvisionDatabase, provision("rec-db-fails",
				activities.AppUser{Name: "rec_app", Strategy: activities.StrategySingleUser},
				activities.AppUser{Name: "rec_report", Strategy: activities.StrategySingleUser, Grants: []string{"readonly"}}))
		}},
	}
	only := strings.Split(os.Getenv("CREDSTAGE_RECORD_ONLY"), ",")
	for _, sc := range scenarios {
		if only[0] != "" && !slices.Contains(only, sc.file) {
			continue
		}
		run := sc.run()
		err := run.Get(ctx, nil)
		var wee *temporal.WorkflowExecutionError
		if err != nil && !errors.As(err, &wee) {
			require.NoError(t, err, sc.file)
		}
		writeHistory(ctx, t, c, run, filepath.Join("testdata", sc.file+".json"))
	}
}

func registerFakeActivities(w worker.Worker, f *fakeActivities) {
	for name, fn := range map[string]any{
		"CreatePending": f.CreatePending, "SetPending": f.SetPending, "TestPending": f.TestPending,
		"Promote": f.Promote, "Verify": f.Verify, "Rollback": f.Rollback, "RestorePrevious": f.RestorePrevious,
		"RotateManagedMaster": f.RotateManagedMaster, "VerifyLogin": f.VerifyLogin, "PublishMetrics": f.PublishMetrics,
		"CreateDBInstance": f.CreateDBInstance, "WaitInstanceAvailable": f.WaitInstanceAvailable,
		"CreateAppUser": f.CreateAppUser, "DeleteAppUser": f.DeleteAppUser, "DeleteDBInstance": f.DeleteDBInstance,
		"CountConsumers": f.CountConsumers, "RevokePrevious": f.RevokePrevious,
		"InventoryPage": fakeInventoryPage,
	} {
		w.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

func writeHistory(ctx context.Context, t *testing.T, c client.Client, run client.WorkflowRun, path string) {
	t.Helper()
	iter := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	hist := &historypb.History{}
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		hist.Events = append(hist.Events, ev)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
	t.Logf("%s: %d events", path, len(hist.Events))
}

// startRecordingServer starts the real dev server (bin/temporal, or
// $CREDSTAGE_TEMPORAL_BIN) with credstage's search attributes, stopped
// when the test ends, and returns its client.
func startRecordingServer(t *testing.T) client.Client {
	t.Helper()
	bin := os.Getenv("CREDSTAGE_TEMPORAL_BIN")
	if bin == "" {
		bin = filepath.Join("..", "bin", "temporal")
	}
	bin, err := filepath.Abs(bin)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	quiet := tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  bin,
		ClientOptions: &client.Options{Logger: quiet},
		LogLevel:      "error",
		SearchAttributes: temporal.NewSearchAttributes(
			SearchAttrEnvironment.ValueSet(""), SearchAttrSecret.ValueSet(""), SearchAttrStatus.ValueSet("")),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	return srv.Client()
}
