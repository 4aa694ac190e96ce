package tests

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credstage/credstage/internal/cli"
)

// cliRecorder runs credstage commands in-process against a stack and keeps
// everything they printed, for the leak scan.
type cliRecorder struct {
	mu      sync.Mutex
	outputs map[string]string
	n       int
}

func newCLIRecorder() *cliRecorder { return &cliRecorder{outputs: map[string]string{}} }

type cliResult struct {
	code           int
	stdout, stderr string
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// run executes one command with exactly env (plus nothing of the test
// process's environment) and records its output.
func (c *cliRecorder) run(ctx context.Context, env map[string]string, args ...string) cliResult {
	return c.runInput(ctx, env, "", args...)
}

// runInput is run with stdin as the command's standard input.
func (c *cliRecorder) runInput(ctx context.Context, env map[string]string, stdin string, args ...string) cliResult {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := cli.RunInput(ctx, args, strings.NewReader(stdin), &stdout, &stderr, func(k string) string { return env[k] })
	res := cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
	c.mu.Lock()
	c.n++
	c.outputs[fmt.Sprintf("credstage %v (#%d)", args, c.n)] = res.stdout + "\n" + res.stderr
	c.mu.Unlock()
	return res
}

func (c *cliRecorder) all() map[string]string {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]string, len(c.outputs))
	for k, v := range c.outputs {
		out[k] = v
	}
	return out
}

// cliEnv is the environment a user's shell would have for this stack.
func (s *e2eStack) cliEnv(extra ...string) map[string]string {
	env := map[string]string{
		"TEMPORAL_ADDRESS":          s.temporal.Address,
		"TEMPORAL_NAMESPACE":        "default",
		"AWS_ENDPOINT_URL":          s.aws.URL,
		"AWS_REGION":                "us-east-1",
		"AWS_ACCESS_KEY_ID":         cliAccessKey,
		"AWS_SECRET_ACCESS_KEY":     cliSecretKey,
		"AWS_EC2_METADATA_DISABLED": "true",
		"USER":                      "fault-test",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

// scanForLeaks is the leak scan of a test: no password Secrets Manager
// holds (any version of any secret) appears in a workflow history, the
// worker's log, the localaws request log, or what the CLI printed.
func scanForLeaks(ctx context.Context, t *testing.T, s *e2eStack, cliOut *cliRecorder) {
	t.Helper()
	passwords := allPasswords(ctx, t, s.sm)
	if len(passwords) == 0 {
		t.Fatal("no password found: the leak scan would prove nothing")
	}
	for id, h := range allHistories(ctx, t, s.client()) {
		assertNoPassword(t, "history of "+id, h, passwords)
	}
	assertNoPassword(t, "worker log", s.logs.String(), passwords)
	assertNoPassword(t, "localaws request log", fmt.Sprint(s.aws.Server.Requests().Entries()), passwords)
	outs := cliOut.all()
	names := make([]string, 0, len(outs))
	for k := range outs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		assertNoPassword(t, "output of "+k, outs[k], passwords)
	}
	t.Logf("leak scan: %d passwords, %d CLI outputs, %d bytes of worker log: clean", len(passwords), len(names), len(s.logs.String()))
}
