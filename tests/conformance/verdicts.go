//go:build conformance

package main

// verdicts is the judged list of known differences, keyed by case id and
// the paths they cover. Each was decided from AWS's documentation (the
// API references, and botocore's service models, which list each
// operation's documented errors), never from which emulator is preferred.
func verdicts() []verdict {
	return []verdict{}
}
