package activities

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// classOf summarises a classified error: "retryable" or the ApplicationError
// type with "!" when non-retryable.
func classOf(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return "nil"
	}
	var tr *transientError
	if errors.As(err, &tr) {
		if tr.outage {
			return "outage"
		}
		return "retryable"
	}
	typ, nonRetryable := appErrType(t, err)
	if nonRetryable {
		return typ + "!"
	}
	return typ
}

type statusErr struct {
	error
	status int
}

func (e statusErr) HTTPStatusCode() int { return e.status }

func TestAWSErrorClassification(t *testing.T) {
	ctx := context.Background()
	api := func(code string, fault smithy.ErrorFault) error {
		return &smithy.GenericAPIError{Code: code, Message: "msg about " + code, Fault: fault}
	}
	cases := []struct {
		err  error
		want string
	}{
		{api("ThrottlingException", smithy.FaultClient), "retryable"},
		{api("TooManyRequestsException", smithy.FaultClient), "retryable"},
		{api("RequestLimitExceeded", smithy.FaultClient), "retryable"},
		{api("InternalFailure", smithy.FaultServer), "retryable"},
		{api("ServiceUnavailable", smithy.FaultUnknown), "retryable"},
		{api("SomethingNew", smithy.FaultServer), "retryable"},
		{statusErr{api("Odd", smithy.FaultUnknown), 503}, "retryable"},
		{fmt.Errorf("wrapped: %w", api("ResourceNotFoundException", smithy.FaultClient)), ErrSecretNotFound + "!"},
		{api("DBInstanceNotFound", smithy.FaultClient), ErrInstanceNotAvailable + "!"},
		{api("AccessDeniedException", smithy.FaultClient), ErrAWSRequestRefused + "!"},
		{api("InvalidRequestException", smithy.FaultClient), ErrAWSRequestRefused + "!"},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, "retryable"},
		{errors.New("request send failed: i/o timeout"), "retryable"},
		{func() error {
			var p smithy.InvalidParamsError
			p.Context = "X"
			p.Add(smithy.NewErrParamRequired("SecretId"))
			return p
		}(), ErrInvalidInput + "!"},
	}
	for _, tc := range cases {
		got := classOf(t, awsError(ctx, "secret prod/app", "GetSecretValue", tc.err))
		if got != tc.want {
			t.Errorf("%v: got %s, want %s", tc.err, got, tc.want)
		}
	}
	msg := awsError(ctx, "secret prod/app", "GetSecretValue", api("ResourceNotFoundException", smithy.FaultClient)).Error()
	if !strings.Contains(msg, "secret prod/app") || !strings.Contains(msg, "ResourceNotFoundException") {
		t.Errorf("message %q must name the secret and the cause", msg)
	}
	leaky := &smithy.GenericAPIError{Code: "ValidationException", Message: "value hunter2hunter2 is bad"}
	if msg := awsError(ctx, "s", "op", leaky, "hunter2hunter2").Error(); strings.Contains(msg, "hunter2") {
		t.Errorf("not redacted: %s", msg)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if got := classOf(t, awsError(canceled, "s", "op", api("AccessDeniedException", smithy.FaultClient))); got != "retryable" {
		t.Errorf("cancelled context: %s", got)
	}
	// Classified errors pass through unchanged.
	already := nonRetryable(ErrVersionConflict, "x")
	if awsError(ctx, "s", "op", already) != already {
		t.Error("a classified error was reclassified")
	}
}

func TestDBErrorClassification(t *testing.T) {
	ctx := context.Background()
	target := dbTarget{Host: "127.0.0.1", Port: 5432, DBName: "app", Username: "app"}
	pg := func(code string) error {
		return fmt.Errorf("exec: %w", &pgconn.PgError{Severity: "FATAL", Code: code, Message: "message for " + code})
	}
	cases := []struct {
		err  error
		kind loginKind
		want string
	}{
		{pg("28P01"), appLogin, ErrLoginFailed + "!"},
		{pg("28000"), appLogin, ErrLoginFailed + "!"},
		{pg("28P01"), masterLogin, ErrMasterAuthFailed + "!"},
		{pg("3D000"), appLogin, ErrLoginFailed + "!"},
		{pg("40001"), appLogin, "retryable"},
		{pg("40P01"), appLogin, "retryable"},
		{pg("57P01"), masterLogin, "outage"},
		{pg("57P03"), appLogin, "outage"},
		{pg("08006"), appLogin, "outage"},
		{pg("25006"), appLogin, "outage"},
		{pg("55P03"), appLogin, "retryable"},
		{pg("53300"), appLogin, "retryable"},
		{pg("42501"), masterLogin, ErrDatabaseRefused + "!"},
		{pg("42601"), masterLogin, ErrDatabaseRefused + "!"},
		{&errNoConnect{db: "app", role: "app", owner: "rdsadmin"}, masterLogin, ErrDatabaseRefused + "!"},
		{errors.New("unexpected EOF"), appLogin, "outage"},
		{fmt.Errorf("read: %w", syscall.ECONNRESET), appLogin, "outage"},
		{errors.New("something else"), appLogin, "retryable"},
	}
	for _, tc := range cases {
		if got := classOf(t, dbError(ctx, "secret prod/app", target, tc.kind, tc.err)); got != tc.want {
			t.Errorf("%v (kind %d): got %s, want %s", tc.err, tc.kind, got, tc.want)
		}
	}
}

// TestDBErrorUnreachable uses real connection failures: a port nobody
// listens on (an outage: a rebooting instance looks like this) and a host
// name that cannot resolve (a misconfiguration: fails fast).
func TestDBErrorUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	const password = "never-in-errors-9f8e7d"
	for _, host := range []string{"127.0.0.1", "no-such-host.invalid"} {
		s := DBSecret{Host: host, Port: port, DBName: "app", Username: "app", Password: password}
		cfg, err := (&Activities{opts: Options{ConnectTimeout: 5 * time.Second}}).connConfig("prod/app", s)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		_, connErr := pgx.ConnectConfig(ctx, cfg)
		if connErr == nil {
			t.Fatalf("%s: connected to a closed port", host)
		}
		err = dbError(ctx, "secret prod/app", s.target(), appLogin, connErr, password)
		want := ErrDatabaseUnreachable + "!"
		if host == "127.0.0.1" {
			want = "outage"
		}
		if got := classOf(t, err); got != want {
			t.Fatalf("%s: got %s (%v)", host, got, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, "secret prod/app") || !strings.Contains(msg, fmt.Sprint(port)) || strings.Contains(msg, password) {
			t.Fatalf("%s: message %q must name secret and host:port, and no password", host, msg)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := redact("a pw1 b pw2 c pw1", "pw1", "", "pw2"); got != "a [REDACTED] b [REDACTED] c [REDACTED]" {
		t.Fatal(got)
	}
}
