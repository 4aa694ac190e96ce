package localaws

import "fmt"

// Compaction: every write appends the whole secret it changed, so the log
// grows with the number of writes while the state does not. Once the log is
// more than twice what the live state needs (and past smCompactMinBytes) it
// is rewritten from memory, off the callers' path: the cost of a rewrite is
// the state's size, paid once per state's worth of writes, which keeps a
// write's cost independent of the number of secrets.
//
// Writers are held only for the switch: the snapshot is written and synced
// while calls keep appending to the old log; then, under flushMu, the
// records appended since the snapshot are copied from the old log to the
// new one, which is renamed into place. A crash at any point leaves the old
// log or the complete new one.

// maybeCompact starts a compaction when the log has grown enough. The
// caller holds flushMu.
func (sm *secretsManager) maybeCompact() {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if sm.compacting || sm.closed || sm.logEnd < sm.compactMin || sm.logEnd <= 2*sm.liveBytes {
		return
	}
	sm.compacting = true
	sm.compactions.Add(1)
	go sm.compact()
}

func (sm *secretsManager) compact() {
	defer sm.compactions.Done()
	err := sm.compactOnce()
	if err != nil {
		// The old log is still whole and in use: nothing is lost, and the
		// next write that finds the log too long tries again.
		sm.env.logger.Warn("localaws: secretsmanager log compaction failed", "err", err)
	}
	sm.flushMu.Lock()
	defer sm.flushMu.Unlock()
	sm.mu.Lock()
	sm.compacting = false
	sm.mu.Unlock()
	if err == nil {
		// The writes made while this one ran found it busy and started
		// none; if they grew the log past the limit again, compact again
		// now rather than leave it long until the next write.
		sm.maybeCompact()
	}
}

func (sm *secretsManager) compactOnce() error {
	sm.mu.Lock()
	snap := sm.snapshotLocked()
	// The snapshot holds every record up to from, flushed or pending.
	from, gen := sm.logEnd, sm.gen
	sm.mu.Unlock()

	framed, err := snap.frame()
	if err != nil {
		return err
	}
	w, err := beginRewrite(sm.logPath(), framed)
	if err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	defer w.abort()
	if sm.testHookCompact != nil {
		sm.testHookCompact()
	}

	sm.flushMu.Lock()
	defer sm.flushMu.Unlock()
	// Put every record since the snapshot in the old log, so they can be
	// copied from there.
	sm.mu.Lock()
	upTo := sm.changes
	sm.mu.Unlock()
	if err := sm.flushLocked(upTo); err != nil {
		return err
	}
	sm.mu.Lock()
	stale := sm.gen != gen || sm.closed
	sm.mu.Unlock()
	if stale || sm.shut || sm.broken {
		return nil // the log was replaced meanwhile, or is going away
	}
	tail, err := sm.log.readTail(from)
	if err != nil {
		return fmt.Errorf("read log tail: %w", err)
	}
	if err := w.add(tail); err != nil {
		return fmt.Errorf("copy log tail: %w", err)
	}
	l, err := w.commit()
	if err != nil {
		return fmt.Errorf("replace log: %w", err)
	}
	sm.log.close()
	sm.log = l
	sm.mu.Lock()
	sm.logEnd = l.size + int64(len(sm.pending))
	sm.gen++
	sm.mu.Unlock()
	return nil
}
