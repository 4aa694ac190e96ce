package localaws

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Tests of the log (sm_persist.go, sm_compact.go, sm_load.go). Most drive
// the handler directly on a folder on disk: faster than HTTP, and the
// persistence path is the same.

// TestSMEveryChangeReachesTheLog checks, after every kind of change, that
// a restart from the log as it is then (a crash right after the answer)
// finds the state in memory: a change that forgot to call changed(s) would
// be lost. Access dates are logged lazily and compared only after close.
func TestSMEveryChangeReachesTheLog(t *testing.T) {
	srv, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	arnOf := func(name string) string {
		srv.sm.mu.Lock()
		defer srv.sm.mu.Unlock()
		return srv.sm.secrets[name].ARN
	}
	id := aws.String("cache")
	lambda := aws.String("arn:aws:lambda:us-east-1:000000000000:function:f")
	steps := []struct {
		name string
		call func() error
	}{
		{"CreateSecret", func() error {
			_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: id, SecretString: aws.String("1")})
			return err
		}},
		{"GetSecretValue", func() error {
			_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: id})
			return err
		}},
		{"PutSecretValue", func() error {
			_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: id, SecretString: aws.String("2"), VersionStages: []string{"AWSPENDING"}})
			return err
		}},
		{"UpdateSecretVersionStage", func() error {
			_, err := c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: id, VersionStage: aws.String("AWSPENDING"),
				RemoveFromVersionId: aws.String(aws.ToString(valueAt(t, c, "cache", "AWSPENDING").VersionId))})
			return err
		}},
		{"UpdateSecret", func() error {
			_, err := c.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: id, Description: aws.String("d"), SecretString: aws.String("3")})
			return err
		}},
		{"TagResource", func() error {
			_, err := c.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: id, Tags: []smtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}},
		{"UntagResource", func() error {
			_, err := c.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: id, TagKeys: []string{"k"}})
			return err
		}},
		{"RotateSecret", func() error {
			_, err := c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: id, RotationLambdaARN: lambda,
				RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(3)}})
			return err
		}},
		{"PutSecretValue while rotation is on", func() error {
			_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: id, SecretString: aws.String("4")})
			return err
		}},
		{"CancelRotateSecret", func() error {
			_, err := c.CancelRotateSecret(ctx, &secretsmanager.CancelRotateSecretInput{SecretId: id})
			return err
		}},
		{"DeleteSecret", func() error {
			_, err := c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: id})
			return err
		}},
		{"RestoreSecret", func() error {
			_, err := c.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: id})
			return err
		}},
		{"putServiceSecretValue", func() error {
			arn, err := srv.sm.createServiceSecret("rds!db-cache", "rds", "", nil, "m1")
			if err != nil {
				return err
			}
			return srv.sm.putServiceSecretValue(arn, "m2")
		}},
		{"service rotation staged and finished", func() error {
			arn := arnOf("rds!db-cache")
			v, err := srv.sm.putServicePendingValue(arn, "m3")
			if err != nil {
				return err
			}
			return srv.sm.promoteServicePending(arn, v)
		}},
		{"service rotation staged and dropped", func() error {
			arn := arnOf("rds!db-cache")
			v, err := srv.sm.putServicePendingValue(arn, "m4")
			if err != nil {
				return err
			}
			return srv.sm.dropServicePending(arn, v)
		}},
		{"deleteServiceSecret", func() error {
			return srv.sm.deleteServiceSecret(arnOf("rds!db-cache"))
		}},
		{"PutResourcePolicy", func() error {
			_, err := c.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: id, ResourcePolicy: aws.String(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"secretsmanager:DeleteSecret","Resource":"*"}]}`)})
			return err
		}},
		{"DeleteResourcePolicy", func() error {
			_, err := c.DeleteResourcePolicy(ctx, &secretsmanager.DeleteResourcePolicyInput{SecretId: id})
			return err
		}},
		{"DeleteSecret without recovery", func() error {
			_, err := c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: id, ForceDeleteWithoutRecovery: aws.Bool(true)})
			return err
		}},
		{"CreateSecret again under the name", func() error {
			_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: id, SecretString: aws.String("again")})
			return err
		}},
		{"recovery window over", func() error {
			if _, err := c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: id, RecoveryWindowInDays: aws.Int64(7)}); err != nil {
				return err
			}
			srv.sm.mu.Lock()
			srv.sm.now = func() time.Time { return time.Now().UTC().Add(8 * 24 * time.Hour) }
			srv.sm.mu.Unlock()
			// Any changing call purges first.
			if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("other"), SecretString: aws.String("o")}); err != nil {
				return err
			}
			srv.sm.mu.Lock()
			defer srv.sm.mu.Unlock()
			if srv.sm.secrets["cache"] != nil {
				return errors.New("not purged")
			}
			return nil
		}},
	}
	for _, st := range steps {
		if err := st.call(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		requireSameState(t, "after "+st.name, smDump(reloadCopy(t, srv.sm, -1), false), smDump(srv.sm, false))
	}
	want := smDump(srv.sm, true)
	if err := srv.sm.close(); err != nil {
		t.Fatal(err)
	}
	requireSameState(t, "after close", smDump(newDiskSM(t, srv.sm.env.dataDir), true), want)
}

// TestSMLogSurvivesATornTail cuts the log at many points, as a crash in the
// middle of an append would, and loads each cut: the state must be the one
// after the last call whose records are whole, the torn rest cut off, and
// the log must take appends again.
func TestSMLogSurvivesATornTail(t *testing.T) {
	sm := newDiskSM(t, t.TempDir())
	type point struct {
		size  int64
		state map[string]string
	}
	var points []point
	do := func(op string, in any) {
		t.Helper()
		mustDo(t, sm, op, in)
		points = append(points, point{smLogSize(sm), smDump(sm, true)})
	}
	names := []string{"a", "b", "c", "d"}
	current := map[string]string{}
	for round := range 6 {
		if round == 5 {
			do("RestoreSecret", map[string]any{"SecretId": "d"})
		}
		for _, n := range names {
			token := smToken(fmt.Sprintf("%s%d", n, round))
			if round == 0 || (n == "c" && round == 4) {
				do("CreateSecret", map[string]any{"Name": n, "SecretString": "v0", "ClientRequestToken": token})
				current[n] = token
				continue
			}
			if n == "c" && round == 3 {
				do("DeleteSecret", map[string]any{"SecretId": n, "ForceDeleteWithoutRecovery": true})
				continue
			}
			do("PutSecretValue", map[string]any{"SecretId": n, "SecretString": fmt.Sprintf("v%d", round),
				"ClientRequestToken": token, "VersionStages": []string{smStagePending}})
			do("UpdateSecretVersionStage", map[string]any{"SecretId": n, "VersionStage": smStageCurrent,
				"MoveToVersionId": token, "RemoveFromVersionId": current[n]})
			current[n] = token
			do("TagResource", map[string]any{"SecretId": n, "Tags": []map[string]string{{"Key": "round", "Value": fmt.Sprint(round)}}})
		}
		if round == 4 {
			do("DeleteSecret", map[string]any{"SecretId": "d", "RecoveryWindowInDays": 7})
		}
	}
	data, err := os.ReadFile(sm.logPath())
	if err != nil {
		t.Fatal(err)
	}
	headerEnd := int64(recordFrameLen + binary.LittleEndian.Uint32(data))
	// What a cut at n bytes must load as: the last call whole by then.
	expect := func(n int64) (int64, map[string]string) {
		size, state := headerEnd, map[string]string{}
		for _, p := range points {
			if p.size <= n {
				size, state = p.size, p.state
			}
		}
		return size, state
	}
	// Every call's end, and a random point inside what each call appended
	// (in a frame or a payload); a cut in the middle of a record costs an
	// fsync to cut off, so not every byte is tried.
	cuts := []int64{headerEnd, headerEnd + 1, int64(len(data))}
	rng := rand.New(rand.NewPCG(1, 2))
	prev := points[0].size
	for i, p := range points {
		cuts = append(cuts, p.size)
		if i > 0 {
			cuts = append(cuts, prev+1+rng.Int64N(p.size-prev-1))
		}
		if i%4 == 0 {
			cuts = append(cuts, p.size-1, p.size+recordFrameLen)
		}
		prev = p.size
	}
	for i, n := range cuts {
		if n < headerEnd || n > int64(len(data)) {
			continue
		}
		wantSize, want := expect(n)
		dir := t.TempDir()
		writeLog(t, dir, data[:n])
		got := newDiskSM(t, dir)
		requireSameState(t, fmt.Sprintf("cut at %d of %d", n, len(data)), smDump(got, true), want)
		if st, err := os.Stat(filepath.Join(dir, smLogFile)); err != nil || st.Size() != wantSize || smLogSize(got) != wantSize {
			t.Fatalf("cut at %d: log left at %v bytes (%v), want %d", n, st.Size(), err, wantSize)
		}
		if torn := n != wantSize; torn && i%5 == 0 {
			// Appends follow the last whole record, not the torn bytes.
			mustDo(t, got, "CreateSecret", map[string]any{"Name": "after-crash", "SecretString": "x"})
			after := smDump(got, true)
			requireSameState(t, fmt.Sprintf("cut at %d, then a write", n), smDump(reloadCopy(t, got, -1), true), after)
		}
	}

	// A damaged last record (bits flipped, not cut) is torn too.
	flipped := bytes.Clone(data)
	flipped[len(flipped)-3] ^= 0x40
	dir := t.TempDir()
	writeLog(t, dir, flipped)
	requireSameState(t, "last record damaged", smDump(newDiskSM(t, dir), true), points[len(points)-2].state)
}

// TestSMLogRefusesWhatItDidNotWrite: a file that does not start with a log
// header is an error, and is left as it was rather than emptied.
func TestSMLogRefusesWhatItDidNotWrite(t *testing.T) {
	for name, content := range map[string][]byte{
		"garbage":       []byte("{\"secrets\":[]}"),
		"no header":     appendRecord(nil, []byte(`{"del":"x"}`)),
		"other version": appendRecord(nil, []byte(`{"format":"localaws/secretsmanager","version":9}`)),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeLog(t, dir, content)
			_, err := newSecretsManager(testSMEnv(dir))
			if err == nil {
				t.Fatal("loaded")
			}
			if data, _ := os.ReadFile(filepath.Join(dir, smLogFile)); !bytes.Equal(data, content) {
				t.Fatalf("file changed to %q", data)
			}
		})
	}
}

// TestSMCompactionKeepsTheState runs writers on a few secrets long enough
// for many compactions to run beside them.
func TestSMCompactionKeepsTheState(t *testing.T) {
	dir := t.TempDir()
	sm := newDiskSM(t, dir)
	sm.compactMin = 4 << 10
	const secrets, flips = 4, 60
	var wg sync.WaitGroup
	for i := range secrets {
		name := fmt.Sprintf("s%d", i)
		mustDo(t, sm, "CreateSecret", map[string]any{"Name": name, "SecretString": "one", "ClientRequestToken": smToken(name + "one")})
		mustDo(t, sm, "PutSecretValue", map[string]any{"SecretId": name, "SecretString": "two", "ClientRequestToken": smToken(name + "two")})
		wg.Add(1)
		go func() {
			defer wg.Done()
			cur, prev := smToken(name+"two"), smToken(name+"one")
			for range flips {
				if _, err := smDo(sm, "UpdateSecretVersionStage", map[string]any{"SecretId": name, "VersionStage": smStageCurrent,
					"MoveToVersionId": prev, "RemoveFromVersionId": cur}); err != nil {
					t.Error(err)
					return
				}
				cur, prev = prev, cur
			}
		}()
	}
	wg.Wait()
	sm.compactions.Wait()
	size, live := smLogSize(sm), smLive(sm)
	if written := int64(secrets*flips) * (live / secrets); size > 2*live+sm.compactMin || written < 3*size {
		t.Fatalf("log of %d bytes for %d live (%d written): not compacted", size, live, written)
	}
	requireSameState(t, "after compactions", smDump(reloadCopy(t, sm, -1), true), smDump(sm, true))
	if err := sm.close(); err != nil {
		t.Fatal(err)
	}
	requireSameState(t, "after restart", smDump(newDiskSM(t, dir), true), smDump(sm, true))
}

// TestSMCompactionKeepsWritesMadeDuringIt makes changes while a compaction
// has its snapshot written but not in place: they must be in the new log.
func TestSMCompactionKeepsWritesMadeDuringIt(t *testing.T) {
	sm := newDiskSM(t, t.TempDir())
	for _, n := range []string{"a", "b", "c"} {
		mustDo(t, sm, "CreateSecret", map[string]any{"Name": n, "SecretString": "1"})
		mustDo(t, sm, "TagResource", map[string]any{"SecretId": n, "Tags": []map[string]string{{"Key": "k", "Value": "1"}}})
	}
	sm.testHookCompact = func() {
		mustDo(t, sm, "TagResource", map[string]any{"SecretId": "a", "Tags": []map[string]string{{"Key": "k", "Value": "during"}}})
		mustDo(t, sm, "DeleteSecret", map[string]any{"SecretId": "b", "ForceDeleteWithoutRecovery": true})
		mustDo(t, sm, "CreateSecret", map[string]any{"Name": "d", "SecretString": "new"})
	}
	before := smLogSize(sm)
	if err := sm.compactOnce(); err != nil {
		t.Fatal(err)
	}
	sm.testHookCompact = nil
	if after := smLogSize(sm); after >= before {
		t.Fatalf("log %d bytes after compaction, %d before", after, before)
	}
	requireSameState(t, "after compaction", smDump(reloadCopy(t, sm, -1), true), smDump(sm, true))
	mustDo(t, sm, "TagResource", map[string]any{"SecretId": "c", "Tags": []map[string]string{{"Key": "k", "Value": "after"}}})
	requireSameState(t, "a write after compaction", smDump(reloadCopy(t, sm, -1), true), smDump(sm, true))
	if got, want := smLive(sm), smLiveRecomputed(sm); got != want {
		t.Fatalf("live bytes %d, recomputed %d", got, want)
	}
}

// TestSMConcurrentWritersShareOneFlush holds the flush while writers queue
// behind it: when it is released, one append must carry all their records.
func TestSMConcurrentWritersShareOneFlush(t *testing.T) {
	sm := newDiskSM(t, t.TempDir())
	const writers = 8
	for i := range writers {
		mustDo(t, sm, "CreateSecret", map[string]any{"Name": fmt.Sprintf("s%d", i), "SecretString": "v"})
	}
	sm.mu.Lock()
	start := sm.changes
	sm.mu.Unlock()
	sm.flushMu.Lock()
	appends := sm.log.appends
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := smDo(sm, "TagResource", map[string]any{"SecretId": fmt.Sprintf("s%d", i),
				"Tags": []map[string]string{{"Key": "w", "Value": "1"}}}); err != nil {
				t.Error(err)
			}
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		sm.mu.Lock()
		queued := sm.changes - start
		sm.mu.Unlock()
		if queued == writers {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d writers queued", queued, writers)
		}
	}
	sm.flushMu.Unlock()
	wg.Wait()
	sm.flushMu.Lock()
	shared := sm.log.appends - appends
	sm.flushMu.Unlock()
	if shared != 1 {
		t.Fatalf("%d writers took %d appends, want 1", writers, shared)
	}
	requireSameState(t, "after shared flush", smDump(reloadCopy(t, sm, -1), true), smDump(sm, true))
}

// TestSMRewritesTheLogAfterAFailedWrite: a write that fails is answered
// with the error; the next write puts the whole state on disk again.
func TestSMRewritesTheLogAfterAFailedWrite(t *testing.T) {
	sm := newDiskSM(t, t.TempDir())
	mustDo(t, sm, "CreateSecret", map[string]any{"Name": "a", "SecretString": "1"})
	sm.flushMu.Lock()
	sm.log.f.Close() // the next append fails
	sm.flushMu.Unlock()
	if _, err := smDo(sm, "PutSecretValue", map[string]any{"SecretId": "a", "SecretString": "2"}); err == nil {
		t.Fatal("a write to a closed log succeeded")
	}
	mustDo(t, sm, "TagResource", map[string]any{"SecretId": "a", "Tags": []map[string]string{{"Key": "k", "Value": "v"}}})
	requireSameState(t, "after the failed write", smDump(reloadCopy(t, sm, -1), true), smDump(sm, true))
}

// TestSMAccessDatesRideAlongWithTheNextChange keeps the lazy persistence of
// LastAccessedDate: a read writes nothing; the next change, or close, logs
// it.
func TestSMAccessDatesRideAlongWithTheNextChange(t *testing.T) {
	dir := t.TempDir()
	sm := newDiskSM(t, dir)
	mustDo(t, sm, "CreateSecret", map[string]any{"Name": "read", "SecretString": "r"})
	mustDo(t, sm, "CreateSecret", map[string]any{"Name": "other", "SecretString": "o"})
	size := smLogSize(sm)
	mustDo(t, sm, "GetSecretValue", map[string]any{"SecretId": "read"})
	if smLogSize(sm) != size {
		t.Fatal("a read wrote to the log")
	}
	accessed := func(sm *secretsManager, name string) bool {
		sm.mu.Lock()
		defer sm.mu.Unlock()
		return sm.secrets[name].LastAccessed != nil
	}
	if accessed(reloadCopy(t, sm, -1), "read") {
		t.Fatal("access date logged by the read itself")
	}
	mustDo(t, sm, "TagResource", map[string]any{"SecretId": "other", "Tags": []map[string]string{{"Key": "k", "Value": "v"}}})
	if !accessed(reloadCopy(t, sm, -1), "read") {
		t.Fatal("access date not logged with the next change")
	}
	mustDo(t, sm, "GetSecretValue", map[string]any{"SecretId": "other"})
	if err := sm.close(); err != nil {
		t.Fatal(err)
	}
	if !accessed(newDiskSM(t, dir), "other") {
		t.Fatal("access date not logged at close")
	}
}

// TestSMMigratesTheOldStateFile loads a secretsmanager.json written by the
// previous version (testdata) into a log, removes the old file, and finds
// the same state on the next start.
func TestSMMigratesTheOldStateFile(t *testing.T) {
	fixture, err := os.ReadFile(filepath.Join("testdata", "secretsmanager-legacy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var old smLegacyState
	if err := json.Unmarshal(fixture, &old); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, s := range old.Secrets {
		want[s.Name] = smDumpSecret(s, true)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, smLegacyFile), fixture, 0o600); err != nil {
		t.Fatal(err)
	}
	sm := newDiskSM(t, dir)
	requireSameState(t, "migrated", smDump(sm, true), want)
	if _, err := os.Stat(filepath.Join(dir, smLegacyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("old file after migration: %v", err)
	}
	sm.mu.Lock()
	policy, purge, next := sm.secrets["guarded"].policy, sm.nextPurge, sm.nextSeq
	sm.mu.Unlock()
	if policy == nil || purge.IsZero() || next != old.NextSeq {
		t.Fatalf("derived state: policy %v, next purge %v, next seq %d (want %d)", policy != nil, purge, next, old.NextSeq)
	}
	if err := sm.close(); err != nil {
		t.Fatal(err)
	}
	requireSameState(t, "restarted", smDump(newDiskSM(t, dir), true), want)

	// A crash after the log was written but before the old file was
	// removed: the log wins.
	if err := os.WriteFile(filepath.Join(dir, smLegacyFile), []byte(`{"secrets":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	requireSameState(t, "with a leftover old file", smDump(newDiskSM(t, dir), true), want)
}

