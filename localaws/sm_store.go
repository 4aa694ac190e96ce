package localaws

import (
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// smSecret is one secret with all of its versions. Every field is exported
// only so encoding/json can persist it; nothing outside sm_* touches it.
type smSecret struct {
	ARN           string     `json:"arn"`
	Name          string     `json:"name"`
	Type          *string    `json:"type,omitempty"`
	Description   *string    `json:"description,omitempty"`
	KmsKeyID      *string    `json:"kmsKeyId,omitempty"`
	OwningService string     `json:"owningService,omitempty"`
	Tags          []smKV     `json:"tags,omitempty"`
	Created       time.Time  `json:"created"`
	LastChanged   time.Time  `json:"lastChanged"`
	LastAccessed  *time.Time `json:"lastAccessed,omitempty"`
	// DeletionDate is set while the secret waits out its recovery window;
	// the secret disappears once it passes.
	DeletionDate *time.Time `json:"deletionDate,omitempty"`
	// CreateToken is the ClientRequestToken of CreateSecret, so a retried
	// create is recognised even when it carried no value.
	CreateToken string       `json:"createToken,omitempty"`
	Rotation    *smRotation  `json:"rotation,omitempty"`
	Versions    []*smVersion `json:"versions,omitempty"` // oldest first
	// Seq orders secrets by creation even when clocks tie.
	Seq uint64 `json:"seq"`
	// ResourcePolicy is the resource-based policy as the caller put it
	// (sm_policy.go); policy is its parsed form, for evaluation.
	ResourcePolicy string `json:"resourcePolicy,omitempty"`
	policy         *policyDoc

	// enc is the secret's encoding as its last log record holds it (access
	// dates recorded since excepted), what a compaction writes; nil before
	// the first record (see sm_persist.go).
	enc []byte
}

type smKV struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type smVersion struct {
	ID           string     `json:"id"`
	SecretString *string    `json:"secretString,omitempty"`
	SecretBinary []byte     `json:"secretBinary,omitempty"`
	Stages       []string   `json:"stages,omitempty"`
	Created      time.Time  `json:"created"`
	LastAccessed *time.Time `json:"lastAccessed,omitempty"`
}

// smRotation is the recorded rotation configuration. The emulator never
// invokes a rotation Lambda; see sm_rotation.go.
type smRotation struct {
	Enabled                bool       `json:"enabled"`
	LambdaARN              string     `json:"lambdaArn,omitempty"`
	AutomaticallyAfterDays *int64     `json:"automaticallyAfterDays,omitempty"`
	Duration               *string    `json:"duration,omitempty"`
	ScheduleExpression     *string    `json:"scheduleExpression,omitempty"`
	LastRotated            *time.Time `json:"lastRotated,omitempty"`
	NextRotation           *time.Time `json:"smNextRotation,omitempty"`
}

func (s *smSecret) scheduledForDeletion() bool { return s.DeletionDate != nil }

func (s *smSecret) version(id string) *smVersion {
	for _, v := range s.Versions {
		if v.ID == id {
			return v
		}
	}
	return nil
}

func (s *smSecret) versionWithStage(stage string) *smVersion {
	for _, v := range s.Versions {
		if slices.Contains(v.Stages, stage) {
			return v
		}
	}
	return nil
}

// versionsToStages maps each labelled version to its labels; deprecated
// (unlabelled) versions are left out, as DescribeSecret and ListSecrets do.
func (s *smSecret) versionsToStages() map[string][]string {
	m := map[string][]string{}
	for _, v := range s.Versions {
		if len(v.Stages) > 0 {
			m[v.ID] = slices.Clone(v.Stages)
		}
	}
	return m
}

func (v *smVersion) hasStage(stage string) bool { return slices.Contains(v.Stages, stage) }

func (v *smVersion) addStage(stage string) {
	if !v.hasStage(stage) {
		v.Stages = append(v.Stages, stage)
	}
}

func (v *smVersion) removeStage(stage string) {
	v.Stages = slices.DeleteFunc(v.Stages, func(s string) bool { return s == stage })
}

// sameValue is the idempotency test for a repeated ClientRequestToken.
func (v *smVersion) sameValue(str *string, bin []byte) bool {
	if (v.SecretString == nil) != (str == nil) {
		return false
	}
	if str != nil && *v.SecretString != *str {
		return false
	}
	if (v.SecretBinary == nil) != (bin == nil) {
		return false
	}
	return string(v.SecretBinary) == string(bin)
}

// arnPrefix is every secret ARN up to the name.
func (sm *secretsManager) arnPrefix() string {
	return sm.env.arn("secretsmanager", "secret:")
}

const smArnSuffixChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newARN gives a name the six random characters AWS appends, so a secret
// re-created under the same name gets a different ARN.
func (sm *secretsManager) newARN(name string) string {
	var b strings.Builder
	b.WriteString(sm.arnPrefix())
	b.WriteString(name)
	b.WriteByte('-')
	for range 6 {
		b.WriteByte(smArnSuffixChars[rand.IntN(len(smArnSuffixChars))])
	}
	return b.String()
}

// lookupLocked resolves a SecretId the three ways AWS accepts it: the name,
// the full ARN, or the partial ARN (the ARN without its random suffix).
func (sm *secretsManager) lookupLocked(id string) (*smSecret, *APIError) {
	if s := sm.secrets[id]; s != nil {
		return s, nil
	}
	prefix := sm.arnPrefix()
	if rest, ok := strings.CutPrefix(id, prefix); ok {
		if s := sm.secrets[rest]; s != nil {
			return s, nil
		}
		if i := len(rest) - 7; i > 0 && rest[i] == '-' {
			if s := sm.secrets[rest[:i]]; s != nil && s.ARN == id {
				return s, nil
			}
		}
	}
	return nil, smNotFound()
}

// liveLocked resolves a SecretId for an operation that refuses secrets
// scheduled for deletion.
func (sm *secretsManager) liveLocked(id string) (*smSecret, *APIError) {
	s, err := sm.lookupLocked(id)
	if err != nil {
		return nil, err
	}
	if s.scheduledForDeletion() {
		return nil, smMarkedForDeletion()
	}
	return s, nil
}

// mutableLocked resolves a SecretId for an operation that changes the value,
// labels, rotation or life of a secret: those are refused on secrets another
// service owns, which only that service may change.
func (sm *secretsManager) mutableLocked(id string) (*smSecret, *APIError) {
	s, err := sm.liveLocked(id)
	if err != nil {
		return nil, err
	}
	if s.OwningService != "" {
		return nil, smManagedByService(s.OwningService)
	}
	return s, nil
}

// orderedLocked lists every secret (scheduled ones too) in creation order.
func (sm *secretsManager) orderedLocked() []*smSecret {
	out := make([]*smSecret, 0, len(sm.secrets))
	for _, s := range sm.secrets {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *smSecret) int { return smCmpUint(a.Seq, b.Seq) })
	return out
}

func smCmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// addSecretLocked registers a new secret with a fresh ARN.
func (sm *secretsManager) addSecretLocked(name string, now time.Time) *smSecret {
	s := &smSecret{ARN: sm.newARN(name), Name: name, Created: now, LastChanged: now, Seq: sm.nextSeq}
	sm.nextSeq++
	sm.secrets[name] = s
	sm.changed(s)
	return s
}

// smAccessDay is the granularity of LastAccessedDate: AWS records the day,
// not the moment, of the last read.
func smAccessDay(now time.Time) time.Time { return now.UTC().Truncate(24 * time.Hour) }

// touchAccessLocked records a read of version v. LastAccessedDate is
// informational, so it is logged with the next change (or at close) rather
// than making every first read of the day wait for a write.
func (sm *secretsManager) touchAccessLocked(s *smSecret, v *smVersion, now time.Time) {
	day := smAccessDay(now)
	touched := false
	if s.LastAccessed == nil || !s.LastAccessed.Equal(day) {
		s.LastAccessed = &day
		touched = true
	}
	if v != nil && (v.LastAccessed == nil || !v.LastAccessed.Equal(day)) {
		v.LastAccessed = &day
		touched = true
	}
	if touched {
		sm.lazy[s.Name] = struct{}{}
	}
}
