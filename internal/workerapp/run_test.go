package workerapp

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/credstage/credstage/internal/temporalconn"
	"github.com/credstage/credstage/tests/stack"
)

// syncBuffer is a log sink safe for the worker's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDevServer starts a Temporal dev server for the test (skipped with
// -short) and stops it when the test ends.
func startDevServer(ctx context.Context, t *testing.T) *testsuite.DevServer {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs the Temporal dev server")
	}
	bin, err := stack.BinaryPath()
	if err != nil {
		t.Fatal(err)
	}
	addr, err := stack.FreeAddress()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  bin,
		ClientOptions: &client.Options{HostPort: addr, Namespace: "default"},
		LogLevel:      "error",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

// TestRunAgainstDevServer starts the worker in-process against a dev
// server that lacks credstage's search attributes: the worker registers
// them, serves Prometheus metrics, logs JSON, and stops cleanly when its
// context ends.
func TestRunAgainstDevServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Deliberately without --search-attribute flags.
	srv := startDevServer(ctx, t)

	logs := &syncBuffer{}
	ready := make(chan ReadyInfo, 1)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- Run(runCtx, Options{
			Conn:           temporalconn.Options{Address: srv.FrontendHostPort(), Namespace: "default"},
			LogFormat:      "json",
			LogOutput:      logs,
			MetricsAddress: "127.0.0.1:0",
			StopTimeout:    5 * time.Second,
			AWS:            &aws.Config{Region: "us-east-1"},
			Ready:          func(r ReadyInfo) { ready <- r },
		})
	}()
	var info ReadyInfo
	select {
	case info = <-ready:
	case err := <-done:
		t.Fatalf("worker ended before ready: %v\n%s", err, logs)
	case <-ctx.Done():
		t.Fatal("worker not ready")
	}

	have, err := srv.Client().OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range SearchAttributes {
		if _, ok := have.CustomAttributes[name]; !ok {
			t.Errorf("search attribute %s not registered", name)
		}
	}

	// Metrics appear once the SDK has polled and reported (1s interval).
	var body string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(body, "credstage_worker_") {
		resp, err := http.Get("http://" + info.MetricsAddress + "/metrics")
		if err == nil {
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(data)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !strings.Contains(body, "credstage_worker_") {
		t.Errorf("no credstage_worker_ metrics on /metrics:\n%.2000s", body)
	}

	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("worker did not stop")
	}
	for _, want := range []string{`"msg":"registered search attributes"`, `"msg":"worker started"`, `"msg":"worker stopped"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}