// --- helpers

func testSMEnv(dir string) *env {
	return &env{region: "us-east-1", accountID: "000000000000", dataDir: dir,
		logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// newDiskSM loads a Secrets Manager from dir, without a server; it is
// closed when the test ends.
func newDiskSM(t testing.TB, dir string) *secretsManager {
	t.Helper()
	sm, err := newSecretsManager(testSMEnv(dir))
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	t.Cleanup(func() { _ = sm.close() })
	return sm
}

// reloadCopy loads the first n bytes of sm's log (all of it when n < 0)
// in a folder of its own: what a restart would find after a crash then.
func reloadCopy(t testing.TB, sm *secretsManager, n int64) *secretsManager {
	t.Helper()
	sm.flushMu.Lock()
	data, err := os.ReadFile(sm.logPath())
	sm.flushMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if n >= 0 {
		data = data[:n]
	}
	dir := t.TempDir()
	writeLog(t, dir, data)
	return newDiskSM(t, dir)
}

func writeLog(t testing.TB, dir string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, smLogFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func smDo(sm *secretsManager, op string, in any) (any, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return sm.handle(context.Background(), &Call{Service: "secretsmanager", Op: op, Body: body})
}

func mustDo(t testing.TB, sm *secretsManager, op string, in any) any {
	t.Helper()
	out, err := smDo(sm, op, in)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return out
}

func smLogSize(sm *secretsManager) int64 {
	sm.flushMu.Lock()
	defer sm.flushMu.Unlock()
	return sm.log.size
}

func smLive(sm *secretsManager) int64 {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return sm.liveBytes
}

// smLiveRecomputed is what liveBytes, kept up to date change by change,
// should be.
func smLiveRecomputed(sm *secretsManager) int64 {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	var n int64
	for _, s := range sm.secrets {
		n += smPutLen(s.enc)
	}
	return n
}

// smDump is the state as one string per secret. Access dates, which are
// logged lazily, are left out unless withAccess.
func smDump(sm *secretsManager, withAccess bool) map[string]string {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	out := map[string]string{}
	for name, s := range sm.secrets {
		out[name] = smDumpSecret(s, withAccess)
	}
	return out
}

func smDumpSecret(s *smSecret, withAccess bool) string {
	c := *s
	c.Versions = nil
	for _, v := range s.Versions {
		vc := *v
		if !withAccess {
			vc.LastAccessed = nil
		}
		c.Versions = append(c.Versions, &vc)
	}
	if !withAccess {
		c.LastAccessed = nil
	}
	b, err := json.Marshal(&c)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func requireSameState(t testing.TB, when string, got, want map[string]string) {
	t.Helper()
	for name, w := range want {
		if g, ok := got[name]; !ok {
			t.Fatalf("%s: secret %s missing", when, name)
		} else if g != w {
			t.Fatalf("%s: secret %s is\n%s\nwant\n%s", when, name, g, w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Fatalf("%s: secret %s should not be there", when, name)
		}
	}
}
