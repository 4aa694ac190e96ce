// Package stack starts the parts of credstage's local stack for tests: the
// real Temporal dev server from the pinned CLI binary (bin/temporal), and
// localaws in-process. Every part is stopped by t.Cleanup, by process id
// where it is a process, and leaves no data folder behind.
package stack
