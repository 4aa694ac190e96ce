package localaws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"time"
)

// Persistence: the whole state lives in <dataDir>/secretsmanager.json,
// rewritten crash-safely (saveJSON) before a changing call is answered, so
// an acknowledged call survives a restart or a crash. Two things keep that
// affordable with thousands of secrets: each secret caches its encoding and
// only changed secrets are encoded again, and saves are group-committed, so
// concurrent callers share one write instead of queueing a write each.

// changed records a change to secret s (nil when a secret was removed); the
// next commit writes it. Every change to the state must go through here.
func (sm *secretsManager) changed(s *smSecret) {
	if s != nil {
		s.enc = nil
	}
	sm.changes++
}

// run executes fn under the state lock, with expired deletions purged
// first, and makes what it changed durable before returning.
func (sm *secretsManager) run(fn func(now time.Time) (any, error)) (any, error) {
	sm.mu.Lock()
	now := sm.now()
	before := sm.changes
	sm.purgeExpiredLocked(now)
	res, err := fn(now)
	after := sm.changes
	sm.mu.Unlock()
	if after != before {
		if cerr := sm.commit(after, false); cerr != nil {
			return nil, cerr
		}
	}
	return res, err
}

// commit writes the state unless changes up to upTo are on disk already
// (force also writes pending access dates).
func (sm *secretsManager) commit(upTo uint64, force bool) error {
	sm.saveMu.Lock()
	defer sm.saveMu.Unlock()
	sm.mu.Lock()
	if sm.saved >= upTo && !(force && sm.lazyDirty) {
		sm.mu.Unlock()
		return nil
	}
	snapshot, err := sm.encodeStateLocked()
	at := sm.changes
	if err == nil {
		sm.lazyDirty = false
	}
	sm.mu.Unlock()
	if err != nil {
		return fmt.Errorf("secretsmanager: encode state: %w", err)
	}
	if err := saveJSON(sm.statePath(), json.RawMessage(snapshot)); err != nil {
		sm.mu.Lock()
		sm.lazyDirty = true
		sm.mu.Unlock()
		return fmt.Errorf("secretsmanager: save state: %w", err)
	}
	sm.saved = at
	return nil
}

func (sm *secretsManager) statePath() string { return filepath.Join(sm.env.dataDir, smStateFile) }

// encodeStateLocked renders the state in the smPersisted format from the
// cached per-secret encodings, encoding only secrets that changed.
func (sm *secretsManager) encodeStateLocked() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"nextSeq":`)
	buf.WriteString(strconv.FormatUint(sm.nextSeq, 10))
	buf.WriteString(`,"secrets":[`)
	for i, s := range sm.orderedLocked() {
		if s.enc == nil {
			enc, err := json.Marshal(s)
			if err != nil {
				return nil, err
			}
			s.enc = enc
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(s.enc)
	}
	buf.WriteString("]}")
	return buf.Bytes(), nil
}

func (sm *secretsManager) load() error {
	var p smPersisted
	found, err := loadJSON(sm.statePath(), &p)
	if err != nil {
		return fmt.Errorf("secretsmanager: %w", err)
	}
	if !found {
		return nil
	}
	for _, s := range p.Secrets {
		if s == nil || s.Name == "" {
			continue
		}
		if s.ResourcePolicy != "" {
			// Only a valid policy is ever stored; one that no longer parses
			// was edited by hand, and evaluating it as no policy could let a
			// lost Deny allow what it was written to refuse.
			if s.policy, err = parsePolicy([]byte(s.ResourcePolicy), resourcePolicy); err != nil {
				return fmt.Errorf("secretsmanager: secret %s: stored resource policy: %w", s.Name, err)
			}
		}
		sm.secrets[s.Name] = s
		if s.DeletionDate != nil {
			sm.schedulePurgeLocked(*s.DeletionDate)
		}
		if s.Seq >= p.NextSeq {
			p.NextSeq = s.Seq + 1
		}
	}
	sm.nextSeq = p.NextSeq
	return nil
}
