package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/credstage/credstage/internal/codec"
)

// Environment variables of the codec server's authorization token (kept
// out of flags: arguments show in ps).
const (
	envCodecAuthToken     = "CREDSTAGE_CODEC_AUTH_TOKEN"
	envCodecAuthTokenFile = "CREDSTAGE_CODEC_AUTH_TOKEN_FILE"
)

func newCodecServerCmd(a *app) *cobra.Command {
	var listen, tokenFile string
	var origins []string
	cmd := &cobra.Command{
		Use:   "codec-server",
		Short: "Serve the payload codec to the Temporal Web UI",
		Long: `Serve credstage's payload codec over HTTP so the Temporal Web UI can show
decoded workflow inputs, results and errors to an authorized user. With
payload encryption on (--codec-key-file or $CREDSTAGE_CODEC_KEYS, the same
keys as the worker's), Temporal stores only AES-256-GCM ciphertext; the
browser sends each payload to this endpoint (POST /encode and /decode with
{"payloads":[...]}, the Temporal codec server protocol) and shows the
answer. Nothing is stored or logged.

Point the Web UI at it: Settings > Codec Server > the printed URL (or
start the dev server with --ui-codec-endpoint URL). Browser calls are
allowed from --web-ui-origin only (CORS). With an authorization token
($CREDSTAGE_CODEC_AUTH_TOKEN or --auth-token-file) every call must carry
"Authorization: Bearer <token>" (the UI's "pass access token" setting, or
a proxy that adds it); without one, anyone who can reach the address can
decode payloads, so keep it on loopback. Runs until interrupted.`,
		Example: `  CREDSTAGE_CODEC_KEY_FILE=/etc/credstage/keys credstage codec-server
  credstage codec-server --codec-key-file keys --listen 127.0.0.1:8081 --web-ui-origin http://localhost:8233
  CREDSTAGE_CODEC_AUTH_TOKEN_FILE=/run/secrets/codec-token credstage codec-server --listen 0.0.0.0:8081`,
		Args: maxArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			pc, err := a.conn.PayloadCodec()
			if err != nil {
				return withCode(ExitBadInput, err)
			}
			if pc == nil {
				return badInput("codec-server: no payload keys: give --codec-key-file or set %s (the worker's keys)", codec.EnvKeys)
			}
			token, err := codecAuthToken(a.env(envCodecAuthToken), tokenFile)
			if err != nil {
				return withCode(ExitBadInput, err)
			}
			if len(origins) == 0 {
				origins = []string{originOf(a.uiAddress)}
			}
			for i, o := range origins {
				u, err := url.Parse(o)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
					return badInput("--web-ui-origin %q: want scheme://host[:port], e.g. http://localhost:8233", o)
				}
				origins[i] = strings.TrimRight(o, "/")
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return badInput("codec-server: cannot listen on %s: %v", listen, err)
			}
			handler := codec.NewHTTPHandler(pc, codec.HTTPOptions{AllowedOrigins: origins, AuthToken: token})
			return a.serveCodec(cmd.Context(), ln, handler, pc.ActiveKeyID(), origins, token != "")
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8081", "host:port to serve on")
	f.StringSliceVar(&origins, "web-ui-origin", nil, "origin of the Temporal Web UI allowed to call (repeatable; default: the origin of --ui-address)")
	f.StringVar(&tokenFile, "auth-token-file", a.env(envCodecAuthTokenFile), "file holding the bearer token every call must carry (or the token itself in $"+envCodecAuthToken+") [$"+envCodecAuthTokenFile+"]")
	return cmd
}

func (a *app) serveCodec(ctx context.Context, ln net.Listener, handler http.Handler, keyID string, origins []string, auth bool) error {
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	endpoint := "http://" + ln.Addr().String()
	authText := "bearer token required"
	if !auth {
		authText = "none"
		if host, _, _ := net.SplitHostPort(ln.Addr().String()); !isLoopback(host) {
			fmt.Fprintf(a.stderr, "warning: no authorization token and %s is not a loopback address: anyone who can reach it can decode payloads\n", ln.Addr())
		}
	}
	if a.jsonOutput() {
		_ = writeJSON(a.stdout, map[string]any{"type": "listening", "endpoint": endpoint, "activeKey": keyID, "origins": origins, "authorization": auth})
	} else {
		fmt.Fprintf(a.stdout, "Codec server listening on %s\n  active key:    %s\n  allowed UI:    %s\n  authorization: %s\nIn the Web UI: Settings > Codec Server > %s\n",
			endpoint, keyID, strings.Join(origins, ", "), authText, endpoint)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return failed("codec-server: %v", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return failed("codec-server: %v", err)
	}
	return nil
}

// codecAuthToken is the token from the environment or a file; both at once
// is refused.
func codecAuthToken(fromEnv, file string) (string, error) {
	fromEnv = strings.TrimSpace(fromEnv)
	switch {
	case fromEnv != "" && file != "":
		return "", fmt.Errorf("codec-server: the token comes from both $%s and --auth-token-file: give one", envCodecAuthToken)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("codec-server: --auth-token-file: %w", err)
		}
		token := strings.TrimSpace(string(b))
		if token == "" {
			return "", fmt.Errorf("codec-server: --auth-token-file %s is empty", file)
		}
		return token, nil
	}
	return fromEnv, nil
}

func originOf(address string) string {
	u, err := url.Parse(address)
	if err != nil || u.Host == "" {
		return strings.TrimRight(address, "/")
	}
	return u.Scheme + "://" + u.Host
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
