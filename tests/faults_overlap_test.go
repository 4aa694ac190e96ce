package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/localaws"
	"github.com/credstage/credstage/workflows"
)

// TestFaultsOverlappingPlans runs `credstage rotate --wait` of two plans
// that share secrets, the second started while the first holds them: each
// secret is rotated by one run at a time (checked on every run's start and
// close times), the second run is refused the shared secrets with a clear
// message and rolls back what it had promoted, and every credential logs
// in afterwards. Everything the CLI printed goes through the leak scan.
func TestFaultsOverlappingPlans(t *testing.T) {
	t.Parallel() // mostly waiting (timeouts, outages): runs beside the other waiting tests
	s := startE2EStack(t)
	keepLogOnFailure(t, s)
	rep := newReport(t)
	ctx := testContext(t, 6*time.Minute)
	cli := newCLIRecorder()

	var users []activities.AppUser
	for i := 0; i < 6; i++ {
		strategy := activities.StrategySingleUser
		if i%2 == 1 {
			strategy = activities.StrategyAlternatingUsers
		}
		users = append(users, activities.AppUser{Name: fmt.Sprintf("u%d", i), Strategy: strategy})
	}
	in, u := provisionInstance(ctx, t, s, "overlap", "staging", users)
	rep.add(0, 1)
	in.writeCanary(ctx, t)
	before := currentVersions(ctx, t, s, u)

	dir := t.TempDir()
	writePlan := func(name string, maxParallel int, secrets ...int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "name: %s\nstages:\n  - name: staging\n    maxParallel: %d\n    validators:\n      - sql: {query: \"SELECT 1\", expect: \"1\"}\n    targets:\n", name, maxParallel)
		for _, i := range secrets {
			fmt.Fprintf(&b, "      - secret: %s\n        strategy: %s\n", u[i], users[i].Strategy)
		}
		path := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	planA := writePlan("overlap-a", 2, 0, 1, 2, 3)
	planB := writePlan("overlap-b", 2, 4, 2, 3, 5)

	// The first run holds u2 and u3 a while: their promotions stall.
	for _, i := range []int{2, 3} {
		fid := s.aws.Server.Faults().Add(workerFault(localaws.Fault{Service: "secretsmanager", Op: "UpdateSecretVersionStage",
			Resource: u[i], Latency: 5 * time.Second, Count: 1}))
		defer func() { rep.add(hitsOf(s, fid), 0) }()
	}
	env := s.cliEnv()
	var wg sync.WaitGroup
	var resA, resB cliResult
	wg.Add(2)
	go func() {
		defer wg.Done()
		resA = cli.run(ctx, env, "rotate", planA, "--wait", "--poll-interval", "250ms")
	}()
	waitFor(ctx, t, "the first run holding "+u[2], func() bool {
		d, err := s.client().DescribeWorkflow(ctx, workflows.SecretWorkflowID(u[2]), "")
		return err == nil && d.RawResponse.WorkflowExecutionInfo.CloseTime == nil
	})
	go func() {
		defer wg.Done()
		resB = cli.run(ctx, env, "rotate", planB, "--wait", "--poll-interval", "250ms")
	}()
	wg.Wait()

	if resA.code != 0 {
		t.Errorf("first rotate: %s", resA)
	}
	if resB.code != 1 || !strings.Contains(resB.stdout+resB.stderr, "already being rotated by workflow "+workflows.SecretWorkflowID(u[2])) {
		t.Errorf("second rotate: want exit 1 and the refusal naming %s: %s", workflows.SecretWorkflowID(u[2]), resB)
	}
	t.Logf("second rotate (exit %d):\n%s%s", resB.code, resB.stdout, resB.stderr)

	// A rotated u0-u3 once; B's own u4 was rotated and rolled back; u5
	// never started.
	for i, id := range u {
		if !checkCredential(ctx, t, s, rep, id) {
			continue
		}
		cur := versionWith(ctx, t, s.sm, id, "AWSCURRENT")
		switch i {
		case 0, 1, 2, 3:
			if prev := versionWith(ctx, t, s.sm, id, "AWSPREVIOUS"); cur == before[id] || prev != before[id] {
				t.Errorf("%s: AWSCURRENT %s, AWSPREVIOUS %s: want rotated once from %s", id, cur, prev, before[id])
			}
		default:
			if cur != before[id] {
				t.Errorf("%s: AWSCURRENT %s, want %s (rolled back, or never started)", id, cur, before[id])
			}
		}
	}
	assertOneRunAtATime(ctx, t, s)
	in.checkCanary(ctx, t, rep)
	rep.add(1, countRuns(ctx, t, s.client())-1) // the overlap itself is the fault
	scanForLeaks(ctx, t, s, cli)
}

// assertOneRunAtATime checks, from visibility, that no two runs under the
// same rotate/<secret> workflow ID were ever open at the same time.
func assertOneRunAtATime(ctx context.Context, t *testing.T, s *e2eStack) {
	t.Helper()
	type span struct{ start, end time.Time }
	byID := map[string][]span{}
	var token []byte
	for {
		page, err := s.client().ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: "default", PageSize: 500, NextPageToken: token, Query: "WorkflowId STARTS_WITH 'rotate/'"})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Executions {
			sp := span{start: e.StartTime.AsTime(), end: time.Now()}
			if e.CloseTime != nil {
				sp.end = e.CloseTime.AsTime()
			}
			byID[e.Execution.WorkflowId] = append(byID[e.Execution.WorkflowId], sp)
		}
		if token = page.NextPageToken; len(token) == 0 {
			break
		}
	}
	for id, spans := range byID {
		sort.Slice(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })
		for i := 1; i < len(spans); i++ {
			if spans[i].start.Before(spans[i-1].end) {
				t.Errorf("%s: two runs overlapped (%s-%s and %s-%s)", id, spans[i-1].start, spans[i-1].end, spans[i].start, spans[i].end)
			}
		}
	}
	if len(byID) == 0 {
		t.Error("no rotate/ runs found")
	}
}
