package localaws

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// A record log is an append-only file of records, each framed as
//
//	length (uint32, little endian) | CRC-32C of the payload (uint32) | payload
//
// so that on load a record torn by a crash in the middle of an append is
// told apart from a whole one. A log is only ever created whole, by
// writing a temporary file and renaming it (as writeFileAtomic does), and
// every append is synced before the call it records is answered: so only
// the tail can be torn, and what precedes it was all acknowledged.

const recordFrameLen = 8

var recordCRC = crc32.MakeTable(crc32.Castagnoli)

// appendRecord frames payload onto dst. An empty payload is never written:
// a region the file system extended but never filled reads as zeros, which
// would otherwise parse as a run of valid empty records.
func appendRecord(dst, payload []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(payload, recordCRC))
	return append(dst, payload...)
}

// recordLen is the framed length of a payload of n bytes.
func recordLen(n int) int64 { return int64(recordFrameLen + n) }

// splitRecords returns the payloads of the whole records at the start of
// data (sub-slices of data) and the length of the prefix they fill. It
// stops at the first record that is cut short, empty, or fails its
// checksum.
func splitRecords(data []byte) (payloads [][]byte, valid int64) {
	off := 0
	for len(data)-off >= recordFrameLen {
		n := int(binary.LittleEndian.Uint32(data[off:]))
		sum := binary.LittleEndian.Uint32(data[off+4:])
		start := off + recordFrameLen
		if n == 0 || n > len(data)-start {
			break
		}
		payload := data[start : start+n]
		if crc32.Checksum(payload, recordCRC) != sum {
			break
		}
		payloads = append(payloads, payload)
		off = start + n
	}
	return payloads, int64(off)
}

// recordLog is an open log, appended to at its end. It is not safe for
// concurrent use: its owner serialises appends.
type recordLog struct {
	f       *os.File
	size    int64 // bytes written and synced
	appends int   // appends so far: tests read it to see writes shared
}

// openRecordLog reads the log at path and opens it for appending. A torn
// tail is cut off (dropped says how many bytes that was) so the next append
// follows the last whole record. It returns a nil log when there is no
// file. A file without even one whole record was not written by a record
// log (they are created whole): it is refused rather than emptied.
func openRecordLog(path string) (l *recordLog, payloads [][]byte, dropped int64, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, 0, nil
	}
	if err != nil {
		return nil, nil, 0, err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, nil, 0, err
	}
	payloads, valid := splitRecords(data)
	if len(payloads) == 0 {
		f.Close()
		return nil, nil, 0, fmt.Errorf("%s: no whole record at the start: not a log, or damaged", filepath.Base(path))
	}
	if dropped = int64(len(data)) - valid; dropped > 0 {
		if err := f.Truncate(valid); err != nil {
			f.Close()
			return nil, nil, 0, fmt.Errorf("%s: cut torn tail: %w", filepath.Base(path), err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, nil, 0, err
		}
	}
	if _, err := f.Seek(valid, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, 0, err
	}
	return &recordLog{f: f, size: valid}, payloads, dropped, nil
}

// append writes framed records and syncs them. After an error the log's
// end is unknown and it must not be appended to again; its owner replaces
// it with a rewrite.
func (l *recordLog) append(framed []byte) error {
	if _, err := l.f.Write(framed); err != nil {
		return err
	}
	if err := l.f.Sync(); err != nil {
		return err
	}
	l.size += int64(len(framed))
	l.appends++
	return nil
}

// readTail reads the log from offset from to its end.
func (l *recordLog) readTail(from int64) ([]byte, error) {
	if from > l.size {
		return nil, fmt.Errorf("log tail from %d beyond its end %d", from, l.size)
	}
	tail := make([]byte, l.size-from)
	if _, err := l.f.ReadAt(tail, from); err != nil {
		return nil, err
	}
	return tail, nil
}

func (l *recordLog) close() error { return l.f.Close() }

// logRewrite is a replacement for the log at path, written beside it and
// put in its place by commit, so a crash leaves the old log or the new one.
type logRewrite struct {
	path   string
	tmp    *os.File
	size   int64
	synced bool // nothing added since the last sync
}

// beginRewrite starts a replacement log holding framed records, synced so
// the slow part happens before commit is called.
func beginRewrite(path string, framed []byte) (*logRewrite, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), rewritePrefix(path)+"*")
	if err != nil {
		return nil, err
	}
	w := &logRewrite{path: path, tmp: tmp}
	if err := tmp.Chmod(0o600); err != nil {
		w.abort()
		return nil, err
	}
	if err := w.add(framed); err != nil {
		w.abort()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		w.abort()
		return nil, err
	}
	w.synced = true
	return w, nil
}

// rewritePrefix names the temporary files of rewrites of path, so a load
// can remove those a crash left behind.
func rewritePrefix(path string) string { return "." + filepath.Base(path) + ".tmp-" }

func (w *logRewrite) add(framed []byte) error {
	if _, err := w.tmp.Write(framed); err != nil {
		return err
	}
	w.size += int64(len(framed))
	w.synced = false
	return nil
}

// commit syncs the replacement, renames it over the log and syncs the
// folder, the durability writeFileAtomic gives. The open file becomes the
// log: it is the renamed file, positioned at its end.
func (w *logRewrite) commit() (*recordLog, error) {
	if !w.synced {
		if err := w.tmp.Sync(); err != nil {
			w.abort()
			return nil, err
		}
	}
	if err := os.Rename(w.tmp.Name(), w.path); err != nil {
		w.abort()
		return nil, err
	}
	syncDir(filepath.Dir(w.path))
	l := &recordLog{f: w.tmp, size: w.size}
	w.tmp = nil
	return l, nil
}

// abort removes an uncommitted replacement; after commit it does nothing.
func (w *logRewrite) abort() {
	if w.tmp == nil {
		return
	}
	w.tmp.Close()
	os.Remove(w.tmp.Name())
	w.tmp = nil
}

// createRecordLog replaces the log at path with one holding framed.
func createRecordLog(path string, framed []byte) (*recordLog, error) {
	w, err := beginRewrite(path, framed)
	if err != nil {
		return nil, err
	}
	return w.commit()
}

// removeStaleRewrites deletes replacements a crash left half written.
func removeStaleRewrites(path string) {
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(path), rewritePrefix(path)+"*"))
	for _, p := range stale {
		os.Remove(p)
	}
}

// syncDir makes a rename or removal in dir durable. Like writeFileAtomic it
// ignores a failure: some file systems cannot sync a folder.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
