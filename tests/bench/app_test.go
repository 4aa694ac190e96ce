package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// appAccessKey signs the simulated application's AWS calls.
const appAccessKey = "credstage-app"

// application is B4's simulated application: it opens new database
// connections at a steady rate, each through one of its secrets, the way
// README.md tells applications to: read AWSCURRENT through a short cache
// and, on an authentication failure, refresh it (waiting briefly for a
// newer version when the refresh returns the one that just failed) and
// retry once. With retry false it is the same application without the
// retry (it keeps using its cached credentials until the cache expires).
type application struct {
	sm       *secretsmanager.Client
	caBundle string // the RDS CA bundle: applications check certificates
	secrets  []string
	rate     float64
	ttl      time.Duration
	retry    bool

	mu    sync.Mutex
	cache map[string]cachedSecret

	attempts, ok, firstTryAuthFailures, failuresAfterRetry, otherErrors atomic.Int64
	lastError                                                           atomic.Value
}

type cachedSecret struct {
	s       appSecret
	fetched time.Time
}

type appSecret struct {
	VersionID string `json:"-"`
	Host      string `json:"host"`
	Port      int    `json:"port"`
	Username  string `json:"username"`
	Password  string `json:"password"`
	DBName    string `json:"dbname"`
}

// appCounts is what B4 reports for one run.
type appCounts struct {
	Attempts             int64  `json:"attempts"`
	Succeeded            int64  `json:"succeeded"`
	FirstTryAuthFailures int64  `json:"first_try_auth_failures"`
	FailuresAfterRetry   int64  `json:"failures_after_retry"`
	OtherErrors          int64  `json:"other_errors"`
	LastError            string `json:"last_error,omitempty"`
}

func newApplication(sm *secretsmanager.Client, caBundle string, secrets []string, rate float64, ttl time.Duration, retry bool) *application {
	return &application{sm: sm, caBundle: caBundle, secrets: secrets, rate: rate, ttl: ttl, retry: retry, cache: map[string]cachedSecret{}}
}

// start runs the application until the returned stop is called; stop
// waits for the connections in flight and returns the counts.
func (a *application) start(ctx context.Context) (stop func() appCounts) {
	if a.rate <= 0 || len(a.secrets) == 0 {
		return func() appCounts { return appCounts{} }
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Duration(float64(time.Second) / a.rate))
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			wg.Add(1)
			go func(secret string) {
				defer wg.Done()
				a.connect(ctx, secret)
			}(a.secrets[n%len(a.secrets)])
		}
	}()
	return func() appCounts {
		cancel()
		<-done
		wg.Wait()
		c := appCounts{Attempts: a.attempts.Load(), Succeeded: a.ok.Load(), FirstTryAuthFailures: a.firstTryAuthFailures.Load(),
			FailuresAfterRetry: a.failuresAfterRetry.Load(), OtherErrors: a.otherErrors.Load()}
		if e, ok := a.lastError.Load().(string); ok {
			c.LastError = e
		}
		return c
	}
}

// connect is one connection as README.md's Creds.Connect makes it.
func (a *application) connect(ctx context.Context, secret string) {
	if ctx.Err() != nil {
		return
	}
	a.attempts.Add(1)
	// Connections already started finish even when the run ends.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	failed := "" // the version whose password was refused
	for attempt := 0; ; attempt++ {
		s, err := a.current(cctx, secret, attempt > 0, failed)
		if err != nil {
			a.fail(err)
			return
		}
		err = a.login(cctx, s)
		if err == nil {
			a.ok.Add(1)
			return
		}
		if !isAuthFailure(err) {
			a.fail(err)
			return
		}
		if attempt == 0 {
			failed = s.VersionID
			a.firstTryAuthFailures.Add(1)
			if a.retry {
				continue
			}
		}
		a.failuresAfterRetry.Add(1)
		a.lastError.Store(fmt.Sprintf("%s: %v", secret, err))
		return
	}
}

func (a *application) fail(err error) {
	a.otherErrors.Add(1)
	a.lastError.Store(err.Error())
}

// newerVersionWait bounds how long a retry waits for AWSCURRENT to move
// past the version that was refused: a single-user rotation sets the new
// password a moment (its test step) before it promotes it, and a rollback
// restores the old one as quickly.
const newerVersionWait = 5 * time.Second

// current reads AWSCURRENT through the cache; refresh forces a read. A
// refresh after version `failed` was refused polls (every 100 ms, up to
// newerVersionWait) until AWSCURRENT is another version, then returns the
// latest read either way.
func (a *application) current(ctx context.Context, secret string, refresh bool, failed string) (appSecret, error) {
	a.mu.Lock()
	c, ok := a.cache[secret]
	a.mu.Unlock()
	if ok && !refresh && time.Since(c.fetched) < a.ttl {
		return c.s, nil
	}
	deadline := time.Now().Add(newerVersionWait)
	for {
		s, err := a.read(ctx, secret)
		if err != nil {
			return appSecret{}, err
		}
		if failed == "" || s.VersionID != failed || time.Now().After(deadline) {
			a.mu.Lock()
			a.cache[secret] = cachedSecret{s: s, fetched: time.Now()}
			a.mu.Unlock()
			return s, nil
		}
		select {
		case <-ctx.Done():
			return appSecret{}, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (a *application) read(ctx context.Context, secret string) (appSecret, error) {
	out, err := a.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secret), VersionStage: aws.String("AWSCURRENT")})
	if err != nil {
		return appSecret{}, err
	}
	var s appSecret
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &s); err != nil {
		return appSecret{}, fmt.Errorf("secret %s is not JSON", secret)
	}
	s.VersionID = aws.ToString(out.VersionId)
	return s, nil
}

func (a *application) login(ctx context.Context, s appSecret) error {
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d dbname=%s sslmode=verify-full sslrootcert=%s require_auth=scram-sha-256 connect_timeout=20",
		s.Host, s.Port, s.DBName, a.caBundle))
	if err != nil {
		return err
	}
	cfg.User, cfg.Password = s.Username, s.Password
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// isAuthFailure: invalid_password (28P01), or invalid_authorization_specification (28000).
func isAuthFailure(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "28P01" || pgErr.Code == "28000")
}

// appSecretsOf picks n secrets spread evenly over a run's secrets, so the
// application sees both stages and every instance.
func appSecretsOf(secrets []string, n int) []string {
	n = min(n, len(secrets))
	out := make([]string, 0, n)
	for i := range n {
		out = append(out, secrets[i*len(secrets)/n])
	}
	return out
}
