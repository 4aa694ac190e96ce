// Package agent is `credstage agent`: a local HTTP cache of secrets for
// applications in any language, with the HTTP API of the AWS Secrets
// Manager Agent, so applications written for that agent work unchanged:
//
//	GET /secretsmanager/get?secretId=ID[&versionId=V][&versionStage=S][&refreshNow=true]
//	GET /v1/ID[?versionId=V&versionStage=S&refreshNow=true]
//	GET /ping
//
// Answers are GetSecretValue's JSON (ARN, Name, VersionId, SecretString or
// SecretBinary, VersionStages, CreatedDate as epoch seconds in a string).
// Every request but /ping must carry the SSRF token in
// X-Aws-Parameters-Secrets-Token or X-Vault-Token; a request carrying
// X-Forwarded-For is refused, as it came through a proxy. The agent
// listens on 127.0.0.1 only, and its replies leave with an IP TTL of 1, so
// they cannot cross a router.
//
// Unlike the AWS agent, whose cached values live for a TTL (300 s by
// default) and are never told of a rotation, the cache behind it checks
// each secret's version every --check-interval (client/secretcache), so a
// rotation is served within that interval. /metrics (Prometheus) counts
// hits, reads and stale answers and names each secret's current version.
package agent

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/smithy-go"

	"github.com/credstage/credstage/client/secretcache"
)

// Defaults of the AWS agent.
const (
	DefaultPort     = 2773
	DefaultMaxConns = 800
	pathPrefix      = "/v1/"
	// requestTimeout bounds one request, as the AWS agent's 61 s.
	requestTimeout = 61 * time.Second
)

// tokenHeaders carry the SSRF token.
var tokenHeaders = []string{"X-Aws-Parameters-Secrets-Token", "X-Vault-Token"}

// Server answers the agent's HTTP API from a cache.
type Server struct {
	cache   *secretcache.Cache
	token   string
	slots   chan struct{} // bounds requests in progress
	metrics *metrics
	log     *slog.Logger
}

// New makes the agent's handler; token is the SSRF token (LoadToken).
func New(cache *secretcache.Cache, token string, maxConns int, log *slog.Logger) (*Server, error) {
	if token == "" {
		return nil, errors.New("agent: no SSRF token: set AWS_TOKEN (a value, or file://PATH)")
	}
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// /ping gets two slots beyond the others, as in the AWS agent, so a
	// health check still answers when the agent is saturated.
	return &Server{cache: cache, token: token, slots: make(chan struct{}, maxConns+3), metrics: newMetrics(cache), log: log}, nil
}

// ServeHTTP routes one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		writeText(w, http.StatusTooManyRequests, "Connection limit exceeded")
		return
	}
	if r.URL.Path != "/ping" && len(s.slots) > cap(s.slots)-2 {
		writeText(w, http.StatusTooManyRequests, "Connection limit exceeded")
		return
	}
	switch {
	case r.URL.Path == "/ping":
		if r.Method != http.MethodGet {
			writeText(w, http.StatusMethodNotAllowed, "Not allowed")
			return
		}
		writeText(w, http.StatusOK, "healthy")
		return
	case r.Header.Get("X-Forwarded-For") != "":
		s.log.Warn("agent: refused a request with X-Forwarded-For")
		writeText(w, http.StatusBadRequest, "Forwarded")
		return
	case !s.tokenOK(r):
		s.log.Warn("agent: refused a request with a wrong or missing SSRF token")
		writeText(w, http.StatusForbidden, "Bad Token")
		return
	case r.Method != http.MethodGet:
		writeText(w, http.StatusMethodNotAllowed, "Not allowed")
		return
	case r.URL.Path == "/metrics":
		s.metrics.serve(w, r)
		return
	}
	q, herr := parseQuery(r.URL)
	if herr != nil {
		writeText(w, herr.status, herr.msg)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	v, err := s.cache.Value(ctx, q.key, q.refresh)
	if err != nil {
		status, body := awsAnswer(err)
		s.log.Warn("agent: read failed", "secret", q.key.SecretID, "status", status)
		writeJSON(w, status, body)
		return
	}
	if v.Stale != nil {
		s.log.Warn("agent: serving the last good value", "secret", q.key.SecretID, "version", v.VersionID, "err", v.Stale)
	}
	s.metrics.served(q.key, v)
	writeJSON(w, http.StatusOK, output(v))
}

func (s *Server) tokenOK(r *http.Request) bool {
	for _, h := range tokenHeaders {
		if got := r.Header.Get(h); got != "" && got == s.token {
			return true
		}
	}
	return false
}

// getSecretValueOutput is GetSecretValue's answer as the AWS agent writes it.
type getSecretValueOutput struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionID     string   `json:"VersionId"`
	SecretString  *string  `json:"SecretString,omitempty"`
	SecretBinary  *string  `json:"SecretBinary,omitempty"`
	VersionStages []string `json:"VersionStages,omitempty"`
	CreatedDate   *string  `json:"CreatedDate,omitempty"`
}

func output(v secretcache.Value) getSecretValueOutput {
	out := getSecretValueOutput{ARN: v.ARN, Name: v.Name, VersionID: v.VersionID, VersionStages: v.VersionStages}
	if v.SecretBinary != nil {
		b := base64.StdEncoding.EncodeToString(v.SecretBinary)
		out.SecretBinary = &b
	} else {
		out.SecretString = &v.SecretString
	}
	if !v.CreatedDate.IsZero() {
		d := strconv.FormatFloat(float64(v.CreatedDate.UnixMilli())/1000, 'f', 3, 64)
		out.CreatedDate = &d
	}
	return out
}

// awsAnswer is the AWS agent's answer to a failed read: Secrets Manager's
// status and error, 504 for a timeout, 502 for a connection failure.
func awsAnswer(err error) (int, any) {
	var apiErr smithy.APIError
	var status interface{ HTTPStatusCode() int }
	switch {
	case errors.As(err, &apiErr) && errors.As(err, &status):
		return status.HTTPStatusCode(), map[string]string{"__type": apiErr.ErrorCode(), "message": apiErr.ErrorMessage()}
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, map[string]string{"__type": "TimeoutError", "message": "Timeout"}
	case isNetwork(err):
		return http.StatusBadGateway, map[string]string{"__type": "ConnectionError", "message": "Read Error"}
	}
	return http.StatusInternalServerError, map[string]string{"__type": "InternalFailure"}
}

func isNetwork(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr)
}

func writeText(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Listen binds 127.0.0.1:port with replies limited to one IP hop.
func Listen(ctx context.Context, port int) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TTL, 1) }); err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("agent: listen on 127.0.0.1:%d: %w", port, err)
	}
	return ln, nil
}

// Serve answers on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: requestTimeout + 5*time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
