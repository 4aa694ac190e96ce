//go:build conformance

package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"time"
)

func main() {
	report := flag.String("report", ".data/conformance.txt", "file for the full report")
	only := flag.String("run", "", "only the cases whose id matches this regular expression")
	flag.Parse()
	code, err := run(*report, *only)
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

// run returns 1 when a difference is unjudged: the check passes only when
// every difference has been looked at.
func run(reportPath, only string) (int, error) {
	filter, err := regexp.Compile(only)
	if err != nil {
		return 0, err
	}
	var cases []testCase
	for _, tc := range allCases() {
		if filter.MatchString(tc.id) {
			cases = append(cases, tc)
		}
	}
	if err := checkCaseIDs(cases); err != nil {
		return 0, err
	}

	work, err := os.MkdirTemp("", "credstage-conformance-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(work)
	// localaws runs PostgreSQL as the postgres user when it runs as root:
	// that user must be able to enter the folder its clusters live under.
	if err := os.Chmod(work, 0o755); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(reportPath), 0o755); err != nil {
		return 0, err
	}
	// Runs before the work folder is removed, also when a start failed.
	defer keepLogs(work, filepath.Dir(reportPath))
	start := time.Now()
	local, moto, err := startBoth(work)
	if err != nil {
		return 0, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	results, err := runOnBoth(ctx, local, moto, cases)
	stop()
	local.stop()
	moto.stop()
	if err != nil {
		return 0, err
	}

	rep := buildReport(cases, results, verdicts(), time.Since(start))
	if err := os.WriteFile(reportPath, []byte(rep.full()), 0o644); err != nil {
		return 0, err
	}
	fmt.Print(rep.table())
	fmt.Printf("full report: %s\n", reportPath)
	if rep.unjudged > 0 {
		return 1, nil
	}
	return 0, nil
}

// caseResult is one case's answers from each emulator.
type caseResult struct {
	local, moto []answer
}

// runOnBoth runs every case on both emulators at once (each emulator's
// cases in order): localaws's RDS instance takes seconds to start a real
// PostgreSQL, which moto's calls need not wait for.
func runOnBoth(ctx context.Context, local, moto *emulator, cases []testCase) ([]caseResult, error) {
	model, err := loadCloudWatchModel(moto.cmd.Path)
	if err != nil {
		return nil, err
	}
	bridge, err := startCWBridge(moto.url, model)
	if err != nil {
		return nil, err
	}
	defer bridge.close()
	lc, err := newClients(local.url, local.url)
	if err != nil {
		return nil, err
	}
	mc, err := newClients(moto.url, bridge.url)
	if err != nil {
		return nil, err
	}
	results := make([]caseResult, len(cases))
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i, tc := range cases {
			results[i].local = runCase(ctx, lc, tc)
		}
	}()
	go func() {
		defer wg.Done()
		for i, tc := range cases {
			results[i].moto = runCase(ctx, mc, tc)
		}
	}()
	wg.Wait()
	return results, ctx.Err()
}

// keepLogs copies the emulators' logs beside the report (under .data/,
// which git ignores) before the work folder is removed.
func keepLogs(work, dir string) {
	for _, name := range []string{"localaws.log", "moto.log"} {
		if b, err := os.ReadFile(filepath.Join(work, name)); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "conformance-"+name), b, 0o644)
		}
	}
}

func checkCaseIDs(cases []testCase) error {
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.id] {
			return fmt.Errorf("case id %q used twice", tc.id)
		}
		seen[tc.id] = true
	}
	return nil
}
