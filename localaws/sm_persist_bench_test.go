package localaws

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

// BenchmarkSMWriteCost times one changing call through the handler, with the
// state persisted on disk (b.TempDir), at a small and a large number of
// secrets: with a log, the two must cost about the same.
//
// UpdateSecretVersionStage flips AWSCURRENT between a secret's two versions,
// so the state keeps its size however long the benchmark runs.
// PutSecretValue adds a version each time, so run it with a fixed count
// (-benchtime=1000x) to give both sizes the same growth per secret.
// The -parallel variant runs concurrent writers on distinct secrets, which
// share flushes (group commit).
func BenchmarkSMWriteCost(b *testing.B) {
	for _, op := range []string{"UpdateSecretVersionStage", "UpdateSecretVersionStage-parallel", "PutSecretValue"} {
		for _, n := range []int{100, 10_000} {
			b.Run(fmt.Sprintf("%s/secrets=%d", op, n), func(b *testing.B) { benchSMWrites(b, op, n) })
		}
	}
}

// smBenchValue is the size of a typical RDS secret.
const smBenchValue = `{"engine":"postgres","host":"app-%05d.c0abcdefghij.us-east-1.rds.amazonaws.com","port":5432,"username":"app_user","password":"%s","dbname":"app"}`

func benchSMWrites(b *testing.B, op string, n int) {
	sm, err := newSecretsManager(&env{region: "us-east-1", accountID: "000000000000", dataDir: b.TempDir(),
		logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := sm.close(); err != nil {
			b.Error(err)
		}
	})
	names := make([]string, n)
	cur, prev := make([]string, n), make([]string, n)
	// One call creates everything, so the setup costs one save.
	_, err = sm.run(func(now time.Time) (any, error) {
		for i := range n {
			names[i] = fmt.Sprintf("credstage/bench/app-%05d", i)
			s := sm.addSecretLocked(names[i], now)
			s.Tags = []smKV{{Key: "Environment", Value: "bench"}, {Key: "Owner", Value: "credstage"}}
			prev[i], cur[i] = uuid.NewString(), uuid.NewString()
			for _, id := range []string{prev[i], cur[i]} {
				v := fmt.Sprintf(smBenchValue, i, id)
				sm.addVersionLocked(s, id, &v, nil, nil, now)
			}
		}
		return nil, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	call := func(i int) error {
		var in any
		switch op {
		case "PutSecretValue":
			v := fmt.Sprintf(smBenchValue, i, uuid.NewString())
			in = map[string]any{"SecretId": names[i], "SecretString": v, "ClientRequestToken": uuid.NewString()}
		default:
			in = map[string]any{"SecretId": names[i], "VersionStage": smStageCurrent,
				"MoveToVersionId": prev[i], "RemoveFromVersionId": cur[i]}
			cur[i], prev[i] = prev[i], cur[i]
		}
		body, err := json.Marshal(in)
		if err != nil {
			return err
		}
		if _, err := sm.handle(context.Background(), &Call{Service: "secretsmanager", Op: op, Body: body}); err != nil {
			return fmt.Errorf("%s %s: %w", op, names[i], err)
		}
		return nil
	}
	b.ReportAllocs()
	b.ResetTimer()
	if op != "UpdateSecretVersionStage-parallel" {
		for i := range b.N {
			if err := call(i % n); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	op = "UpdateSecretVersionStage"
	// Each goroutine owns the secrets congruent to its number, so the
	// version bookkeeping above is never shared.
	const perProc = 8
	workers := runtime.GOMAXPROCS(0) * perProc
	var next atomic.Int64
	b.SetParallelism(perProc)
	b.RunParallel(func(pb *testing.PB) {
		g := int(next.Add(1) - 1)
		for i := g; pb.Next(); i += workers {
			if i >= n {
				i = g
			}
			if err := call(i); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
