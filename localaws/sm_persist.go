package localaws

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Persistence: the state is the replay of an append-only log,
// <dataDir>/secretsmanager.log (recordlog.go). A changing call appends one
// record per secret it changed, holding that secret's whole encoding or its
// removal, and the records are synced before the call is answered, so an
// acknowledged call survives a crash while a write costs the size of the
// secrets it touched, not of the state. Concurrent callers share one write
// and sync (group commit). Once the log holds more than twice the live
// state it is rewritten in the background (sm_compact.go). Loading, and
// migrating the secretsmanager.json of older versions: sm_load.go.

const (
	smLogFile    = "secretsmanager.log"
	smLogFormat  = "localaws/secretsmanager"
	smLogVersion = 1
	// smCompactMinBytes spares a small log the cost of compactions that
	// would win back next to nothing.
	smCompactMinBytes = 1 << 20
)

var errSMClosed = errors.New("secretsmanager: closed")

// smJournal is the persistence state of secretsManager. The fields before
// flushMu are guarded by secretsManager.mu, the ones after it by flushMu.
type smJournal struct {
	dirty      []string            // names the running call changed
	lazy       map[string]struct{} // secrets whose access dates are not logged yet
	pending    []byte              // framed records not written yet, in order
	changes    uint64              // bumped by every call that appended records
	logEnd     int64               // where the log file ends once pending is written
	liveBytes  int64               // the put records a compacted log would hold
	gen        uint64              // bumped whenever the log file is replaced
	compacting bool
	closed     bool  // no compaction starts any more
	compactMin int64 // smCompactMinBytes; tests lower it

	flushMu sync.Mutex
	log     *recordLog // nil until the first write
	saved   uint64     // changes on disk
	broken  bool       // a write failed: the log's end is unknown, so the next flush rewrites it
	shut    bool       // closed: nothing is written any more

	compactions sync.WaitGroup
	// testHookCompact runs while a compaction has its snapshot written but
	// not yet in place, so tests can change the state in that window.
	testHookCompact func()
}

// smLogRecord is one record's payload: the first of a log is its header
// (Format, Version, NextSeq), every other one a Put or a Del.
type smLogRecord struct {
	Format  string          `json:"format,omitempty"`
	Version int             `json:"version,omitempty"`
	NextSeq uint64          `json:"nextSeq,omitempty"`
	Put     json.RawMessage `json:"put,omitempty"`
	Del     string          `json:"del,omitempty"`
}

func (sm *secretsManager) logPath() string { return filepath.Join(sm.env.dataDir, smLogFile) }

// changed records a change to secret s; the call's records are written
// before it is answered. Every change to a secret must go through here.
func (sm *secretsManager) changed(s *smSecret) { sm.dirty = append(sm.dirty, s.Name) }

// removeSecretLocked deletes secret s from the state, and from the log.
func (sm *secretsManager) removeSecretLocked(s *smSecret) {
	delete(sm.secrets, s.Name)
	sm.liveBytes -= smPutLen(s.enc)
	s.enc = nil
	sm.dirty = append(sm.dirty, s.Name)
}

// run executes fn under the state lock, with expired deletions purged
// first, and makes what it changed durable before returning.
func (sm *secretsManager) run(fn func(now time.Time) (any, error)) (any, error) {
	sm.mu.Lock()
	now := sm.now()
	sm.purgeExpiredLocked(now)
	res, err := fn(now)
	want, lerr := sm.logChangesLocked()
	sm.mu.Unlock()
	if want != 0 {
		if ferr := sm.flush(want); ferr != nil {
			return nil, ferr
		}
	}
	if lerr != nil {
		return nil, lerr
	}
	return res, err
}

// logChangesLocked turns the running call's changes into records in
// pending, together with the access dates not logged yet (they ride along
// with the next change instead of costing a write of their own). It
// returns the change number to flush up to, 0 when nothing changed.
func (sm *secretsManager) logChangesLocked() (uint64, error) {
	if len(sm.dirty) == 0 {
		return 0, nil
	}
	slices.Sort(sm.dirty)
	var errs []error
	for _, name := range slices.Compact(sm.dirty) {
		errs = append(errs, sm.logSecretLocked(name))
	}
	sm.dirty = sm.dirty[:0]
	for name := range sm.lazy {
		if sm.secrets[name] != nil {
			errs = append(errs, sm.logSecretLocked(name))
		}
	}
	clear(sm.lazy)
	sm.changes++
	return sm.changes, errors.Join(errs...)
}

// logSecretLocked appends the record of the secret now named name: its
// encoding, or its removal. s.enc keeps what the log holds for s, which is
// what a compaction writes.
func (sm *secretsManager) logSecretLocked(name string) error {
	delete(sm.lazy, name)
	s := sm.secrets[name]
	if s == nil {
		del, err := json.Marshal(smLogRecord{Del: name})
		if err != nil {
			return err
		}
		sm.appendRecordLocked(del)
		return nil
	}
	enc, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("secretsmanager: encode secret %s: %w", name, err)
	}
	sm.liveBytes += smPutLen(enc) - smPutLen(s.enc)
	s.enc = enc
	sm.appendRecordLocked(smPutPayload(enc))
	return nil
}

