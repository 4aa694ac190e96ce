package tests

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/localaws"
	"github.com/credstage/credstage/tests/stack"
	"github.com/credstage/credstage/workflows"
)

// The principal `credstage agent` signs with in TestAgentThroughRotations:
// an application's, holding the reader policy credstage ships.
const (
	agentARN       = "arn:aws:iam::000000000000:role/credstage-agent"
	agentAccessKey = "credstage-agent"
	agentSecretKey = "credstage-agent-secret"
)

// TestAgentThroughRotations runs `credstage agent` as a user would: the
// real program, its SSRF token in a file, signing as an application with
// the shipped reader policy under enforced IAM. Applications read their
// secret from GET /secretsmanager/get every 20 ms and log in with it
// (verify-full against the RDS CA bundle, SCRAM), and when a password is
// refused they ask again with refreshNow=true until it logs in, as an
// application written for the AWS agent does. Through one rotation of each
// strategy no login fails, the agent serves the new AWSCURRENT within
// --check-interval + 1 s of the promote, and neither what the agent
// printed nor its /metrics holds any password Secrets Manager keeps.
func TestAgentThroughRotations(t *testing.T) {
	root, err := stack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := credstageBinary(t)
	s := startE2EStackWith(t, e2eOptions{iam: e2eIAM(t, nil, localaws.IAMPrincipal{ARN: agentARN,
		AccessKeyID: agentAccessKey, SecretAccessKey: agentSecretKey,
		PolicyFiles: []string{filepath.Join(root, "deploy", "iam", "credstage-reader-policy.json")}})})
	keepLogOnFailure(t, s)
	ctx := testContext(t, 4*time.Minute)
	users := []activities.AppUser{
		{Name: "alt", Strategy: activities.StrategyAlternatingUsers, Grants: []string{"readonly"}},
		{Name: "solo", Strategy: activities.StrategySingleUser, Grants: []string{"readonly"}},
	}
	_, names := provisionInstance(ctx, t, s, "agent-e2e", "staging", users)
	const interval = time.Second
	agent := startAgent(ctx, t, bin, s, interval)

	apps := make([]*clientApp, len(names))
	retried := make([]atomic.Int64, len(names))
	for i, name := range names {
		apps[i] = startClientApp(ctx, name+" (agent)", func(ctx context.Context) error {
			return agent.login(ctx, s, name, &retried[i])
		})
	}
	time.Sleep(200 * time.Millisecond)
	for i, name := range names {
		before := versionWith(ctx, t, s.sm, name, "AWSCURRENT")
		watchCtx, stopWatch := context.WithCancel(ctx)
		promote := currentMoved(watchCtx, s.sm, name, before)
		out, err := rotateOne(ctx, t, s, workflows.RotateSecretInput{Target: workflows.Target{SecretID: name, Strategy: users[i].Strategy},
			Environment: "staging", Validators: sqlCanary})
		if err != nil || out.Status != workflows.StatusSucceeded {
			t.Fatalf("rotation of %s: %s (%s): %v", name, out.Status, out.Error, err)
		}
		var promoted time.Time
		select {
		case promoted = <-promote:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: AWSCURRENT never seen moving", name)
		}
		stopWatch()
		current := versionWith(ctx, t, s.sm, name, "AWSCURRENT")
		waitFor(ctx, t, "the agent to serve the new version of "+name, func() bool {
			v, _, err := agent.get(ctx, name, false)
			return err == nil && v == current
		})
		took := time.Since(promoted)
		t.Logf("%s (%s): the new version served %v after the promote", name, users[i].Strategy, took.Round(time.Millisecond))
		if took > interval+time.Second {
			t.Errorf("%s (%s): the agent served the new version %v after the promote, want within the check interval (%v) + 1 s",
				name, users[i].Strategy, took, interval)
		}
		time.Sleep(interval) // logins with the new credentials
	}
	for i, name := range names {
		ok, failed, lastErr := apps[i].stop()
		t.Logf("%s (%s) through the agent: %d logins, %d after a refused password and refreshNow, %d failed",
			name, users[i].Strategy, ok, retried[i].Load(), failed)
		if failed != 0 || ok < 10 {
			t.Errorf("%s: %d of %d logins failed (last: %v); want none", name, failed, ok+failed, lastErr)
		}
		assertInvariant(ctx, t, s, name)
	}

	// The agent's refusals, which it logs, so the scan below reads them.
	for what, req := range map[string]func(*http.Request){
		"no token":        func(r *http.Request) { r.Header.Del("X-Aws-Parameters-Secrets-Token") },
		"X-Forwarded-For": func(r *http.Request) { r.Header.Set("X-Forwarded-For", "203.0.113.7") },
		"an unknown secret": func(r *http.Request) {
			r.URL.RawQuery = url.Values{"secretId": {"staging/agent-e2e/nobody"}}.Encode()
		},
	} {
		if status, _ := agent.do(ctx, "/secretsmanager/get?"+url.Values{"secretId": {names[0]}}.Encode(), req); status == http.StatusOK {
			t.Errorf("a request with %s was answered 200", what)
		}
	}
	status, metrics := agent.do(ctx, "/metrics", nil)
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d", status)
	}
	for _, name := range names {
		if want := fmt.Sprintf(`credstage_agent_secret_version{secret=%q,version=%q} 1`, name, versionWith(ctx, t, s.sm, name, "AWSCURRENT")); !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	agent.stop(t)
	if !strings.Contains(agent.stderr.String(), "refused a request") {
		t.Errorf("the agent logged none of its refusals:\n%s", agent.stderr.String())
	}

	scanForLeaks(ctx, t, s, nil)
	passwords := allPasswords(ctx, t, s.sm)
	for _, name := range names {
		for _, stage := range []string{"AWSCURRENT", "AWSPREVIOUS"} {
			sec, err := readSecret(ctx, s.sm, name, stage, "")
			if err != nil || !slices.Contains(passwords, sec.Password) {
				t.Fatalf("the scan misses the %s password of %s (%v)", stage, name, err)
			}
		}
	}
	assertNoPassword(t, "the agent's standard output", agent.stdout.String(), passwords)
	assertNoPassword(t, "the agent's standard error", agent.stderr.String(), passwords)
	assertNoPassword(t, "the agent's /metrics", metrics, passwords)
	t.Logf("agent leak scan: %d passwords, %d bytes of output, %d bytes of metrics: clean",
		len(passwords), len(agent.stdout.String())+len(agent.stderr.String()), len(metrics))
}

