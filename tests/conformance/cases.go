//go:build conformance

package main

import (
	"fmt"
	"time"
)

// A case is a sequence of calls run in order against a fresh set of names
// on each emulator; its steps' answers are compared one by one.
type testCase struct {
	id    string
	steps []step
}

type service int

const (
	sm service = iota
	rdsSvc
	cw
)

// A step is one SDK call: op is the client's method name and in its input
// (a *<Op>Input). inFrom builds the input from earlier answers instead, for
// what only the emulator knows (the ARN of an RDS-managed secret). keep,
// when set, compares only these dotted paths of the answer: RDS answers
// carry dozens of members credstage never reads, whose absence says
// nothing about what credstage sees.
type step struct {
	svc    service
	op     string
	in     any
	inFrom func(prev []any) (any, error)
	keep   []string
	// waitFor repeats the call (at most waitLimit) until the answer's
	// normalized JSON contains this text: RDS instances take a while to
	// become available on localaws (a real PostgreSQL starts).
	waitFor string
	// skip leaves the answer out of the comparison: a call made only to
	// put both emulators in the same state.
	skip bool
}

const waitLimit = 90 * time.Second

// tok is a fixed ClientRequestToken (a UUID, 36 characters, within AWS's
// 32-64), the same on both emulators, so versions can be named in later
// steps and survive normalization.
func tok(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// allCases lists every case, in the order they run.
func allCases() []testCase {
	var all []testCase
	all = append(all, secretsManagerCases()...)
	all = append(all, cloudWatchCases()...)
	all = append(all, rdsCases()...)
	return all
}
