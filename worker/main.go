// Command worker is the credstage Temporal worker: every workflow and
// activity of credstage on task queue "credstage". See internal/workerapp
// and `go run ./worker --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/credstage/credstage/internal/workerapp"
)

func main() {
	// SIGINT/SIGTERM end the context: the worker stops polling and lets
	// running activities finish (--stop-timeout).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := workerapp.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
