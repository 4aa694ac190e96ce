package activities

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/aws/smithy-go"
	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/temporal"
)

// ErrDatabaseRefused is the type of a statement the database refused for a
// reason a retry cannot fix (missing privilege, a role in the way). It sits
// here rather than in errors.go because only this file produces it.
const ErrDatabaseRefused = "DatabaseRefused"

// Every error an activity returns is built in this file: transient failures
// come back as a plain error (Temporal retries them), everything else as a
// non-retryable ApplicationError with a stable type from errors.go. The
// messages name the subject (a secret id or an instance) and the cause, and
// are passed through redact with every password the step holds, so no
// secret value can leave in an error.

// transientError is a failure a retry may fix. It keeps only the already
// redacted text: the failure converter serialises wrapped causes too, and a
// driver error might quote more than we want in workflow history.
type transientError struct {
	msg string
	// outage: the database could not be reached at all (see isOutage);
	// steps wait such a failure out for their outage budget.
	outage bool
}

func (e *transientError) Error() string { return e.msg }

func retryable(format string, args ...any) error {
	return &transientError{msg: fmt.Sprintf(format, args...)}
}

// outage is a transient failure that means the database is away: it is
// restarting, failing over or the network to it is cut.
func outage(format string, args ...any) error {
	return &transientError{msg: fmt.Sprintf(format, args...), outage: true}
}

// isOutage reports a database outage, as opposed to a refusal: RDS
// reboots (30-60 s) and Multi-AZ failovers (60-120 s) look like this, and
// every step waits them out rather than failing or rolling back.
func isOutage(err error) bool {
	var tr *transientError
	return errors.As(err, &tr) && tr.outage
}

// nonRetryable builds the ApplicationError of a stable type; details (never
// a secret) travel with it for callers that want more than the message.
func nonRetryable(errType, msg string, details ...any) error {
	return temporal.NewNonRetryableApplicationError(msg, errType, nil, details...)
}

func invalidInput(format string, args ...any) error {
	return nonRetryable(ErrInvalidInput, fmt.Sprintf(format, args...))
}

// isClassified reports whether err already went through this file.
func isClassified(err error) bool {
	var app *temporal.ApplicationError
	var tr *transientError
	return errors.As(err, &app) || errors.As(err, &tr)
}

// errMessage is an error's message without Temporal's "(type: ...)"
// suffix, for check details.
func errMessage(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	return err.Error()
}

// redact removes every given secret value from msg.
func redact(msg string, secrets ...string) string {
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[REDACTED]")
		}
	}
	return msg
}

// transientAWSCodes are AWS error codes that mean "try again later".
var transientAWSCodes = map[string]bool{
	"ThrottlingException": true, "Throttling": true, "ThrottledException": true,
	"TooManyRequestsException": true, "RequestLimitExceeded": true,
	"RequestThrottled": true, "RequestThrottledException": true,
	"ProvisionedThroughputExceededException": true, "SlowDown": true,
	"InternalFailure": true, "InternalServiceError": true, "InternalServiceFault": true,
	"InternalErrorException": true, "InternalError": true, "ServiceUnavailable": true,
	"ServiceUnavailableException": true, "RequestTimeout": true, "RequestTimeoutException": true,
	"PriorRequestNotComplete": true, "EC2ThrottledException": true,
}

// notFoundTypes maps "does not exist" codes to the error type they become.
var notFoundTypes = map[string]string{
	"ResourceNotFoundException": ErrSecretNotFound,
	"DBInstanceNotFound":        ErrInstanceNotAvailable,
	"DBInstanceNotFoundFault":   ErrInstanceNotAvailable,
}

// awsError classifies an error of an AWS call. subject names what the call
// was about ("secret prod/app"), op the operation.
func awsError(ctx context.Context, subject, op string, err error, secrets ...string) error {
	if err == nil || isClassified(err) {
		return err
	}
	if ctx.Err() != nil {
		return retryable("%s: %s interrupted: %v", subject, op, ctx.Err())
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		msg := redact(fmt.Sprintf("%s: %s failed: %s: %s", subject, op, code, api.ErrorMessage()), secrets...)
		if transientAWSCodes[code] || api.ErrorFault() == smithy.FaultServer || httpStatus(err) >= 500 {
			return retryable("%s", msg)
		}
		if t, ok := notFoundTypes[code]; ok {
			return nonRetryable(t, msg)
		}
		return nonRetryable(ErrAWSRequestRefused, msg)
	}
	var params smithy.InvalidParamsError
	if errors.As(err, &params) {
		return invalidInput("%s: %s: %s", subject, op, redact(params.Error(), secrets...))
	}
	// No answer from AWS at all (timeouts, refused or reset connections,
	// DNS): the SDK already retried; let Temporal retry with its backoff.
	return retryable("%s: %s failed: %s", subject, op, redact(err.Error(), secrets...))
}

func httpStatus(err error) int {
	var withStatus interface{ HTTPStatusCode() int }
	if errors.As(err, &withStatus) {
		return withStatus.HTTPStatusCode()
	}
	return 0
}

// awsCode is the AWS error code of err, "" when it is no API error.
func awsCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// loginKind says whose credentials a database call used, which decides
// whether a refused login is the master's fault or the secret's.
type loginKind int

const (
	appLogin loginKind = iota
	masterLogin
)

// dbTarget names a connection for messages: user@host:port/db.
type dbTarget struct {
	Host     string
	Port     int
	DBName   string
	Username string
}

func (t dbTarget) String() string {
	return fmt.Sprintf("%q@%s/%s", t.Username, net.JoinHostPort(t.Host, fmt.Sprint(t.Port)), t.DBName)
}

