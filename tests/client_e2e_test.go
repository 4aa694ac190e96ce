package tests

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5/pgxpool"

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
// value about once per rotation. Beside it, with a cache of its own, an
// application queries every 20 ms through a pgsecret.Pool whose
// connections live 300 ms, so the pool logs in again and again through
// the rotations: no acquire or query fails either.
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
			app := startClientApp(ctx, name, func(ctx context.Context) error {
				conn, err := pgsecret.Connect(ctx, cache, name, opts)
				if err != nil {
					return err
				}
				defer conn.Close(context.Background())
				var one int
				return conn.QueryRow(ctx, "SELECT 1").Scan(&one)
			})
			poolCache := secretcache.New(secretsmanager.NewFromConfig(s.aws.Config), secretcache.Options{CheckInterval: interval})
			pool, err := pgsecret.NewPool(ctx, poolCache, name, opts, func(c *pgxpool.Config) {
				c.MaxConns, c.MaxConnLifetime, c.MaxConnLifetimeJitter = 2, 300*time.Millisecond, 100*time.Millisecond
			})
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			poolApp := startClientApp(ctx, name+" (pool)", func(ctx context.Context) error {
				var one int
				return pool.QueryRow(ctx, "SELECT 1").Scan(&one)
			})
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
			queries, failedQueries, lastErr := poolApp.stop()
			logins := pool.Stat().NewConnsCount()
			t.Logf("%s (pool): %d queries, %d failed, on %d connections; cache %+v", name, queries, failedQueries, logins, poolCache.Stats())
			if failedQueries != 0 || queries < 20 || logins < 5 {
				t.Errorf("pool: %d of %d queries failed through %d rotations, on %d connections (last: %v); want none failed, on new connections throughout",
					failedQueries, queries+failedQueries, rotations, logins, lastErr)
			}
			// The first read, then about one per rotation, and a spare for a
			// refused login's re-read in the single-user window.
			for who, c := range map[string]*secretcache.Cache{"Connect": cache, "the pool": poolCache} {
				if st := c.Stats(); st.Fetches > 1+2*rotations {
					t.Errorf("%s: %d GetSecretValue for %d rotations: the cache reads too often", who, st.Fetches, rotations)
				}
			}
			assertInvariant(ctx, t, s, name)
		})
	}
}

// clientApp logs in or queries through pgsecret every 20 ms.
type clientApp struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	lastErr    error
	cancel     context.CancelFunc
	done       chan struct{}
}

func startClientApp(ctx context.Context, name string, use func(context.Context) error) *clientApp {
	ctx, cancel := context.WithCancel(ctx)
	a := &clientApp{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		for ctx.Err() == nil {
			err := use(ctx)
			switch {
			case ctx.Err() != nil:
			case err != nil:
				a.failed.Add(1)
				a.mu.Lock()
				a.lastErr = fmt.Errorf("%s: %w", name, err)
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
