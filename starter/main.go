// Command credstage is the command line of credstage: validate plans,
// provision databases, start, follow, approve and abort staged rotations,
// roll secrets back, and manage the schedules that run plans. Every
// command lives in internal/cli; `credstage --help` lists them and the
// exit codes (0 ok, 1 failed/rolled back/aborted, 2 bad input, 3 Temporal
// or AWS unreachable).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/credstage/credstage/internal/cli"
)

func main() {
	// Ctrl-C stops waiting (--wait) without touching the run itself.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
