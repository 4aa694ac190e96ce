// Package iampolicy is the one source of the IAM policies credstage
// ships and writes: the identity policies of the worker, the CLI and an
// application that reads its secret (`credstage iam policy`, and the
// files under deploy/iam/, which are this package's output with default
// options), and the resource policy provisioning attaches to an
// application secret. Each action is listed once, beside the call that
// needs it, so the policies grant what credstage calls and no more.
//
// It imports nothing of credstage: activities (the resource policy) and
// the CLI (everything) both build on it.
package iampolicy
