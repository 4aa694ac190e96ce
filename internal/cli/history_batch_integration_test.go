package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/credstage/credstage/engine"
)

// TestIntegrationHistoryOfABatchedRotation: a rotation inside a batch has
// no run of its own, yet `credstage history` lists it, found through the
// version its token names, with the outcome the secret's tag recorded.
func TestIntegrationHistoryOfABatchedRotation(t *testing.T) {
	s := startStack(t)
	provisioned(t, s)
	plan := writePlan(t, "it-batch-history", "name: it-batch-history\nstages:\n  - name: staging\n    batchSize: 2\n    targets:\n      - secret: "+itReport+"\n      - secret: "+itSched+"\n")
	if r := s.cli(t, "rotate", plan, "--wait"); r.code != 0 {
		t.Fatalf("batched rotation: %s", r)
	}
	r := s.cli(t, "history", itReport, "-o", "json")
	if r.code != 0 {
		t.Fatalf("history: %s", r)
	}
	var batched *historyRow
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var row historyRow
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("history json: %v in %q", err, line)
		}
		if strings.HasPrefix(row.WorkflowID, "staged/it-batch-history/") {
			batched = &row
			break
		}
	}
	if batched == nil {
		t.Fatalf("history of %s lacks the batched rotation:\n%s", itReport, r.stdout)
	}
	run, _ := engine.TokenRun(batched.VersionID)
	if batched.Outcome != engine.StatusSucceeded || batched.Source != sourceVersions || run != batched.RunID ||
		!strings.Contains(batched.Type, "batch") || len(batched.Labels) == 0 || batched.Labels[0] != "AWSCURRENT" {
		t.Errorf("batched row = %+v", *batched)
	}
	if r := s.cli(t, "history", itReport); r.code != 0 || !strings.Contains(r.stdout, sourceVersions) || strings.Contains(r.stdout, "password") {
		t.Errorf("history text: %s", r)
	}
}
