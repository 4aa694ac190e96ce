package stack

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

// SearchAttributes are the custom search attributes credstage uses; the dev
// server registers them at start.
var SearchAttributes = temporal.NewSearchAttributes(
	temporal.NewSearchAttributeKeyKeyword("CredstageEnvironment").ValueSet(""),
	temporal.NewSearchAttributeKeyKeyword("CredstageSecret").ValueSet(""),
	temporal.NewSearchAttributeKeyKeyword("CredstageStatus").ValueSet(""),
)

// Temporal is a running dev server.
type Temporal struct {
	Server  *testsuite.DevServer
	Client  client.Client
	Address string // host:port of the frontend
	UIURL   string // empty unless the UI was asked for
	DBFile  string // empty for an in-memory server
}

// TemporalOptions tune a dev server for a test.
type TemporalOptions struct {
	// DBFile keeps history in this SQLite file (so a restart resumes runs);
	// empty means in-memory.
	DBFile string
	// HostPort binds the frontend to a fixed address (restarts need the
	// same one); empty picks a free port.
	HostPort string
	// UI enables the Web UI on a free port.
	UI bool
}

// BinaryPath is where `make tools` puts the pinned Temporal CLI.
func BinaryPath() (string, error) {
	if p := os.Getenv("CREDSTAGE_TEMPORAL_BIN"); p != "" {
		return p, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "bin", "temporal"), nil
}

// RepoRoot finds the folder holding credstage's go.mod.
func RepoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the stack package source")
	}
	return filepath.Abs(filepath.Join(filepath.Dir(file), "..", ".."))
}

// StartTemporal starts a dev server for the test and stops it at cleanup.
// It fails the test (never skips it) when bin/temporal is missing.
func StartTemporal(t testing.TB, opts TemporalOptions) *Temporal {
	t.Helper()
	tmp, err := StartTemporalE(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tmp.Stop() })
	return tmp
}

// StartTemporalE is StartTemporal for callers without a testing.TB (the
// benchmark harness, the demo).
func StartTemporalE(opts TemporalOptions) (*Temporal, error) {
	bin, err := BinaryPath()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("the Temporal CLI is missing at %s: run `make tools` first (it builds the pinned dev server from source): %w", bin, err)
	}
	hostPort := opts.HostPort
	if hostPort == "" {
		if hostPort, err = FreeAddress(); err != nil {
			return nil, err
		}
	}
	args := []string{
		"--sqlite-pragma", "journal_mode=wal",
		"--sqlite-pragma", "synchronous=normal",
		// The transfer queue's default of 20 polls a second adds ~45 ms to
		// every activity and child dispatch (scripts/dev-server.sh).
		"--dynamic-config-value", "history.transferProcessorMaxPollRPS=1000",
	}
	devOpts := testsuite.DevServerOptions{
		ExistingPath:     bin,
		ClientOptions:    &client.Options{HostPort: hostPort, Namespace: "default"},
		DBFilename:       opts.DBFile,
		LogLevel:         "error",
		SearchAttributes: SearchAttributes,
		ExtraArgs:        args,
		EnableUI:         opts.UI,
	}
	var uiURL string
	if opts.UI {
		uiAddr, err := FreeAddress()
		if err != nil {
			return nil, err
		}
		_, port, _ := net.SplitHostPort(uiAddr)
		devOpts.UIPort = port
		uiURL = "http://127.0.0.1:" + port
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, devOpts)
	if err != nil && opts.HostPort == "" {
		// The dev server opens more ports than the one picked here (HTTP,
		// metrics, internal services); on a busy machine another test can
		// take one of them between the pick and the bind. Once more, on a
		// fresh port.
		if devOpts.ClientOptions.HostPort, err = FreeAddress(); err != nil {
			return nil, err
		}
		srv, err = testsuite.StartDevServer(ctx, devOpts)
	}
	if err != nil {
		return nil, fmt.Errorf("start Temporal dev server from %s: %w", bin, err)
	}
	return &Temporal{Server: srv, Client: srv.Client(), Address: srv.FrontendHostPort(), UIURL: uiURL, DBFile: opts.DBFile}, nil
}

// Stop stops the dev server process (by its process id, through the SDK).
func (t *Temporal) Stop() {
	if t.Server != nil {
		_ = t.Server.Stop()
		t.Server = nil
	}
}

// FreeAddress returns a loopback address with a port free right now.
func FreeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
