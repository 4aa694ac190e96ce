package cli

import (
	"net"
	"strings"
	"testing"
	"time"
)

// TestUnreachableTemporal: a closed port gives one clear line and exit 3
// within a few seconds, for every command that needs Temporal.
func TestUnreachableTemporal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // now nothing listens there
	for _, args := range [][]string{
		{"list"},
		{"status", "staged/x/1"},
		{"history", "staging/orders/app"},
		{"approve", "staged/x/1"},
		{"abort", "staged/x/1"},
		{"schedule", "list"},
		{"schedule", "describe", "nightly"},
	} {
		start := time.Now()
		r := run(t, nil, append(args, "--address", addr)...)
		want := "cannot reach Temporal at " + addr + ": connection refused\n"
		if r.code != ExitUnreachable || r.stderr != want || r.stdout != "" {
			t.Errorf("%v: want exit 3 and %q, got %s", args, want, r)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%v took %s", args, d)
		}
	}
}

// TestSilentTemporal: a server that accepts connections but never answers
// is reported within the dial timeout, not after the SDK's long retries.
func TestSilentTemporal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	start := time.Now()
	r := run(t, map[string]string{"TEMPORAL_ADDRESS": ln.Addr().String()}, "list")
	if r.code != ExitUnreachable || !strings.HasPrefix(r.stderr, "cannot reach Temporal at "+ln.Addr().String()+": ") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("want exit 3 and one line, got %s", r)
	}
	t.Log(r.stderr)
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("took %s", d)
	}
}
