package localaws

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// smLegacyFile is where localaws kept the whole state, rewritten on every
// change, before the log (sm_persist.go). It is migrated on first start.
const smLegacyFile = "secretsmanager.json"

// smLegacyState is the format of smLegacyFile: secrets in creation order.
type smLegacyState struct {
	Secrets []*smSecret `json:"secrets"`
	NextSeq uint64      `json:"nextSeq"`
}

// load rebuilds the state from the log, or from the file of an older
// version, which it then migrates to a log.
func (sm *secretsManager) load() error {
	removeStaleRewrites(sm.logPath())
	found, err := sm.loadLog()
	if err != nil || found {
		return err
	}
	legacy := filepath.Join(sm.env.dataDir, smLegacyFile)
	if found, err = sm.loadLegacy(legacy); err != nil || !found {
		return err
	}
	// The log must be durable before the old file goes: a crash in between
	// finds both, and the log wins. (Nothing else runs yet: no lock needed.)
	if err := sm.rewriteLocked(); err != nil {
		return fmt.Errorf("secretsmanager: migrate %s: %w", smLegacyFile, err)
	}
	if err := os.Remove(legacy); err != nil {
		return fmt.Errorf("secretsmanager: migrate %s: %w", smLegacyFile, err)
	}
	syncDir(sm.env.dataDir)
	sm.env.logger.Info("localaws: secretsmanager state migrated to a log", "from", smLegacyFile, "to", smLogFile, "secrets", len(sm.secrets))
	return nil
}

// loadLog replays the log: each record replaces or removes one secret, so
// the last one for a name is its state. A torn tail, what a crash in the
// middle of an append leaves, is cut off: the call it belonged to was never
// answered.
func (sm *secretsManager) loadLog() (found bool, err error) {
	l, payloads, dropped, err := openRecordLog(sm.logPath())
	if err != nil {
		return false, fmt.Errorf("secretsmanager: %w", err)
	}
	if l == nil {
		return false, nil
	}
	if err := sm.replay(payloads); err != nil {
		l.close()
		return false, fmt.Errorf("secretsmanager: %s: %w", smLogFile, err)
	}
	if dropped > 0 {
		sm.env.logger.Warn("localaws: secretsmanager log ended in a torn record, cut off", "bytes", dropped)
	}
	if _, err := os.Stat(filepath.Join(sm.env.dataDir, smLegacyFile)); err == nil {
		sm.env.logger.Warn("localaws: ignoring "+smLegacyFile+", the state is in "+smLogFile, "dir", sm.env.dataDir)
	}
	if err := sm.adoptLoaded(); err != nil {
		l.close()
		return false, err
	}
	sm.log, sm.logEnd = l, l.size
	return true, nil
}

func (sm *secretsManager) replay(payloads [][]byte) error {
	var head smLogRecord
	if err := json.Unmarshal(payloads[0], &head); err != nil || head.Format != smLogFormat {
		return errors.New("no header: not a localaws Secrets Manager log")
	}
	if head.Version != smLogVersion {
		return fmt.Errorf("log version %d, this localaws reads version %d", head.Version, smLogVersion)
	}
	sm.nextSeq = head.NextSeq
	for i, p := range payloads[1:] {
		// A record with a good checksum was written whole by this code, so
		// one that does not decode is a bug or an edit: stop rather than
		// guess at the state.
		var rec smLogRecord
		if err := json.Unmarshal(p, &rec); err != nil {
			return fmt.Errorf("record %d: %w", i+1, err)
		}
		switch {
		case rec.Put != nil:
			s := new(smSecret)
			if err := json.Unmarshal(rec.Put, s); err != nil || s.Name == "" {
				return fmt.Errorf("record %d: not a secret: %v", i+1, err)
			}
			s.enc = rec.Put
			sm.secrets[s.Name] = s
		case rec.Del != "":
			delete(sm.secrets, rec.Del)
		default:
			return fmt.Errorf("record %d: neither a put nor a del", i+1)
		}
	}
	return nil
}

// loadLegacy reads the file older versions wrote.
func (sm *secretsManager) loadLegacy(path string) (found bool, err error) {
	var p smLegacyState
	if found, err = loadJSON(path, &p); err != nil || !found {
		return false, err
	}
	sm.nextSeq = p.NextSeq
	for _, s := range p.Secrets {
		if s == nil || s.Name == "" {
			continue
		}
		if s.enc, err = json.Marshal(s); err != nil {
			return false, fmt.Errorf("secretsmanager: secret %s: %w", s.Name, err)
		}
		sm.secrets[s.Name] = s
	}
	return true, sm.adoptLoaded()
}

// adoptLoaded derives what is not stored from the loaded secrets.
func (sm *secretsManager) adoptLoaded() error {
	for _, s := range sm.secrets {
		if s.ResourcePolicy != "" {
			// Only a valid policy is ever stored; one that no longer parses
			// was edited by hand, and evaluating it as no policy could let a
			// lost Deny allow what it was written to refuse.
			var err error
			if s.policy, err = parsePolicy([]byte(s.ResourcePolicy), resourcePolicy); err != nil {
				return fmt.Errorf("secretsmanager: secret %s: stored resource policy: %w", s.Name, err)
			}
		}
		if s.DeletionDate != nil {
			sm.schedulePurgeLocked(*s.DeletionDate)
		}
		if s.Seq >= sm.nextSeq {
			sm.nextSeq = s.Seq + 1
		}
		sm.liveBytes += smPutLen(s.enc)
	}
	return nil
}
