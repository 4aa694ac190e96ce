// Command localaws runs the local AWS emulator (RDS, Secrets Manager,
// CloudWatch) on 127.0.0.1:4566. Point any AWS SDK or CLI at it with
// AWS_ENDPOINT_URL=http://127.0.0.1:4566.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/credstage/credstage/localaws"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "localaws:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:4566", "listen address")
	dataDir := flag.String("data-dir", defaultDataDir(), "folder for state and PostgreSQL clusters (survives restarts)")
	ephemeral := flag.Bool("ephemeral", false, "keep state in a temporary folder removed at shutdown")
	logLevel := flag.String("log-level", "info", "debug, info, warn or error")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level %q: %w", *logLevel, err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	srv, err := localaws.New(localaws.Options{Addr: *addr, DataDir: *dataDir, Ephemeral: *ephemeral, Logger: logger})
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		_ = srv.Close()
		return err
	}
	where := *dataDir
	if *ephemeral {
		where = "(ephemeral)"
	}
	logger.Info("localaws serving", "endpoint", srv.URL(), "dataDir", where)
	fmt.Printf("localaws listening on %s\n", srv.URL())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	logger.Info("localaws shutting down: stopping PostgreSQL clusters")
	return srv.Close()
}

func defaultDataDir() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "credstage", "localaws")
	}
	return filepath.Join(os.TempDir(), "credstage-localaws")
}
