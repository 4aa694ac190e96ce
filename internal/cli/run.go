// Package cli is the credstage command line: every command of the
// `credstage` binary, in-process and testable. starter/main.go only calls
// Run with the process's arguments, streams and environment.
//
// Exit codes (also printed by `credstage --help`):
//
//	0  success
//	1  the operation failed, was rolled back or was aborted
//	2  bad input: usage, an invalid plan or cron expression, an unknown run,
//	   schedule or secret
//	3  Temporal or AWS could not be reached (or refused the credentials)
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/credstage/credstage/internal/plan"
	"github.com/credstage/credstage/internal/temporalconn"
	"github.com/credstage/credstage/internal/yamlnode"
)

// Exit codes; see the package comment.
const (
	ExitOK          = 0
	ExitFailed      = 1
	ExitBadInput    = 2
	ExitUnreachable = 3
)

// Run executes the credstage command line given by args (without the
// program name) and returns the process exit code. env stands in for
// os.Getenv so tests can run commands side by side with different
// settings.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	return RunInput(ctx, args, os.Stdin, stdout, stderr, env)
}

// RunInput is Run with stdin standing in for the process's standard
// input (provision --password-stdin reads it).
func RunInput(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string) int {
	a := newApp(stdout, stderr, env)
	defer a.close()
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code := exitCode(err)
	if !errors.Is(err, errSilent) {
		fmt.Fprintln(stderr, strings.TrimRight(message(err), "\n"))
	}
	return code
}

// exitError carries an exit code chosen where the failure is understood.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// badInput is an error of exit code 2.
func badInput(format string, args ...any) error {
	return withCode(ExitBadInput, fmt.Errorf(format, args...))
}

// failed is an error of exit code 1.
func failed(format string, args ...any) error {
	return withCode(ExitFailed, fmt.Errorf(format, args...))
}

// errSilent marks an outcome already reported on stdout (a run that
// failed, shown with its progress): only the exit code remains to give.
var errSilent = errors.New("reported")

func exitCode(err error) int {
	var ee *exitError
	var unreachable *temporalconn.UnreachableError
	var awsErr *plan.AWSError
	var yerrs yamlnode.Errors
	var yerr *yamlnode.Error
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &unreachable), errors.As(err, &awsErr):
		return ExitUnreachable
	case errors.As(err, &yerrs), errors.As(err, &yerr):
		return ExitBadInput
	}
	return ExitFailed
}

// message renders err for a person: AWS SDK errors are condensed to the
// service's own words.
func message(err error) string {
	var awsErr *plan.AWSError
	if errors.As(err, &awsErr) {
		return awsMessage(awsErr)
	}
	return err.Error()
}
