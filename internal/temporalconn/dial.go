package temporalconn

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"google.golang.org/grpc/status"
)

// DefaultDialTimeout bounds connecting plus the health check: long enough
// for a loaded dev server, short enough that a wrong address fails while
// the user still waits for it.
const DefaultDialTimeout = 5 * time.Second

// UnreachableError means the server could not be reached or did not
// answer its health check in time.
type UnreachableError struct {
	Address string
	Err     error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach Temporal at %s: %s", e.Address, Cause(e.Err))
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Dial connects with base (from ClientOptions, plus the caller's logger
// and metrics), then checks the server's health, all within timeout.
func Dial(ctx context.Context, base client.Options, timeout time.Duration) (client.Client, error) {
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if base.ConnectionOptions.GetSystemInfoTimeout == 0 {
		base.ConnectionOptions.GetSystemInfoTimeout = timeout
	}
	c, err := client.DialContext(ctx, base)
	if err != nil {
		return nil, &UnreachableError{Address: base.HostPort, Err: err}
	}
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		c.Close()
		return nil, &UnreachableError{Address: base.HostPort, Err: err}
	}
	return c, nil
}

// Cause shortens a gRPC dial error to the part a person can act on:
// "connection refused" rather than three nested layers of transport text.
func Cause(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within the connect timeout"
	}
	msg := err.Error()
	if s, ok := status.FromError(err); ok {
		msg = s.Message()
	}
	for _, noise := range []string{
		"failed reaching server: ",
		"last connection error: ",
		"connection error: ",
		"desc = ",
		"transport: Error while dialing: ",
		"transport: error while dialing: ",
	} {
		if i := strings.LastIndex(msg, noise); i >= 0 {
			msg = msg[i+len(noise):]
		}
	}
	msg = strings.Trim(msg, "\" ")
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "dial tcp") {
		msg = msg[i+2:] // "dial tcp 127.0.0.1:1: connect: connection refused"
	}
	if strings.Contains(msg, "deadline exceeded") {
		return "no answer within the connect timeout"
	}
	return msg
}
