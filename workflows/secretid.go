package workflows

import (
	"fmt"
	"strings"
	"unicode"
)

// SecretName is the name a secret id stands for, so the one-rotation-per-
// secret lock (the workflow ID rotate/<name>) is the same however the
// secret was written. A full ARN
// (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random
// characters>) becomes <name>; a name or a partial ARN is kept as given
// (a partial ARN cannot be told from a name ending in -xxxxxx, so it is
// not shortened: plan checking replaces ARNs by names before a run
// starts). Whitespace and control characters, which have no place in a
// secret name, become '_' so the result is a clean workflow ID.
func SecretName(secretID string) string {
	name := strings.TrimSpace(secretID)
	if strings.HasPrefix(name, "arn:") {
		if _, after, ok := strings.Cut(name, ":secret:"); ok && after != "" {
			name = trimARNSuffix(after)
		}
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, name)
}

// trimARNSuffix drops the "-" and six random alphanumerics Secrets Manager
// appends to a secret's name in its full ARN.
func trimARNSuffix(s string) string {
	const n = 7 // "-" + 6
	if len(s) <= n || s[len(s)-n] != '-' {
		return s
	}
	for _, c := range s[len(s)-n+1:] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return s
		}
	}
	return s[:len(s)-n]
}

// SecretWorkflowID is the workflow ID of the one run allowed to change a
// secret at a time: RotateSecret and RollbackSecret both run under it, so a
// rotation and a rollback of the same secret exclude each other too. The
// CLI starts single rotations and rollbacks under the same ID.
func SecretWorkflowID(secretID string) string { return RotateWorkflowID(SecretName(secretID)) }

// alreadyRotatingMessage is the error of a target whose lock is held.
func alreadyRotatingMessage(secretID string) string {
	return fmt.Sprintf("secret %s is already being rotated by workflow %s", secretID, SecretWorkflowID(secretID))
}
