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

// appKind is how B4's simulated application reads its credentials.
type appKind string

const (
	// appHandWritten reads AWSCURRENT through a TTL cache of its own and
	// retries a refused login once (application below).
	appHandWritten appKind = "hand-written"
	// appNoRetry is the same without the retry.
	appNoRetry appKind = "hand-written-no-retry"
	// appLibrary logs in through client/pgsecret over client/secretcache
	// (app_library_test.go).
	appLibrary appKind = "library"
	// appAgent reads through `credstage agent` and retries as
	// appHandWritten does (agent_test.go).
	appAgent appKind = "agent"
)

// simApp is B4's simulated application: it opens new database
// connections at a steady rate, each through one of its secrets, until
// stop, which waits for the connections in flight and returns the counts.
type simApp interface {
	start(ctx context.Context) (stop func() appCounts, err error)
}

// appCounts is what B4 reports for one run.
type appCounts struct {
	Attempts             int64  `json:"attempts"`
	Succeeded            int64  `json:"succeeded"`
	FirstTryAuthFailures int64  `json:"first_try_auth_failures"`
	FailuresAfterRetry   int64  `json:"failures_after_retry"`
	OtherErrors          int64  `json:"other_errors"`
	LastError            string `json:"last_error,omitempty"`
	// Reads are B7's figures, for the library and the agent.
	Reads *readCounts `json:"reads,omitempty"`
}

// appCounter counts the connections of any kind of application.
type appCounter struct {
	attempts, ok, firstTryAuthFailures, failuresAfterRetry, otherErrors atomic.Int64
	lastError                                                           atomic.Value
}

func (a *appCounter) fail(err error) {
	a.otherErrors.Add(1)
	a.lastError.Store(err.Error())
}

func (a *appCounter) refused(secret string, err error) {
	a.failuresAfterRetry.Add(1)
	a.lastError.Store(fmt.Sprintf("%s: %v", secret, err))
}

func (a *appCounter) counts() appCounts {
	c := appCounts{Attempts: a.attempts.Load(), Succeeded: a.ok.Load(), FirstTryAuthFailures: a.firstTryAuthFailures.Load(),
		FailuresAfterRetry: a.failuresAfterRetry.Load(), OtherErrors: a.otherErrors.Load()}
	if e, ok := a.lastError.Load().(string); ok {
		c.LastError = e
	}
	return c
}

// atRate calls connect for each secret in turn, rate times a second,
// until the returned stop is called; stop waits for the calls in flight.
// Connections already started finish even when the run ends.
func atRate(ctx context.Context, rate float64, secrets []string, connect func(ctx context.Context, secret string)) (stop func()) {
	if rate <= 0 || len(secrets) == 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
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
				connect(context.WithoutCancel(ctx), secret)
			}(secrets[n%len(secrets)])
		}
	}()
	return func() {
		cancel()
		<-done
		wg.Wait()
	}
}

// application is the hand-written pattern README.md described before
// client/pgsecret: read AWSCURRENT from src and, on an authentication
// failure, read it again past any cache (waiting briefly for a newer
// version when the read returns the one that just failed) and retry once.
// With retry false it is the same application without the retry (it
// keeps using its cached credentials until the cache expires).
type application struct {
	appCounter
	src      credSource
	caBundle string // the RDS CA bundle: applications check certificates
	secrets  []string
	rate     float64
	retry    bool
}

// credSource is where the hand-written application reads AWSCURRENT.
type credSource interface {
	// read returns AWSCURRENT; refresh reads past any cache.
	read(ctx context.Context, secret string, refresh bool) (appSecret, error)
}

type appSecret struct {
	VersionID string `json:"-"`
	Host      string `json:"host"`
	Port      int    `json:"port"`
	Username  string `json:"username"`
	Password  string `json:"password"`
	DBName    string `json:"dbname"`
}

func newApplication(src credSource, caBundle string, secrets []string, rate float64, retry bool) *application {
	return &application{src: src, caBundle: caBundle, secrets: secrets, rate: rate, retry: retry}
}

func (a *application) start(ctx context.Context) (func() appCounts, error) {
	stop := atRate(ctx, a.rate, a.secrets, a.connect)
	return func() appCounts {
		stop()
		return a.counts()
	}, nil
}

// connect is one connection as the pattern makes it.
func (a *application) connect(ctx context.Context, secret string) {
	a.attempts.Add(1)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	failed := "" // the version whose password was refused
	for attempt := 0; ; attempt++ {
		s, err := a.current(ctx, secret, attempt > 0, failed)
		if err != nil {
			a.fail(err)
			return
		}
		err = login(ctx, a.caBundle, s)
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
		a.refused(secret, err)
		return
	}
}

// newerVersionWait bounds how long a retry waits for AWSCURRENT to move
// past the version that was refused: a single-user rotation sets the new
// password a moment (its test step) before it promotes it, and a rollback
// restores the old one as quickly.
const newerVersionWait = 5 * time.Second

// current reads AWSCURRENT from the source; refresh reads past its
// cache. A refresh after version `failed` was refused polls (every
// 100 ms, up to newerVersionWait) until AWSCURRENT is another version,
// then returns the latest read either way.
func (a *application) current(ctx context.Context, secret string, refresh bool, failed string) (appSecret, error) {
	deadline := time.Now().Add(newerVersionWait)
	for {
		s, err := a.src.read(ctx, secret, refresh)
		if err != nil {
			return appSecret{}, err
		}
		if failed == "" || s.VersionID != failed || time.Now().After(deadline) {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return appSecret{}, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// smSource reads Secrets Manager through a cache of its own, each value
// kept for ttl.
type smSource struct {
	sm  *secretsmanager.Client
	ttl time.Duration

	mu    sync.Mutex
	cache map[string]cachedSecret
}

type cachedSecret struct {
	s       appSecret
	fetched time.Time
}

func newSMSource(sm *secretsmanager.Client, ttl time.Duration) *smSource {
	return &smSource{sm: sm, ttl: ttl, cache: map[string]cachedSecret{}}
}

func (c *smSource) read(ctx context.Context, secret string, refresh bool) (appSecret, error) {
	c.mu.Lock()
	e, ok := c.cache[secret]
	c.mu.Unlock()
	if ok && !refresh && time.Since(e.fetched) < c.ttl {
		return e.s, nil
	}
	out, err := c.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secret), VersionStage: aws.String("AWSCURRENT")})
	if err != nil {
		return appSecret{}, err
	}
	s, err := parseAppSecret(secret, aws.ToString(out.SecretString), aws.ToString(out.VersionId))
	if err != nil {
		return appSecret{}, err
	}
	c.mu.Lock()
	c.cache[secret] = cachedSecret{s: s, fetched: time.Now()}
	c.mu.Unlock()
	return s, nil
}

func parseAppSecret(secret, value, versionID string) (appSecret, error) {
	var s appSecret
	if err := json.Unmarshal([]byte(value), &s); err != nil {
		return appSecret{}, fmt.Errorf("secret %s is not JSON", secret)
	}
	s.VersionID = versionID
	return s, nil
}

// login opens and closes one connection with s, as an application does.
func login(ctx context.Context, caBundle string, s appSecret) error {
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d dbname=%s %s", s.Host, s.Port, s.DBName, appConnSettings(caBundle)))
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

// appConnSettings are every application's TLS and login settings.
func appConnSettings(caBundle string) string {
	return "sslmode=verify-full sslrootcert=" + caBundle + " require_auth=scram-sha-256 connect_timeout=20"
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
