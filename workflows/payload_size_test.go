package workflows

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/credstage/credstage/activities"
)

// temporalBlobLimit is the Temporal server's default limit on one
// payload (BlobSizeLimitError); past it a command fails.
const temporalBlobLimit = 2 << 20

// TestLargePlanPayloadsFitTemporal: a 10,000-secret stage's plan, the
// progress query's answer, the run's result and the state handed over by
// continue-as-new each stay under Temporal's payload limit, with secret
// names as long as production fleets use.
func TestLargePlanPayloadsFitTemporal(t *testing.T) {
	const n = 10_000
	stage := Stage{Name: "production"}
	progress := StageProgress{Name: "production", Status: StatusSucceeded}
	for i := range n {
		id := fmt.Sprintf("production/orders-%04d/app-user-%05d", i/100, i)
		stage.Targets = append(stage.Targets, Target{SecretID: id, Strategy: activities.StrategyAlternatingUsers})
		progress.Targets = append(progress.Targets, TargetProgress{SecretID: id, Step: activities.StepVerify, Status: StatusSucceeded})
	}
	plan := Plan{Name: "fleet", Stages: []Stage{stage, {Name: "dr", Targets: stage.Targets[:1]}}}
	p := Progress{Plan: "fleet", Stages: []StageProgress{progress, {Name: "dr", Status: StatusPending, Targets: progress.Targets[:1]}}}
	outcomes := make([]TargetOutcome, n)
	for i := range outcomes {
		outcomes[i] = TargetOutcome{SecretID: stage.Targets[i].SecretID, Environment: "production", Status: StatusSucceeded, Promoted: true}
	}
	run := &stagedRun{plan: plan, progress: p, outcomes: outcomes}
	for name, v := range map[string]any{
		"plan":     StagedRotationInput{Plan: plan},
		"progress": p,
		"result":   StagedRotationResult{Plan: "fleet", Stages: p.Stages},
		"resume":   run.resumeInput(1),
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes, %.0f a secret", name, len(b), float64(len(b))/n)
		if len(b) > temporalBlobLimit {
			t.Errorf("%s of a %d-secret plan is %d bytes, past Temporal's %d", name, n, len(b), temporalBlobLimit)
		}
	}
}
