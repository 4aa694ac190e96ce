package workflows

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/credstage/credstage/activities"
)

// TestStepTimeoutBoundsEveryStep: a rotation's StepTimeout becomes the
// ScheduleToClose (and caps the StartToClose) of every step, while the
// rollback keeps its own, longer budget; a staged rotation hands its
// stage's StepTimeout to each target.
func TestStepTimeoutBoundsEveryStep(t *testing.T) {
	f := newFake()
	f.fail["Verify"] = nonRetryable(activities.ErrValidationFailed)
	env := newTestEnv(t, f, nil)
	var mu sync.Mutex
	seen := map[string]activity.Info{}
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		mu.Lock()
		defer mu.Unlock()
		seen[info.ActivityType.Name] = *info
	})
	in := rotateInput("staging/orders/app", activities.StrategySingleUser)
	in.StepTimeout = 7 * time.Second
	env.ExecuteWorkflow(RotateSecret, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())

	for _, name := range []string{"CreatePending", "SetPending", "TestPending", "Promote", "Verify"} {
		info, ok := seen[name]
		require.True(t, ok, name)
		assert.Equal(t, 7*time.Second, info.ScheduleToCloseTimeout, name)
		assert.Equal(t, 7*time.Second, info.StartToCloseTimeout, name)
	}
	assert.Equal(t, 30*time.Minute, seen["Rollback"].ScheduleToCloseTimeout, "rollback keeps its own budget")
}

func TestStepTimeoutIsValidated(t *testing.T) {
	p := Plan{Name: "p", Stages: []Stage{{Name: "staging", StepTimeout: time.Millisecond,
		Targets: []Target{{SecretID: "s", Strategy: activities.StrategySingleUser}}}}}
	err := p.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stages[0].stepTimeout: must be 0 (the defaults) or at least 1s")

	f := newFake()
	in := rotateInput("s", activities.StrategySingleUser)
	in.StepTimeout = -time.Second
	_, err = runRotate(t, f, in)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stepTimeout: must be 0")
	assert.Empty(t, f.names(), "nothing runs with an invalid input")
}
