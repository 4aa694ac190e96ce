package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/credstage/credstage/internal/plan"
	"github.com/credstage/credstage/tests/stack"
)

// TestDashboardBodyGolden pins the body: a change to the dashboard shows
// up as a reviewed diff of testdata/dashboard/body.json.
func TestDashboardBodyGolden(t *testing.T) {
	body, err := dashboardBody(dashboardSpec{Namespace: "Credstage", Region: "eu-west-1", Environments: []string{"production", "staging"}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "dashboard/body.json", string(body)+"\n")
	again, _ := dashboardBody(dashboardSpec{Namespace: "Credstage", Region: "eu-west-1", Environments: []string{"production", "staging"}})
	if string(again) != string(body) {
		t.Fatal("the same spec built two different bodies: apply could never be a no-op")
	}
	empty, err := dashboardBody(dashboardSpec{Namespace: "Credstage", Region: "eu-west-1"})
	if err != nil || strings.Contains(string(empty), "null") {
		t.Fatalf("no environments: %v\n%s", err, empty)
	}
}

// TestDashboardApplyLocalAWS applies the dashboard to localaws, finding
// the environments from the managed secrets' tags, applies again (nothing
// changes), and reads it back with GetDashboard.
func TestDashboardApplyLocalAWS(t *testing.T) {
	l := stack.StartLocalAWS(t)
	srv, cfg := l.Server, l.Config
	ctx := context.Background()
	sm := secretsmanager.NewFromConfig(cfg)
	for _, s := range []struct{ name, env, managed string }{
		{"app/prod", "production", "true"}, {"app/stg", "staging", "true"}, {"app/stg2", "staging", "true"},
		{"other/qa", "qa", "false"}, {"untagged", "", "true"},
	} {
		tags := []smtypes.Tag{{Key: aws.String(plan.TagManaged), Value: aws.String(s.managed)}}
		if s.env != "" {
			tags = append(tags, smtypes.Tag{Key: aws.String(plan.TagEnvironment), Value: aws.String(s.env)})
		}
		if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(s.name), SecretString: aws.String(`{"password":"never-shown-x9"}`), Tags: tags}); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"AWS_ENDPOINT_URL": srv.URL(), "AWS_ACCESS_KEY_ID": stack.TestAccessKey, "AWS_SECRET_ACCESS_KEY": stack.TestSecretKey}

	r := run(t, env, "dashboard", "apply", "-o", "json")
	if r.code != 0 {
		t.Fatalf("dashboard apply: %s", r)
	}
	var res dashboardResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if res.Name != "credstage" || !res.Changed || strings.Join(res.Environments, ",") != "production,staging" || res.ConsoleURL != "" {
		t.Fatalf("first apply: %+v", res)
	}
	r = run(t, env, "dashboard", "apply")
	if r.code != 0 || !strings.Contains(r.stdout, "dashboard credstage unchanged") {
		t.Fatalf("second apply is not a no-op: %s", r)
	}
	if strings.Contains(r.stdout+r.stderr, "never-shown") {
		t.Fatal("a secret value reached the output")
	}

	got, err := cloudwatch.NewFromConfig(cfg).GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String("credstage")})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := dashboardBody(dashboardSpec{Namespace: "Credstage", Region: "us-east-1", Environments: []string{"production", "staging"}})
	if aws.ToString(got.DashboardBody) != string(want) {
		t.Fatalf("stored body differs:\n%s", aws.ToString(got.DashboardBody))
	}
	if strings.Contains(aws.ToString(got.DashboardBody), "never-shown") {
		t.Fatal("a secret value reached the dashboard")
	}

	r = run(t, env, "dashboard", "apply", "--name", "ops", "--environment", "qa", "--environment", "qa")
	if r.code != 0 || !strings.Contains(r.stdout, "dashboard ops updated (namespace Credstage, environments: qa)") {
		t.Fatalf("apply --environment: %s", r)
	}
	if r := run(t, env, "dashboard", "apply", "--name", "has space"); r.code != ExitBadInput || !strings.Contains(r.stderr, "--name") {
		t.Fatalf("bad --name: %s", r)
	}
}

func TestDashboardConsoleURL(t *testing.T) {
	if got := dashboardConsoleURL("eu-west-1", "credstage"); got != "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/credstage" {
		t.Fatal(got)
	}
}
