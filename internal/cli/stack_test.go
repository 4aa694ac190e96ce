package cli

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/internal/awsconfig"
	"github.com/credstage/credstage/internal/temporalconn"
	"github.com/credstage/credstage/internal/workerapp"
	"github.com/credstage/credstage/localaws"
	"github.com/credstage/credstage/tests/stack"
)

// liveStack is the real local stack the integration tests share: the
// Temporal dev server (bin/temporal), localaws in-process with real
// PostgreSQL clusters, and the credstage worker in-process. Starting it
// costs seconds, so it starts once, on first use, and TestMain stops it.
type liveStack struct {
	temporal *stack.Temporal
	aws      *localaws.Server
	stopWork context.CancelFunc
	workDone chan error
	logPath  string
	env      map[string]string
}

var (
	liveOnce sync.Once
	live     *liveStack
	liveErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if live != nil {
		live.stop()
		if code == 0 { // a failed run keeps the worker's log to read
			os.Remove(live.logPath)
		}
	}
	os.Exit(code)
}

// startStack returns the shared stack, failing (never skipping) the test
// when it cannot start; -short skips the integration tests instead.
func startStack(t *testing.T) *liveStack {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs the Temporal dev server and PostgreSQL (run without -short)")
	}
	liveOnce.Do(func() { live, liveErr = newLiveStack() })
	if liveErr != nil {
		t.Fatalf("local stack: %v", liveErr)
	}
	t.Logf("worker log: %s", live.logPath)
	return live
}

func newLiveStack() (*liveStack, error) {
	s := &liveStack{}
	tmp, err := stack.StartTemporalE(stack.TemporalOptions{})
	if err != nil {
		return nil, err
	}
	s.temporal = tmp
	if s.aws, err = localaws.New(localaws.Options{Ephemeral: true, Addr: "127.0.0.1:0"}); err != nil {
		s.stop()
		return nil, err
	}
	if err := s.aws.Start(); err != nil {
		s.stop()
		return nil, err
	}
	s.env = map[string]string{
		"TEMPORAL_ADDRESS":          tmp.Address,
		"AWS_ENDPOINT_URL":          s.aws.URL(),
		"AWS_REGION":                "us-east-1",
		"AWS_ACCESS_KEY_ID":         "test",
		"AWS_SECRET_ACCESS_KEY":     "test",
		"AWS_EC2_METADATA_DISABLED": "true",
		"USER":                      "integration-test",
		// The instances force TLS; the worker checks their certificates.
		activities.EnvRDSCABundle: s.aws.RDSCABundlePath(),
	}
	env := func(k string) string { return s.env[k] }
	cfg, err := awsconfig.Load(context.Background(), env)
	if err != nil {
		s.stop()
		return nil, err
	}
	logFile, err := os.CreateTemp("", "credstage-cli-worker-*.log")
	if err != nil {
		s.stop()
		return nil, err
	}
	s.logPath = logFile.Name()
	ctx, cancel := context.WithCancel(context.Background())
	s.stopWork, s.workDone = cancel, make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		s.workDone <- workerapp.Run(ctx, workerapp.Options{
			Conn:        temporalconn.Options{Address: tmp.Address, Namespace: "default"},
			LogOutput:   logFile,
			LogLevel:    "debug",
			StopTimeout: 10 * time.Second,
			AWS:         &cfg,
			Env:         env,
			Ready:       func(workerapp.ReadyInfo) { close(ready) },
		})
		logFile.Close()
	}()
	select {
	case <-ready:
	case err := <-s.workDone:
		s.workDone <- err
		s.stop()
		return nil, fmt.Errorf("worker did not start: %v (log %s)", err, s.logPath)
	case <-time.After(time.Minute):
		s.stop()
		return nil, fmt.Errorf("worker not ready after a minute (log %s)", s.logPath)
	}
	return s, nil
}

func (s *liveStack) stop() {
	if s.stopWork != nil {
		s.stopWork()
		<-s.workDone
	}
	if s.aws != nil {
		_ = s.aws.Close()
	}
	if s.temporal != nil {
		s.temporal.Stop()
	}
}

// cli runs one credstage command against the stack.
func (s *liveStack) cli(t *testing.T, args ...string) result {
	t.Helper()
	return run(t, s.env, args...)
}
