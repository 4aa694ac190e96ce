package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"

	"github.com/credstage/credstage/engine"
	"github.com/credstage/credstage/internal/awsconfig"
	"github.com/credstage/credstage/workflows"
)

// TestIntegrationInventoryAndReport, over the real stack: a managed secret
// older than the inventory's --max-age, and one a scheduled plan names
// with its own maxAge, are both overdue; the inventory publishes
// OverdueSecrets and OldestSecretAge for their environment (read back
// from CloudWatch), `credstage report` exits 1, and 0 once the limit is
// generous; no secret value appears in any output, the run's history or
// the worker's log.
func TestIntegrationInventoryAndReport(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg, err := awsconfig.Load(ctx, func(k string) string { return s.env[k] })
	if err != nil {
		t.Fatal(err)
	}
	sm := secretsmanager.NewFromConfig(cfg)
	env := fmt.Sprintf("it-inv-%d", time.Now().UnixNano())
	password := fmt.Sprintf("Inv-Sekrit-%d", time.Now().UnixNano())
	value := `{"engine":"postgres","host":"127.0.0.1","port":5432,"username":"inv","password":"` + password + `","dbname":"x"}`
	managed, planned := env+"/managed", env+"/planned"
	for _, sec := range []struct {
		name string
		tags []smtypes.Tag
	}{
		{managed, []smtypes.Tag{{Key: aws.String("credstage:managed"), Value: aws.String("true")},
			{Key: aws.String("Environment"), Value: aws.String(env)}, {Key: aws.String("credstage:strategy"), Value: aws.String("single-user")},
			{Key: aws.String(engine.TagOutcomes), Value: aws.String("S:1796228400:1a2b3c4d")}}},
		{planned, nil}, // not tagged: found through the schedule's plan
	} {
		if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(sec.name), SecretString: aws.String(value), Tags: sec.tags}); err != nil {
			t.Fatal(err)
		}
	}
	planFile := filepath.Join(t.TempDir(), "inv.yaml")
	if err := os.WriteFile(planFile, []byte("name: "+env+"\nstages:\n  - name: "+env+"\n    maxAge: 1s\n    targets: [{secret: "+planned+"}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := s.cli(t, "schedule", "create", env, "--every", "24h", "--plan", planFile); r.code != 0 {
		t.Fatalf("schedule create: %s", r)
	}
	t.Cleanup(func() { s.cli(t, "schedule", "delete", env) })
	time.Sleep(2 * time.Second) // both AWSCURRENT versions are now older than 1s

	// apply creates (or, after another test run, updates) the schedule;
	// applying the same settings again changes nothing.
	if r := s.cli(t, "inventory", "apply", "--every", "1h", "--max-age", "1s"); r.code != 0 {
		t.Fatalf("inventory apply: %s", r)
	}
	if r := s.cli(t, "inventory", "apply", "--every", "1h", "--max-age", "1s"); r.code != 0 || !strings.HasPrefix(r.stdout, "Unchanged schedule "+workflows.InventoryScheduleID) {
		t.Fatalf("second apply: %s", r)
	}

	r := s.cli(t, "inventory", "run", "--wait", "-o", "json")
	if r.code != 0 {
		t.Fatalf("inventory run: %s", r)
	}
	var res workflows.InventoryResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("inventory run output: %v\n%s", err, r.stdout)
	}
	var found bool
	for _, e := range res.Environments {
		if e.Environment == env {
			found = true
			if e.Managed != 2 || e.Overdue != 2 || e.OldestAgeSeconds < 1 {
				t.Errorf("totals of %s: %+v", env, e)
			}
		}
	}
	if !found {
		t.Fatalf("no totals for %s in %+v", env, res.Environments)
	}

	// The roll-ups are in CloudWatch.
	cw := cloudwatch.NewFromConfig(cfg)
	got := map[string]float64{}
	for _, metric := range []string{engine.MetricOverdueSecrets, engine.MetricOldestSecretAge, engine.MetricManagedSecrets} {
		out, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(time.Now().Add(-10 * time.Minute)), EndTime: aws.Time(time.Now().Add(time.Minute)),
			MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String(workflows.DefaultMetricsNamespace), MetricName: aws.String(metric),
					Dimensions: []cwtypes.Dimension{{Name: aws.String(engine.DimEnvironment), Value: aws.String(env)}}},
				Period: aws.Int32(60), Stat: aws.String("Maximum")}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.MetricDataResults) == 1 && len(out.MetricDataResults[0].Values) > 0 {
			got[metric] = out.MetricDataResults[0].Values[0]
		}
	}
	if got[engine.MetricOverdueSecrets] != 2 || got[engine.MetricOldestSecretAge] < 1 || got[engine.MetricManagedSecrets] != 2 {
		t.Errorf("metrics of %s: %v", env, got)
	}

	// The report fails on overdue secrets, and passes once the limit is
	// generous and the schedule whose plan set 1s is gone (its secret,
	// not tagged managed, then leaves the report).
	rep := s.cli(t, "report", "--environment", env)
	if rep.code != ExitFailed {
		t.Fatalf("report with overdue secrets: want exit 1, got %s", rep)
	}
	t.Logf("credstage report:\n%s", rep.stdout)
	for _, want := range []string{managed, planned, "yes (max 1s)", "succeeded", "2 managed secrets: 2 overdue"} {
		if !strings.Contains(rep.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, rep.stdout)
		}
	}
	s.cli(t, "schedule", "delete", env)
	ok := s.cli(t, "report", "--environment", env, "--max-age", "100d", "-o", "json")
	if ok.code != 0 {
		t.Fatalf("report without overdue secrets: want exit 0, got %s", ok)
	}
	if strings.Count(ok.stdout, "\n") != 1 || strings.Contains(ok.stdout, `"overdue":true`) {
		t.Errorf("report -o json: %s", ok.stdout)
	}

	// No value anywhere.
	c, err := client.Dial(client.Options{HostPort: s.env["TEMPORAL_ADDRESS"]})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var history strings.Builder
	runs, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default",
		Query: "WorkflowType = '" + workflows.InventoryType + "'"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range runs.Executions {
		hi := c.GetWorkflowHistory(ctx, e.Execution.WorkflowId, e.Execution.RunId, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for hi.HasNext() {
			ev, err := hi.Next()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := proto.Marshal(ev) // payloads verbatim, not base64 as in JSON
			history.Write(b)
		}
	}
	if history.Len() == 0 {
		t.Error("no inventory history found")
	}
	logData, _ := os.ReadFile(s.logPath)
	for name, text := range map[string]string{"inventory run": r.stdout + r.stderr, "report": rep.stdout + rep.stderr + ok.stdout + ok.stderr,
		"history": history.String(), "worker log": string(logData)} {
		if strings.Contains(text, password) {
			t.Errorf("the secret's password appears in the %s", name)
		}
	}
}