func (sm *secretsManager) appendRecordLocked(payload []byte) {
	before := len(sm.pending)
	sm.pending = appendRecord(sm.pending, payload)
	sm.logEnd += int64(len(sm.pending) - before)
}

// smPutPayload is the record of a secret encoded as enc, built without
// encoding the secret a second time.
func smPutPayload(enc []byte) []byte {
	p := make([]byte, 0, len(enc)+8)
	p = append(p, `{"put":`...)
	p = append(p, enc...)
	return append(p, '}')
}

// smPutLen is the framed size of smPutPayload(enc); 0 for a secret never
// logged.
func smPutLen(enc []byte) int64 {
	if enc == nil {
		return 0
	}
	return recordLen(len(`{"put":}`) + len(enc))
}

func smHeaderPayload(nextSeq uint64) ([]byte, error) {
	return json.Marshal(smLogRecord{Format: smLogFormat, Version: smLogVersion, NextSeq: nextSeq})
}

func (sm *secretsManager) flush(want uint64) error {
	sm.flushMu.Lock()
	defer sm.flushMu.Unlock()
	return sm.flushLocked(want)
}

// flushLocked makes the changes up to want durable; the caller holds
// flushMu. Whoever holds it writes everything pending, so the callers
// queued behind find their changes already on disk: one write and one sync
// for all of them.
func (sm *secretsManager) flushLocked(want uint64) error {
	if sm.saved >= want {
		return nil
	}
	if sm.shut {
		return errSMClosed
	}
	if sm.broken || sm.log == nil {
		return sm.rewriteLocked()
	}
	sm.mu.Lock()
	batch, upTo := sm.pending, sm.changes
	sm.pending = nil
	sm.mu.Unlock()
	if err := sm.log.append(batch); err != nil {
		sm.broken = true
		return fmt.Errorf("secretsmanager: write %s: %w", smLogFile, err)
	}
	sm.saved = upTo
	sm.maybeCompact()
	return nil
}

// rewriteLocked replaces the log with the whole state, from memory: the
// first write of a new data folder, and the way back after a failed write,
// which leaves the log's end unknown. The caller holds flushMu.
func (sm *secretsManager) rewriteLocked() error {
	sm.mu.Lock()
	framed, err := sm.snapshotLocked().frame()
	upTo := sm.changes
	if err == nil {
		// The snapshot holds what pending did.
		sm.pending = nil
		sm.logEnd = int64(len(framed))
		sm.gen++
	}
	sm.mu.Unlock()
	if err != nil {
		return err
	}
	l, err := createRecordLog(sm.logPath(), framed)
	if err != nil {
		sm.broken = true
		return fmt.Errorf("secretsmanager: write %s: %w", smLogFile, err)
	}
	if sm.log != nil {
		sm.log.close()
	}
	sm.log, sm.broken, sm.saved = l, false, upTo
	return nil
}

// smSnapshot is the state as the log holds it, taken under mu without
// copying: encodings are replaced when a secret changes, never modified.
type smSnapshot struct {
	nextSeq uint64
	secrets []smSnapshotEntry
}

type smSnapshotEntry struct {
	seq uint64
	enc []byte
}

func (sm *secretsManager) snapshotLocked() smSnapshot {
	snap := smSnapshot{nextSeq: sm.nextSeq, secrets: make([]smSnapshotEntry, 0, len(sm.secrets))}
	for _, s := range sm.secrets {
		if s.enc != nil {
			snap.secrets = append(snap.secrets, smSnapshotEntry{s.Seq, s.enc})
		}
	}
	return snap
}

// frame renders a snapshot as a log: the header, then the secrets in
// creation order (any order loads the same; this one reads well).
func (snap smSnapshot) frame() ([]byte, error) {
	header, err := smHeaderPayload(snap.nextSeq)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(snap.secrets, func(a, b smSnapshotEntry) int { return smCmpUint(a.seq, b.seq) })
	size := recordLen(len(header))
	for _, e := range snap.secrets {
		size += smPutLen(e.enc)
	}
	buf := appendRecord(make([]byte, 0, size), header)
	for _, e := range snap.secrets {
		buf = appendRecord(buf, smPutPayload(e.enc))
	}
	return buf, nil
}

// close writes what is not on disk yet (access dates recorded since the
// last change, a change whose write failed), waits for a running
// compaction and closes the log. Calls after it fail.
func (sm *secretsManager) close() error {
	sm.mu.Lock()
	for name := range sm.lazy {
		sm.dirty = append(sm.dirty, name)
	}
	_, lerr := sm.logChangesLocked()
	want := sm.changes
	sm.closed = true
	sm.mu.Unlock()
	ferr := sm.flush(want)
	sm.compactions.Wait()
	sm.flushMu.Lock()
	defer sm.flushMu.Unlock()
	var cerr error
	if sm.log != nil {
		cerr = sm.log.close()
		sm.log = nil
	}
	sm.shut = true
	return errors.Join(lerr, ferr, cerr)
}
