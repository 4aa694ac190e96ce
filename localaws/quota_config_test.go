package localaws

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuotaTableDefaults: AWS's table has a burst of one second of rate
// where AWS publishes none, RDS's published 300, and names every
// operation at most once per service.
func TestQuotaTableDefaults(t *testing.T) {
	byName := map[string]QuotaFamily{}
	seen := map[string]string{}
	for _, f := range AWSQuotas() {
		byName[f.Name] = f
		for _, op := range f.Operations {
			if prev, dup := seen[f.Service+" "+op]; dup {
				t.Fatalf("%s %s is in %s and %s", f.Service, op, prev, f.Name)
			}
			seen[f.Service+" "+op] = f.Name
		}
	}
	for name, want := range map[string][2]float64{
		"secretsmanager:writes": {50, 50}, "secretsmanager:GetSecretValue": {10_000, 10_000},
		"secretsmanager:DescribeSecret": {40_000, 40_000}, "secretsmanager:ListSecrets": {100, 100},
		"rds:api": {12, 300}, "cloudwatch:PutMetricData": {500, 500}, "cloudwatch:PutMetricAlarm": {3, 3},
	} {
		if f := byName[name]; f.Rate != want[0] || f.Burst != want[1] {
			t.Errorf("%s: rate %v burst %v, want %v %v", name, f.Rate, f.Burst, want[0], want[1])
		}
	}
	if got := seen["secretsmanager UpdateSecretVersionStage"]; got != "secretsmanager:writes" {
		t.Errorf("UpdateSecretVersionStage draws from %q, want the combined writes", got)
	}
}

// TestQuotaConfigScaleAndOverrides: the scale applies to the table (a
// bucket never below one call), an override is taken as written.
func TestQuotaConfigScaleAndOverrides(t *testing.T) {
	table, err := (&QuotaConfig{Scale: 0.25, Families: map[string]QuotaLimit{"rds:api": {Rate: 1}}}).Table()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]float64{}
	for _, f := range table {
		got[f.Name] = [2]float64{f.Rate, f.Burst}
	}
	for name, want := range map[string][2]float64{
		"secretsmanager:writes": {12.5, 12.5}, "secretsmanager:GetSecretValue": {2500, 2500},
		"cloudwatch:PutMetricAlarm": {0.75, 1}, "rds:api": {1, 1},
	} {
		if got[name] != want {
			t.Errorf("%s: got %v, want %v", name, got[name], want)
		}
	}
}

// TestLoadQuotaConfig reads YAML and JSON, and refuses what it would
// otherwise half apply.
func TestLoadQuotaConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, content := range map[string]string{
		"q.yaml": "scale: 0.5\nfamilies:\n  secretsmanager:writes: {rate: 2, burst: 4}\n",
		"q.json": `{"scale": 0.5, "families": {"secretsmanager:writes": {"rate": 2, "burst": 4}}}`,
	} {
		cfg, err := LoadQuotaConfig(write(name, content))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cfg.Scale != 0.5 || cfg.Families["secretsmanager:writes"] != (QuotaLimit{Rate: 2, Burst: 4}) {
			t.Fatalf("%s: got %+v", name, cfg)
		}
	}
	for content, want := range map[string]string{
		"families:\n  secretsmanager:write: {rate: 2}\n": `unknown family "secretsmanager:write" (known: secretsmanager:writes,`,
		"scael: 0.1\n": "field scael not found",
		"families:\n  rds:api: {rate: 2, brust: 3}\n":   "field brust not found",
		"families:\n  rds:api: {rate: 0}\n":             "rds:api: rate 0 must be a positive number",
		"families:\n  rds:api: {rate: 2, burst: 0.5}\n": "rds:api: burst 0.5 must be at least 1",
		"scale: -1\n":   "scale -1: must be a positive number",
		"scale: .nan\n": "scale NaN: must be a positive number",
		"families:\n  rds:api: {rate: 1}\n  rds:api: {rate: 2}\n": `mapping key "rds:api" already defined`,
		"\n": "the file is empty",
	} {
		_, err := LoadQuotaConfig(write("bad.yaml", content))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error containing %q", content, err, want)
		}
	}
	if _, err := New(Options{Ephemeral: true, Quotas: &QuotaConfig{Scale: -2}}); err == nil || !strings.Contains(err.Error(), "quota config") {
		t.Errorf("New with a bad quota config: %v", err)
	}
}

// TestQuotaModeOff: without Options.Quotas nothing is throttled and the
// admin view says so; with it, the view lists the table enforced.
func TestQuotaModeOff(t *testing.T) {
	off, _ := startSMServer(t, Options{})
	var view struct {
		Enabled  bool          `json:"enabled"`
		Families []QuotaFamily `json:"families"`
	}
	getAdminJSON(t, off, "/_localaws/quotas", &view)
	if view.Enabled || len(view.Families) != 0 || off.QuotaTable() != nil {
		t.Fatalf("quota mode off: %+v", view)
	}
	c := quotaSMClient(off, "us-east-1", "AKIDQUOTATEST", "s")
	for range 60 {
		_, err := c.GetRandomPassword(smCtx(t), nil)
		requireNoErr(t, "GetRandomPassword with quotas off", err)
	}
	on, _ := startSMServer(t, Options{Quotas: &QuotaConfig{Scale: 0.5}})
	getAdminJSON(t, on, "/_localaws/quotas", &view)
	if !view.Enabled || len(view.Families) != len(awsQuotaTable) || view.Families[0].Rate != 25 {
		t.Fatalf("quota mode on: %+v", view)
	}
}