// transientSQLStates are server errors a retry can outlive: serialization
// failures, deadlocks, lock and statement timeouts, connection limits.
var transientSQLStates = map[string]bool{
	"40001": true, "40P01": true, "55P03": true, "53300": true, "53400": true,
	"58000": true, "58030": true, "57014": true,
}

// outageSQLState reports server errors that mean the database is going
// away or coming back: 57P01-57P03 (shutting down, crashed, starting up),
// the 08 class (connection exceptions) and 25006 (a read-only
// transaction: the old writer after a failover, until DNS moves).
func outageSQLState(state string) bool {
	return strings.HasPrefix(state, "57P") || strings.HasPrefix(state, "08") || state == "25006"
}

// dbError classifies an error of a PostgreSQL login or statement.
func dbError(ctx context.Context, subject string, t dbTarget, kind loginKind, err error, secrets ...string) error {
	if err == nil || isClassified(err) {
		return err
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// No answer in time: a read timeout, which is what a host that
		// is black-holed mid-failover looks like.
		return outage("%s: database call to %s got no answer in time (outage): %v", subject, t, ctx.Err())
	}
	if ctx.Err() != nil {
		return retryable("%s: database call to %s interrupted: %v", subject, t, ctx.Err())
	}
	text := redact(err.Error(), secrets...)
	if method, ok := refusedAuthMethod(err); ok {
		return nonRetryable(ErrAuthMethodRefused, fmt.Sprintf("%s: %s asked for %s; credstage sends passwords only through SCRAM-SHA-256, so none was sent. "+
			"If the role's stored password is an MD5 hash, set it again with password_encryption = 'scram-sha-256' (a rotation through the master does)", subject, t, method))
	}
	var noConnect *errNoConnect
	if errors.As(err, &noConnect) {
		return nonRetryable(ErrDatabaseRefused, fmt.Sprintf("%s: %s: %s", subject, t, text))
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		state := pgErr.Code
		msg := redact(fmt.Sprintf("%s: %s: %s (SQLSTATE %s)", subject, t, pgErr.Message, state), secrets...)
		switch {
		case state == "28000" && strings.Contains(pgErr.Message, "no encryption"):
			// pg_hba.conf's hostnossl reject: RDS's rds.force_ssl=1.
			return nonRetryable(ErrTLSRequired, fmt.Sprintf("%s: %s refuses connections without TLS (rds.force_ssl is 1): remove sslmode=disable from the secret", subject, t))
		case state == "28P01" || state == "28000":
			if kind == masterLogin {
				return nonRetryable(ErrMasterAuthFailed, "master credentials refused: "+msg)
			}
			return nonRetryable(ErrLoginFailed, "login refused: "+msg)
		case state == "3D000":
			return nonRetryable(ErrLoginFailed, "database does not exist: "+msg)
		case state == "55000" && errors.As(err, new(*pgconn.ConnectError)):
			// "database ... is not currently accepting connections": no
			// session can be had, like an unreachable server.
			return nonRetryable(ErrDatabaseUnreachable, "database not accepting connections: "+msg)
		case outageSQLState(state):
			return outage("database outage: %s", msg)
		case transientSQLStates[state]:
			return retryable("%s", msg)
		default:
			return nonRetryable(ErrDatabaseRefused, msg)
		}
	}
	if isTLSFailure(err) {
		return nonRetryable(ErrTLSRequired, fmt.Sprintf("%s: TLS to %s failed, and credstage never falls back to plaintext: %s", subject, t, text))
	}
	if isUnreachable(err) {
		return nonRetryable(ErrDatabaseUnreachable, fmt.Sprintf("%s: database %s unreachable: %s", subject, t, text))
	}
	if isNetworkFailure(err) {
		return outage("%s: database %s unreachable (outage): %s", subject, t, text)
	}
	return retryable("%s: database call to %s failed: %s", subject, t, text)
}

// refusedAuthMethod tells whether pgx refused a login because the server
// asked for an authentication method other than SCRAM (connConfig's
// RequireAuth), and which. pgx reports it as text only; the fake-server
// test holds this to pgx's wording.
func refusedAuthMethod(err error) (method string, ok bool) {
	msg := err.Error()
	if !strings.Contains(msg, "require_auth check failed") {
		return "", false
	}
	switch {
	case strings.Contains(msg, "requested password authentication"):
		return "a cleartext password", true
	case strings.Contains(msg, "requested md5 authentication"):
		return "an MD5 password", true
	case strings.Contains(msg, "did not complete authentication"):
		return "no password at all (trust)", true
	}
	return "an authentication method other than SCRAM-SHA-256", true
}

func isTLSFailure(err error) bool {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	return errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verify) || errors.As(err, &record) ||
		strings.Contains(err.Error(), "server refused TLS connection") || errors.As(err, new(*tlsTrustError))
}

// isUnreachable: a host that does not resolve, or an address this machine
// cannot use. Waiting does not fix a misconfiguration, and retrying hides
// it: these fail fast.
func isUnreachable(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) || errors.Is(err, syscall.EADDRNOTAVAIL)
}

// isNetworkFailure: a connection refused, reset or cut, no route, a dial
// or read that timed out, a connection closed under a statement. This is
// what a rebooting or failing-over database looks like from a client; it
// is waited out (isOutage), never taken as a refusal.
func isNetworkFailure(err error) bool {
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.ETIMEDOUT):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return true
	case errors.As(err, &opErr), errors.As(err, &netErr):
		return true
	}
	var connectErr *pgconn.ConnectError
	// pgconn's "failed to receive message" and friends wrap the socket
	// error as text when the connection died mid-exchange.
	return errors.As(err, &connectErr) || strings.Contains(err.Error(), "conn closed") ||
		strings.Contains(err.Error(), "failed to receive message") || strings.Contains(err.Error(), "unexpected EOF")
}
