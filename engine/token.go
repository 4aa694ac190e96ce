package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// The token of a rotation is the VersionId of the secret version it
// creates (and the ClientRequestToken of the PutSecretValue that creates
// it), fixed before the first step, so every step and every retry of it
// finds the same version. It names the workflow run that made it:
//
//	<run id>.<first 8 hex digits of SHA-256 of the secret's name>
//
// The run id is the Temporal run (RotateSecret's own, or the staged run's
// for a batched stage) whose history says how the rotation went; the
// suffix tells the secrets of one batched run apart. A run id is a UUID
// (36 characters), so a token is 45, within Secrets Manager's 32-64. It
// is deterministic, so workflow code derives it without a side effect,
// and a replay derives the same. Runs started before this format kept a
// random UUID (RotateSecret) or a name-based UUID (batches) as token;
// TokenRun says no for those.
const tokenHashLen = 8

// Token is the token a run gives the rotation of the named secret.
func Token(runID, secretName string) string {
	sum := sha256.Sum256([]byte(secretName))
	return runID + "." + hex.EncodeToString(sum[:])[:tokenHashLen]
}

// TokenRun is the run id a token names, if it has this format.
func TokenRun(token string) (runID string, ok bool) {
	run, hash, found := strings.Cut(token, ".")
	if !found || run == "" || len(hash) != tokenHashLen || strings.Contains(hash, ".") {
		return "", false
	}
	if _, err := hex.DecodeString(hash); err != nil {
		return "", false
	}
	return run, true
}
