package tests

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/localaws"
	"github.com/credstage/credstage/tests/stack"
)

// workerBinary is the real worker program, built once for every test here:
// end-to-end tests run it as a process so they can kill it like an
// operator's machine would.
var workerBinary string

// binDir holds the programs built for the tests; TestMain removes it.
var binDir string

// cliBinary builds the credstage CLI into binDir on first use: only the
// tests that run a command as a process (credstage agent) wait for it.
var cliBinary = sync.OnceValues(func() (string, error) {
	root, err := stack.RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(binDir, "credstage")
	build := exec.Command("go", "build", "-o", bin, "./starter")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the credstage CLI: %w\n%s", err, out)
	}
	return bin, nil
})

// credstageBinary is the real credstage CLI program.
func credstageBinary(t *testing.T) string {
	t.Helper()
	bin, err := cliBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "credstage-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		binDir = dir
		root, err := stack.RepoRoot()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		workerBinary = filepath.Join(dir, "credstage-worker")
		build := exec.Command("go", "build", "-o", workerBinary, "./worker")
		build.Dir = root
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build the worker:", err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// workerAccessKey is the access key the worker process signs with, so the
// localaws request log tells its calls apart from the test's own.
const workerAccessKey = "credstage-worker"

// e2eStack is the whole local stack of one test: the Temporal dev server,
// localaws in-process, and the worker as a process.
type e2eStack struct {
	t        *testing.T
	temporal *stack.Temporal
	aws      *stack.LocalAWS
	sm       *secretsmanager.Client
	rds      *rds.Client
	cw       *cloudwatch.Client
	worker   *workerProcess
	logs     *lockedBuffer // every worker log line, for leak scans
	opts     e2eOptions
}

// e2eOptions vary the stack of a test: a dev server that keeps its history
// on disk at a fixed address (to restart it), extra worker flags and
// environment (a payload codec, AWS timeouts).
type e2eOptions struct {
	temporal   stack.TemporalOptions
	workerArgs []string
	workerEnv  []string
	// iam is localaws's IAM; nil: e2eIAM with the shipped policies.
	iam *localaws.IAMConfig
	// quotas turns on localaws's quota mode.
	quotas *localaws.QuotaConfig
}

func startE2EStack(t *testing.T) *e2eStack {
	t.Helper()
	return startE2EStackWith(t, e2eOptions{})
}

func startE2EStackWith(t *testing.T, opts e2eOptions) *e2eStack {
	t.Helper()
	s := &e2eStack{t: t, logs: &lockedBuffer{}, opts: opts}
	s.temporal = stack.StartTemporal(t, opts.temporal)
	if opts.iam == nil {
		opts.iam = e2eIAM(t, nil)
		s.opts.iam = opts.iam
	}
	s.aws = stack.StartLocalAWSWith(t, localaws.Options{IAM: opts.iam, Quotas: opts.quotas})
	s.sm = secretsmanager.NewFromConfig(s.aws.Config)
	s.rds = rds.NewFromConfig(s.aws.Config)
	s.cw = cloudwatch.NewFromConfig(s.aws.Config)
	s.startWorker()
	t.Cleanup(func() {
		if s.worker != nil {
			s.worker.stop(t)
		}
	})
	return s
}

func (s *e2eStack) client() client.Client { return s.temporal.Client }

// workerProcess is a running worker program.
type workerProcess struct {
	cmd  *exec.Cmd
	done chan error
}

func (s *e2eStack) startWorker() {
	s.t.Helper()
	s.worker = s.spawnWorker()
}

// spawnWorker starts a worker process with the stack's flags; the caller
// stops it.
func (s *e2eStack) spawnWorker() *workerProcess {
	s.t.Helper()
	// A short master-auth window: the bad-input tests' wrong master must
	// fail within seconds, not after the two minutes RDS's own rotation
	// is given in production.
	args := append([]string{"--log-format", "json", "--log-level", "debug", "--stop-timeout", "5s", "--master-auth-window", "3s"}, s.opts.workerArgs...)
	cmd := exec.Command(workerBinary, args...)
	cmd.Env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+s.temporal.Address,
		"TEMPORAL_NAMESPACE=default",
		"AWS_ENDPOINT_URL="+s.aws.URL,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID="+workerAccessKey,
		"AWS_SECRET_ACCESS_KEY="+workerSecret,
		activities.EnvRDSCABundle+"="+s.aws.Server.RDSCABundlePath(),
	)
	cmd.Env = append(cmd.Env, s.opts.workerEnv...)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start worker: %v", err)
	}
	w := &workerProcess{cmd: cmd, done: make(chan error, 1)}
	go func() { w.done <- cmd.Wait() }()
	return w
}

// kill ends the worker with SIGKILL: no graceful stop, activities cut off
// mid-call.
func (s *e2eStack) killWorker() {
	s.t.Helper()
	_ = s.worker.cmd.Process.Signal(syscall.SIGKILL)
	<-s.worker.done
	s.worker = nil
}

func (w *workerProcess) stop(t *testing.T) {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	w.awaitExit(t, "SIGTERM")
}

// awaitExit waits for the worker to exit after signal, killing it after
// 20 s.
func (w *workerProcess) awaitExit(t *testing.T, signal string) {
	select {
	case <-w.done:
	case <-time.After(20 * time.Second):
		t.Errorf("worker did not stop within 20s of %s; killing it", signal)
		_ = w.cmd.Process.Kill()
		<-w.done
	}
}

// lockedBuffer collects a process's output from its copying goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
