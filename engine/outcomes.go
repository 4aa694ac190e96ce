package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TagOutcomes is the secret tag in which credstage keeps the outcomes of a
// secret's last rotations, newest first, so that a secret's history is
// answerable after Temporal's retention has dropped the runs: Secrets
// Manager keeps versions and their creation dates (and the token names the
// run that made each), but not how the run ended. One TagResource per
// rotation, in Secrets Manager's tag quota (50/s), not its write quota.
//
// The value is entries separated by a space, each
//
//	<status code>:<unix seconds>:<version key>
//
// for example "S:1796228400:1a2b3c4d R:1796142000:9f8e7d6c", where the
// version key is the last 8 characters of the run id the version's token
// names (of the version id itself if it is no token): Temporal's run ids
// are UUIDv7, whose first characters are a timestamp two runs a minute
// apart share, and whose last are random. A tag value holds at most 256
// characters, so the oldest entries fall off (MaxOutcomes is how many
// always fit).
const TagOutcomes = "credstage:outcomes"

const (
	maxTagValue   = 256
	versionKeyLen = 8
	// MaxOutcomes is how many entries a TagOutcomes value keeps.
	MaxOutcomes = 10
)

// outcomeCodes are the statuses a rotation ends in, one letter each.
var outcomeCodes = []struct {
	code   byte
	status string
}{
	{'S', StatusSucceeded},
	{'R', StatusRolledBack},
	{'F', StatusFailed},
	{'U', StatusPromotedUnverified},
	{'A', StatusAborted},
}

// EndsRotation says whether a rotation can end in status, so that its
// outcome is recorded.
func EndsRotation(status string) bool {
	for _, c := range outcomeCodes {
		if c.status == status {
			return true
		}
	}
	return false
}

// Outcome is how one rotation of a secret ended.
type Outcome struct {
	Status string
	Time   time.Time
	// VersionKey identifies the version the rotation made (versionKey).
	VersionKey string
}

// NewOutcome is the outcome of the rotation whose token is versionID.
func NewOutcome(status string, at time.Time, versionID string) Outcome {
	return Outcome{Status: status, Time: at.UTC().Truncate(time.Second), VersionKey: versionKey(versionID)}
}

// Matches says whether the outcome is that of the version with this id.
func (o Outcome) Matches(versionID string) bool {
	return o.VersionKey != "" && o.VersionKey == versionKey(versionID)
}

// versionKey is the last characters of the run a token names, or of the
// version id when it is no token.
func versionKey(versionID string) string {
	id := versionID
	if run, ok := TokenRun(versionID); ok {
		id = run
	}
	return id[max(0, len(id)-versionKeyLen):]
}

// AppendOutcome puts o first in a TagOutcomes value, dropping the oldest
// entries beyond MaxOutcomes. Entries it cannot read are dropped. The
// same version's outcome is kept once: when prev already records it with
// the same status (a retried activity, or a batch's outcome recorded as
// the secret finished and again when the stage ended) it returns prev
// unchanged; with another status (a succeeded secret whose stage was
// rolled back) the new one replaces it.
func AppendOutcome(prev string, o Outcome) (string, error) {
	entry, err := formatOutcome(o)
	if err != nil {
		return "", err
	}
	kept := []string{entry}
	for _, e := range strings.Fields(prev) {
		old, err := parseOutcome(e)
		switch {
		case err != nil:
			continue
		case o.VersionKey != "" && old.VersionKey == o.VersionKey:
			if old.Status == o.Status {
				return prev, nil
			}
			continue
		}
		if len(kept) < MaxOutcomes {
			kept = append(kept, e)
		}
	}
	return strings.Join(kept, " "), nil
}

// ParseOutcomes reads a TagOutcomes value, newest first; unreadable
// entries are skipped.
func ParseOutcomes(value string) []Outcome {
	var out []Outcome
	for _, e := range strings.Fields(value) {
		if o, err := parseOutcome(e); err == nil {
			out = append(out, o)
		}
	}
	return out
}

func formatOutcome(o Outcome) (string, error) {
	for _, c := range outcomeCodes {
		if c.status == o.Status {
			e := fmt.Sprintf("%c:%d:%s", c.code, o.Time.Unix(), o.VersionKey)
			if len(o.VersionKey) > versionKeyLen || strings.ContainsAny(o.VersionKey, ": ") || len(e)*MaxOutcomes+MaxOutcomes-1 > maxTagValue {
				return "", fmt.Errorf("outcome of version %q cannot be recorded", o.VersionKey)
			}
			return e, nil
		}
	}
	return "", fmt.Errorf("status %q is not the end of a rotation", o.Status)
}

func parseOutcome(e string) (Outcome, error) {
	parts := strings.Split(e, ":")
	if len(parts) != 3 || len(parts[0]) != 1 {
		return Outcome{}, fmt.Errorf("malformed outcome %q", e)
	}
	secs, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return Outcome{}, fmt.Errorf("malformed outcome %q", e)
	}
	for _, c := range outcomeCodes {
		if c.code == parts[0][0] {
			return Outcome{Status: c.status, Time: time.Unix(secs, 0).UTC(), VersionKey: parts[2]}, nil
		}
	}
	return Outcome{}, fmt.Errorf("unknown outcome code in %q", e)
}
