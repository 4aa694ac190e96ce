package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/workflows"
)

func TestProgressShowsConsumers(t *testing.T) {
	at := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	drain := &activities.DrainReport{Mode: activities.DrainWarn, Sessions: activities.Sessions{Role: "app_clone", Count: 2, Since: at, NewestStart: at,
		Clients: []activities.SessionClient{{Address: "10.0.0.7", ApplicationName: "billing", Sessions: 2}}}}
	running := workflows.Progress{Plan: "p", Status: workflows.StatusRunning, Stages: []workflows.StageProgress{{Name: "staging", Status: workflows.StatusRunning,
		Targets: []workflows.TargetProgress{{SecretID: "s/app", Status: workflows.StatusRunning, Step: "set"}}}}}
	set := running
	set.Stages = []workflows.StageProgress{running.Stages[0]}
	set.Stages[0].Targets = []workflows.TargetProgress{{SecretID: "s/app", Status: workflows.StatusRunning, Step: "test", Drain: drain}}

	events := strings.Join(progressEvents(running, set), "\n")
	if !strings.Contains(events, `stage staging: s/app: drain warn: still logging in as the old role: 2 session(s) opened as role "app_clone"`) ||
		!strings.Contains(events, `10.0.0.7 "billing" ×2`) {
		t.Errorf("live view events:\n%s", events)
	}
	if again := progressEvents(set, set); len(again) != 0 {
		t.Errorf("the drain report is shown once, then: %v", again)
	}

	baking := set
	baking.Stages = []workflows.StageProgress{set.Stages[0]}
	baking.Stages[0].Status = workflows.StatusBaking
	baking.Stages[0].Consumers = []workflows.ConsumerSample{{At: at, ConsumerCounts: activities.ConsumerCounts{Secrets: 4, OnCurrent: 12, OnPrevious: 3}}}
	lines := strings.Join(progressLines(baking, "staged/p/1", at), "\n")
	if !strings.Contains(lines, "sessions on the new credentials 12, on the old 3 (4 secrets") || !strings.Contains(lines, "drain warn") {
		t.Errorf("status lines:\n%s", lines)
	}
}
