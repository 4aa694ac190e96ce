package inventory

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/credstage/credstage/engine"
	"github.com/credstage/credstage/localaws"
)

type fixedPlans Index

func (p fixedPlans) Index(context.Context) (Index, error) { return Index(p), nil }

func newSM(t *testing.T) *secretsmanager.Client {
	t.Helper()
	srv, err := localaws.New(localaws.Options{Ephemeral: true, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"), config.WithBaseEndpoint(srv.URL()),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("k", "s", "")))
	if err != nil {
		t.Fatal(err)
	}
	return secretsmanager.NewFromConfig(cfg)
}

func create(t *testing.T, sm *secretsmanager.Client, name string, tags ...string) string {
	t.Helper()
	in := &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(`{"password":"never-read"}`)}
	for i := 0; i+1 < len(tags); i += 2 {
		in.Tags = append(in.Tags, smtypes.Tag{Key: aws.String(tags[i]), Value: aws.String(tags[i+1])})
	}
	out, err := sm.CreateSecret(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

// TestSourceListsManagedAndPlannedSecrets: pages of ListSecrets (more than
// one), the exact credstage:managed=true pair, plan-named secrets without
// the tag, a missing one, and no secret counted twice.
func TestSourceListsManagedAndPlannedSecrets(t *testing.T) {
	sm := newSM(t)
	for i := range PageSize + 5 {
		create(t, sm, fmt.Sprintf("staging/app-%03d", i), TagManaged, "true", TagEnvironment, "staging", TagStrategy, "single-user")
	}
	create(t, sm, "staging/not-managed", TagManaged, "false", TagEnvironment, "staging")
	failedARN := create(t, sm, "production/app", TagManaged, "true", TagEnvironment, "production",
		engine.TagOutcomes, "R:1796228400:1a2b3c4d S:1796142000:9f8e7d6c")
	create(t, sm, "production/master") // no tags: a plan names it
	next := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
	ix := Index{}
	ix.Add("production/app", "nightly", "production", "alternating-users", 30*24*time.Hour, next)
	ix.Add(failedARN, "weekly", "production", "alternating-users", 7*24*time.Hour, next.Add(-time.Hour)) // by ARN, stricter
	ix.Add("production/master", "nightly", "production", "rds-managed-master", time.Nanosecond, next)
	ix.Add("production/gone", "nightly", "production", "single-user", 0, next)

	src := NewSource(sm, fixedPlans(ix), Rates{ListSecrets: 1000, ListSecretVersionIds: 1000, DescribeSecret: 1000})
	now := time.Now().Add(time.Second)
	rows, err := src.All(context.Background(), 0, now)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Row{}
	for _, r := range rows {
		if _, dup := by[r.Name]; dup {
			t.Errorf("%s listed twice", r.Name)
		}
		by[r.Name] = r
	}
	if len(rows) != PageSize+5+3 {
		t.Errorf("%d rows, want %d", len(rows), PageSize+5+3)
	}
	if _, ok := by["staging/not-managed"]; ok {
		t.Error("credstage:managed=false listed")
	}
	app := by["production/app"]
	if app.MaxAgeSeconds != 7*24*3600 || !app.NextRun.Equal(next.Add(-time.Hour)) || len(app.Schedules) != 2 ||
		app.LastStatus != engine.StatusRolledBack || !app.NeedsAttention() || app.Overdue || app.Strategy != "alternating-users" {
		t.Errorf("production/app %+v", app)
	}
	master := by["production/master"]
	if !master.Overdue || master.Environment != "production" || master.Strategy != "rds-managed-master" || master.CurrentCreated.IsZero() {
		t.Errorf("production/master %+v", master)
	}
	if gone := by["production/gone"]; gone.Error == "" || gone.Overdue {
		t.Errorf("production/gone %+v", gone)
	}
	if st := by["staging/app-000"]; st.Environment != "staging" || st.MaxAgeSeconds != 0 || st.Overdue || st.CurrentCreated.IsZero() {
		t.Errorf("staging/app-000 %+v", st)
	}

	// The inventory's default applies to secrets no plan limits.
	rows, err = src.All(context.Background(), time.Nanosecond, now)
	if err != nil {
		t.Fatal(err)
	}
	var overdue int
	for _, r := range rows {
		if r.Overdue {
			overdue++
		}
	}
	if overdue != PageSize+5+1 { // every staging secret and the master; not production/app (7d), not the missing one
		t.Errorf("%d overdue with a default of 1ns, want %d", overdue, PageSize+5+1)
	}
}

func TestTotalsAndKeep(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	rows := []Row{
		{Name: "b", Environment: "staging", AgeSeconds: 50, CurrentCreated: now, Overdue: true},
		{Name: "a", Environment: "staging", AgeSeconds: 90, CurrentCreated: now},
		{Name: "c", Environment: "production", AgeSeconds: 10, CurrentCreated: now, LastStatus: engine.StatusFailed},
		{Name: "d", Environment: "production", Error: "secret not found"},
	}
	tot := Totals(nil).Add(rows[:2]...).Add(rows[2:]...)
	want := Totals{{Environment: "production", Managed: 2, OldestAgeSeconds: 10, Unknown: 1, Failed: 1},
		{Environment: "staging", Managed: 2, Overdue: 1, OldestAgeSeconds: 90}}
	if fmt.Sprint(tot) != fmt.Sprint(want) {
		t.Errorf("totals %+v, want %+v", tot, want)
	}
	kept := Keep(Keep(nil, rows[:2], 3), rows[2:], 3)
	if len(kept) != 3 || kept[0].Name != "b" || kept[1].Name != "c" || kept[2].Name != "a" {
		t.Errorf("kept %+v", kept)
	}
}

func TestOverdueRule(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		age, maxAge time.Duration
		want        bool
	}{{91 * 24 * time.Hour, 90 * 24 * time.Hour, true}, {90 * 24 * time.Hour, 90 * 24 * time.Hour, false}, {time.Hour, 0, false}} {
		if got := Overdue(now.Add(-c.age), c.maxAge, now); got != c.want {
			t.Errorf("age %s, maxAge %s: %v", c.age, c.maxAge, got)
		}
	}
	if Overdue(time.Time{}, time.Second, now) {
		t.Error("an unknown age is overdue")
	}
}

// denyVersions refuses ListSecretVersionIds on one secret, as a resource
// policy that is not credstage's may.
type denyVersions struct {
	*secretsmanager.Client
	arn string
}

func (d denyVersions) ListSecretVersionIds(ctx context.Context, in *secretsmanager.ListSecretVersionIdsInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error) {
	if aws.ToString(in.SecretId) == d.arn {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "denied by the resource policy"}
	}
	return d.Client.ListSecretVersionIds(ctx, in, opts...)
}

func TestSourceLeavesARefusedSecretWithoutAge(t *testing.T) {
	sm := newSM(t)
	create(t, sm, "staging/open", TagManaged, "true", TagEnvironment, "staging")
	locked := create(t, sm, "staging/locked", TagManaged, "true", TagEnvironment, "staging")
	rows, err := NewSource(denyVersions{sm, locked}, nil, Rates{}).All(context.Background(), time.Nanosecond, time.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Name != "staging/locked" || rows[0].Error == "" || rows[0].Overdue || !rows[1].Overdue {
		t.Errorf("rows %+v", rows)
	}
}
