package workflows

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
)

// TestReplayRecordedHistories replays every history under testdata/
// (recorded from the real dev server by record_histories_test.go) against
// the current workflow code: a change that would break executions already
// running fails here with a nondeterminism error, unless it is guarded
// with workflow.GetVersion (see versions.go).
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories in testdata/ (record them with CREDSTAGE_RECORD_HISTORIES=1)")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			for _, wf := range Workflows() {
				replayer.RegisterWorkflow(wf)
			}
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(nil, file))
		})
	}
}
