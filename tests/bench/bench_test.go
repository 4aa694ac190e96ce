// Package bench holds credstage's benchmarks (README.md, Benchmarks):
// baselines without orchestration, rotation latency (B1), fleet throughput
// (B2), scaling (B3), availability during rotation (B4: an application
// with the hand-written pattern, with client/pgsecret, and through
// `credstage agent`), rollback time (B5), the RDS calls of provisioning a
// fleet of instances at once (B6), how soon an application reads a new
// version (B7), the agent's read latency (B8) and a fleet rotated under
// AWS's request quotas (B9, on a second stack whose localaws runs in
// quota mode; quota_test.go), measured side by side on one local stack: the Temporal dev server from bin/temporal (SQLite
// file, WAL), localaws in-process with a real PostgreSQL cluster per
// instance, and the worker built from ./worker and the agent built from
// ./starter as their own processes.
//
// `make bench` runs BenchmarkCredstage once: it prints one table and
// writes bench-results.json. TestBenchHarnessSmall runs the same harness
// over a few secrets in `make test`, asserting no timing.
package bench

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/credstage/credstage/tests/stack"
)

// workerBin is the worker, cliBin the credstage command (for its agent).
var workerBin, cliBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "credstage-bench-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		if workerBin, err = buildBinary(dir, "credstage-worker", "./worker"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if cliBin, err = buildBinary(dir, "credstage", "./starter"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// BenchmarkCredstage is `make bench`: every benchmark once (each figure
// from repeated runs inside), sized by fullConfig and CREDSTAGE_BENCH_*.
func BenchmarkCredstage(b *testing.B) {
	root, err := stack.RepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	c, err := fullConfig(root).fromEnv()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res := runSuite(b, c, workerBin, cliBin, os.Stdout)
		fmt.Println()
		res.print(os.Stdout)
		if err := res.write(c.Out); err != nil {
			b.Fatal(err)
		}
		fmt.Printf("wrote %s\n", c.Out)
	}
}

// TestBenchHarnessSmall keeps the benchmark harness working: every
// benchmark over a few secrets, checking only that each produced its
// figures (no timing is asserted).
func TestBenchHarnessSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole local stack")
	}
	c := smallConfig(t.TempDir())
	res := runSuite(t, c, workerBin, cliBin, testWriter{t})
	var table bytes.Buffer
	res.print(&table)
	t.Log("\n" + table.String())
	if err := res.write(c.Out); err != nil {
		t.Fatal(err)
	}
	checkShape(t, c.Out)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
