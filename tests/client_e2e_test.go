package tests

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/client/pgsecret"
	"github.com/credstage/credstage/client/secretcache"
	"github.com/credstage/credstage/workflows"
)

// TestClientLibraryThroughRotations: an application that opens a fresh
// connection every 20 ms through client/pgsecret, with its secret cached
// by client/secretcache, keeps every login working through rotations of
// both strategies on the real stack (TLS verify-full, IAM enforced), sees
// each new version within the check interval, and reads the secret's
// value about once per rotation.
func TestClientLibraryThroughRotations(t *testing.T) {
	s := startE2EStack(t)
	keepLogOnFailure(t, s)
	ctx := testContext(t, 6*time.Minute)
	users := []activities.AppUser{
		{Name: "alt", Strategy: activities.StrategyAlternatingUsers, Grants: []string{"readonly"}},
		{Name: "solo", Strategy: activities.StrategySingleUser, Grants: []string{"readonly"}},
	}
	_, names := provisionInstance(ctx, t, s, "client-lib", "staging", users)
	const interval = time.Second
	opts := pgsecret.Options{ConnString: "sslmode=verify-full connect_timeout=10 sslrootcert=" + s.aws.Server.RDSCABundlePath()}

	for i, name := range names {
		t.Run(string(users[i].Strategy), func(t *testing.T) {
			cache := secretcache.New(secretsmanager.NewFromConfig(s.aws.Config), secretcache.Options{CheckInterval: interval})
			app := startClientApp(ctx, cache, name, opts)
			time.Sleep(200 * time.Millisecond)
			const rotations = 2
			for range rotations {
				out, err := rotateOne(ctx, t, s, workflows.RotateSecretInput{Target: workflows.Target{SecretID: name, Strategy: users[i].Strategy},
					Environment: "staging", Validators: sqlCanary})
				if err != nil || out.Status != workflows.StatusSucceeded {
					t.Fatalf("rotation: %s (%s): %v", out.Status, out.Error, err)
				}
				current := versionWith(ctx, t, s.sm, name, "AWSCURRENT")
				promoted := time.Now()
				waitFor(ctx, t, "the library to serve the new version", func() bool {
					got, err := cache.Get(ctx, name)
					return err == nil && got.VersionID == current
				})
				if took := time.Since(promoted); took > interval+time.Second {
					t.Errorf("the new version was served %v after the rotation ended, want within the check interval (%v) + 1 s", took, interval)
				}
				time.Sleep(interval) // logins with the new credentials
			}
			ok, failed, lastErr := app.stop()
			t.Logf("%s: %d logins, %d failed; cache %+v", name, ok, failed, cache.Stats())
			if failed != 0 || ok < 20 {
				t.Errorf("%d of %d logins failed through %d rotations (last: %v); want none", failed, ok+failed, rotations, lastErr)
			}
			// The first read, then about one per rotation, and a spare for a
			// refused login's re-read in the single-user window.
			if st := cache.Stats(); st.Fetches > 1+2*rotations {
				t.Errorf("%d GetSecretValue for %d rotations: the cache reads too often", st.Fetches, rotations)
			}
			assertInvariant(ctx, t, s, name)
		})
	}
}

// clientApp opens a fresh connection through pgsecret every 20 ms.
type clientApp struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	lastErr    error
	cancel     context.CancelFunc
	done       chan struct{}
}

func startClientApp(ctx context.Context, cache *secretcache.Cache, secretID string, o pgsecret.Options) *clientApp {
	ctx, cancel := context.WithCancel(ctx)
	a := &clientApp{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		for ctx.Err() == nil {
			conn, err := pgsecret.Connect(ctx, cache, secretID, o)
			if err == nil {
				var one int
				err = conn.QueryRow(ctx, "SELECT 1").Scan(&one)
				conn.Close(context.Background())
			}
			switch {
			case ctx.Err() != nil:
			case err != nil:
				a.failed.Add(1)
				a.mu.Lock()
				a.lastErr = fmt.Errorf("%s: %w", secretID, err)
				a.mu.Unlock()
			default:
				a.ok.Add(1)
			}
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return a
}

func (a *clientApp) stop() (ok, failed int64, lastErr error) {
	a.cancel()
	<-a.done
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ok.Load(), a.failed.Load(), a.lastErr
}
