package tests

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/credstage/credstage/internal/iampolicy"
	"github.com/credstage/credstage/localaws"
	"github.com/credstage/credstage/tests/stack"
)

// allHistories returns the full JSON history of every workflow run in the
// namespace, keyed by workflow and run id.
func allHistories(ctx context.Context, t *testing.T, c client.Client) map[string]string {
	t.Helper()
	out := map[string]string{}
	var token []byte
	for {
		page, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: "default", PageSize: 500, NextPageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Executions {
			id, run := e.Execution.WorkflowId, e.Execution.RunId
			it := c.GetWorkflowHistory(ctx, id, run, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			var sb strings.Builder
			for it.HasNext() {
				ev, err := it.Next()
				if err != nil {
					t.Fatalf("history of %s: %v", id, err)
				}
				b, err := protojson.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				sb.Write(b)
				sb.WriteByte('\n')
			}
			out[id+"/"+run] = sb.String()
		}
		token = page.NextPageToken
		if len(token) == 0 {
			return out
		}
	}
}

// checkPolicyMatchesRequestLog compares the shipped worker policy with the
// actions the worker process really called during the run: nothing used
// that the policy lacks, nothing granted that is never used.
func checkPolicyMatchesRequestLog(t *testing.T, entries []localaws.RequestEntry) {
	t.Helper()
	root, err := stack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "deploy", "iam", "credstage-worker-policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		Statement []struct {
			Effect string
			Action any
		}
	}
	if err := json.Unmarshal(data, &policy); err != nil {
		t.Fatalf("worker policy is not valid JSON: %v", err)
	}
	granted := map[string]bool{}
	for _, st := range policy.Statement {
		if st.Effect != "Allow" {
			continue
		}
		switch a := st.Action.(type) {
		case string:
			granted[a] = true
		case []any:
			for _, x := range a {
				granted[x.(string)] = true
			}
		}
	}
	used := map[string]bool{}
	for _, e := range entries {
		if e.AccessKey != workerAccessKey {
			continue
		}
		used[e.Action] = true
		// localaws enforced the policy on every call (e2eIAM): the run
		// succeeding with it proves the policy is enough.
		if e.Principal != workerARN || !strings.HasPrefix(e.Decision, "allow") {
			t.Errorf("worker call %s on %s: principal %q, decision %q: want it allowed by the worker's policy under enforcement",
				e.Action, e.Resource, e.Principal, e.Decision)
		}
	}
	for _, a := range sortedKeys(used) {
		if !granted[a] {
			t.Errorf("the worker called %s, which the policy does not grant", a)
		}
	}
	// Actions AWS checks on the worker's behalf although no request of
	// that name is sent (a tag inside a create call, RDS creating its
	// master secret) count as used when a call that needs them was made.
	implied := iampolicy.Implied()
	for _, a := range sortedKeys(granted) {
		by := implied[a]
		if !used[a] && len(by) == 0 {
			t.Errorf("the policy grants %s, which the worker never called", a)
		}
		if len(by) > 0 && !slices.ContainsFunc(by, func(c string) bool { return used[c] }) {
			t.Errorf("the policy grants %s for %s, none of which the worker called", a, strings.Join(by, ", "))
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
