package workerapp

import (
	"bytes"
	"context"
	"flag"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/help.txt")

func runMain(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := Main(ctx, args, &stdout, &stderr, func(k string) string { return env[k] })
	return code, stdout.String(), stderr.String()
}

func TestHelpGolden(t *testing.T) {
	code, out, errOut := runMain(t, nil, "--help")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	const path = "testdata/help.txt"
	if *update {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != out {
		t.Errorf("--help differs from %s (rerun with -update if intended):\n%s", path, out)
	}
	for _, flag := range []string{"--log-format", "--log-level", "--stop-timeout", "--max-concurrent-activities", "--max-concurrent-workflow-tasks", "--max-concurrent-local-activities", "--metrics-address", "--address", "--namespace", "--tls-cert-path", "--api-key"} {
		if !strings.Contains(out, flag) {
			t.Errorf("--help lacks %s", flag)
		}
	}
}

func TestBadFlagsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"--log-format", "xml"},
		{"--log-level", "loud"},
		{"--stop-timeout", "soon"},
		{"extra"},
	} {
		code, _, errOut := runMain(t, nil, args...)
		if code != exitBadInput || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

func TestUnreachableExit3(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	code, _, errOut := runMain(t, map[string]string{"TEMPORAL_ADDRESS": addr}, "--log-level", "error")
	if code != exitUnreachable || errOut != "cannot reach Temporal at "+addr+": connection refused\n" {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}