// currentMoved reports when AWSCURRENT of secretID leaves version from,
// polling as the administrator.
func currentMoved(ctx context.Context, sm *secretsmanager.Client, secretID, from string) <-chan time.Time {
	moved := make(chan time.Time, 1)
	go func() {
		for ctx.Err() == nil {
			out, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretID)})
			if err == nil {
				for v, stages := range out.VersionIdsToStages {
					if v != from && slices.Contains(stages, "AWSCURRENT") {
						moved <- time.Now()
						return
					}
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(25 * time.Millisecond):
			}
		}
	}()
	return moved
}

// agentProcess is `credstage agent` running as a process.
type agentProcess struct {
	cmd            *exec.Cmd
	done           chan error
	stopOnce       sync.Once
	url, token     string
	stdout, stderr *lockedBuffer
	http           *http.Client
}

var agentListening = regexp.MustCompile(`listening on (http://127\.0\.0\.1:[0-9]+)`)

// startAgent starts the agent on a free port, with only the environment a
// user would give it, and stops it when the test ends.
func startAgent(ctx context.Context, t *testing.T, bin string, s *e2eStack, interval time.Duration) *agentProcess {
	t.Helper()
	dir := t.TempDir()
	token := rand.Text()
	tokenFile := filepath.Join(dir, "agent-token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &agentProcess{token: token, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan error, 1),
		http: &http.Client{Timeout: 10 * time.Second}}
	a.cmd = exec.Command(bin, "agent", "--port", "0", "--check-interval", interval.String())
	a.cmd.Env = []string{
		"HOME=" + dir,
		"AWS_TOKEN=file://" + tokenFile,
		"AWS_ENDPOINT_URL=" + s.aws.URL,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=" + agentAccessKey,
		"AWS_SECRET_ACCESS_KEY=" + agentSecretKey,
		"AWS_EC2_METADATA_DISABLED=true",
	}
	a.cmd.Stdout, a.cmd.Stderr = a.stdout, a.stderr
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("start the agent: %v", err)
	}
	go func() { a.done <- a.cmd.Wait() }()
	t.Cleanup(func() { a.stop(t) })
	deadline := time.After(20 * time.Second)
	for {
		if m := agentListening.FindStringSubmatch(a.stdout.String()); m != nil {
			a.url = m[1]
			return a
		}
		select {
		case err := <-a.done:
			a.done <- err
			t.Fatalf("the agent exited (%v):\n%s%s", err, a.stdout.String(), a.stderr.String())
		case <-deadline:
			t.Fatalf("the agent did not listen within 20 s:\n%s%s", a.stdout.String(), a.stderr.String())
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop ends the agent with SIGTERM, by its process id, as a service
// manager would, and expects it to exit cleanly.
func (a *agentProcess) stop(t *testing.T) {
	a.stopOnce.Do(func() {
		_ = a.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-a.done:
			if err != nil {
				t.Errorf("the agent exited with %v after SIGTERM:\n%s", err, a.stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Errorf("the agent did not stop within 10 s of SIGTERM; killing it")
			_ = a.cmd.Process.Kill()
			<-a.done
		}
	})
}

// do sends GET path with the token, changed by edit, and returns the
// status and the body.
func (a *agentProcess) do(ctx context.Context, path string, edit func(*http.Request)) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.url+path, nil)
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("X-Aws-Parameters-Secrets-Token", a.token)
	if edit != nil {
		edit(req)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// get reads secretID's AWSCURRENT from the agent.
func (a *agentProcess) get(ctx context.Context, secretID string, refreshNow bool) (string, rdsSecret, error) {
	q := url.Values{"secretId": {secretID}}
	if refreshNow {
		q.Set("refreshNow", "true")
	}
	status, body := a.do(ctx, "/secretsmanager/get?"+q.Encode(), nil)
	if status != http.StatusOK {
		return "", rdsSecret{}, fmt.Errorf("agent: GET %s: status %d", secretID, status) // the body may be a secret
	}
	var out struct {
		VersionID    string `json:"VersionId"`
		SecretString string `json:"SecretString"`
	}
	var sec rdsSecret
	if json.Unmarshal([]byte(body), &out) != nil || json.Unmarshal([]byte(out.SecretString), &sec) != nil {
		return "", rdsSecret{}, fmt.Errorf("agent: the answer for %s is not GetSecretValue's JSON of an RDS secret", secretID)
	}
	return out.VersionID, sec, nil
}

// login is one login of an application that reads its credentials from
// the agent: a password refused is read again with refreshNow=true, every
// 100 ms for up to 30 s (retried counts such logins).
func (a *agentProcess) login(ctx context.Context, s *e2eStack, secretID string, retried *atomic.Int64) error {
	_, sec, err := a.get(ctx, secretID, false)
	if err == nil {
		err = s.login(ctx, sec)
	}
	if passwordRefused(err) {
		retried.Add(1)
	}
	for deadline := time.Now().Add(30 * time.Second); passwordRefused(err) && time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if _, sec, err = a.get(ctx, secretID, true); err == nil {
			err = s.login(ctx, sec)
		}
	}
	if err != nil {
		return errors.New(redact(err.Error(), sec.Password))
	}
	return nil
}

func passwordRefused(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "28P01"
}
