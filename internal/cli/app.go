package cli

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/credstage/credstage/internal/temporalconn"
)

// DefaultUIAddress is the dev server's Web UI.
const DefaultUIAddress = "http://localhost:8233"

// app is one invocation's state: its streams, settings and the clients it
// opened (closed when the command returns).
type app struct {
	stdout, stderr io.Writer
	env            func(string) string

	conn        temporalconn.Options
	uiAddress   string
	output      string // text or json
	dialTimeout time.Duration

	tc client.Client
	sm *secretsmanager.Client
}

func newApp(stdout, stderr io.Writer, env func(string) string) *app {
	if env == nil {
		env = func(string) string { return "" }
	}
	return &app{stdout: stdout, stderr: stderr, env: env, dialTimeout: temporalconn.DefaultDialTimeout}
}

// client connects to Temporal on first use; commands that need only AWS
// (plan validate) never dial.
func (a *app) client(ctx context.Context) (client.Client, error) {
	if a.tc != nil {
		return a.tc, nil
	}
	opts, err := a.conn.ClientOptions()
	if err != nil {
		return nil, withCode(ExitBadInput, err)
	}
	// The SDK logs retries and warnings at info level to stdout by default;
	// a CLI's output is its answer, so only errors go to stderr.
	opts.Logger = log.NewStructuredLogger(slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	c, err := temporalconn.Dial(ctx, opts, a.dialTimeout)
	if err != nil {
		return nil, err
	}
	a.tc = c
	return c, nil
}

func (a *app) close() {
	if a.tc != nil {
		a.tc.Close()
	}
}

// runURL is the Web UI page of a run.
func (a *app) runURL(workflowID, runID string) string {
	return strings.TrimRight(a.uiAddress, "/") + "/namespaces/" + url.PathEscape(a.conn.Namespace) +
		"/workflows/" + url.PathEscape(workflowID) + "/" + url.PathEscape(runID)
}

// jsonOutput reports whether --output json was asked.
func (a *app) jsonOutput() bool { return a.output == "json" }
