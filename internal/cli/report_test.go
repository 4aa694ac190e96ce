package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/credstage/credstage/internal/inventory"
)

// reportNow is the instant testdata/report/rows.json was taken at.
var reportNow = time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)

func reportRows(t *testing.T) []inventory.Row {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "report", "rows.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []inventory.Row
	if err := json.Unmarshal(data, &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestReportGolden pins `credstage report`'s text and JSON from fixed rows.
func TestReportGolden(t *testing.T) {
	rows := reportRows(t)
	for name, asJSON := range map[string]bool{"report.txt": false, "report.jsonl": true} {
		var out bytes.Buffer
		if err := writeReport(&out, rows, reportNow, asJSON); err != nil {
			t.Fatal(err)
		}
		golden(t, "report/"+name, out.String())
	}
}

// TestReportNeedsAttention is the exit status rule: overdue, failed or
// rolled back count; a secret without a limit, or a missing one, does not.
func TestReportNeedsAttention(t *testing.T) {
	want := map[string]bool{"production/orders/app": true, "rds!db-0123": false, "staging/orders/app": true, "staging/reports": false}
	for _, r := range reportRows(t) {
		if got := r.NeedsAttention(); got != want[r.Name] {
			t.Errorf("%s: NeedsAttention %v, want %v", r.Name, got, want[r.Name])
		}
	}
}
