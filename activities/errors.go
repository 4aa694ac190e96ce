package activities

import "github.com/credstage/credstage/engine"

// Error types of non-retryable ApplicationErrors. They are stable names:
// workflows, the CLI and tests match on them, so never rename one.
const (
	ErrSecretNotFound       = "SecretNotFound"       // the secret id names no secret
	ErrMalformedSecret      = "MalformedSecret"      // not JSON, missing keys, wrong engine
	ErrMasterAuthFailed     = "MasterAuthFailed"     // master credentials refused
	ErrLoginFailed          = "LoginFailed"          // a credential that should log in did not
	ErrDatabaseUnreachable  = "DatabaseUnreachable"  // host unknown, address unusable, not accepting connections
	ErrInvalidInput         = "InvalidInput"         // bad plan, strategy, identifier
	ErrValidationFailed     = "ValidationFailed"     // a probe or validator failed
	ErrVersionConflict      = "VersionConflict"      // labels moved by someone else
	ErrInstanceNotAvailable = "InstanceNotAvailable" // RDS instance in a state that cannot serve
	ErrAWSRequestRefused    = "AWSRequestRefused"    // any other 4xx from AWS
	ErrTLSRequired          = "TLSRequired"          // TLS could not be had as required: no TLS, a refused certificate, or a server that demands TLS of a plaintext secret
	ErrAuthMethodRefused    = "AuthMethodRefused"    // the server asked for a cleartext or MD5 password; none was sent
	ErrAlreadyRotating      = "AlreadyRotating"      // another run holds the secret's lease (lease.go)
	ErrNotCredstages        = "NotCredstages"        // it exists without credstage's mark; adopt it explicitly (ownership.go)
	ErrConsumersActive      = "ConsumersActive"      // clients still log in as the role a rotation would change (drain.go)
)

// ErrDatabaseOutage: the database stayed unreachable (refused, timed out,
// restarting, read-only after a failover) for longer than the step's
// outage budget. Unlike DatabaseUnreachable (a host that does not
// resolve: a misconfiguration) it is what a long reboot or failover looks
// like, and the step may have acted before it began.
const ErrDatabaseOutage = engine.ErrDatabaseOutage
