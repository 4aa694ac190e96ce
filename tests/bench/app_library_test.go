package bench

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/credstage/credstage/client/pgsecret"
	"github.com/credstage/credstage/client/secretcache"
)

// libraryApp is B4's application as README.md now tells Go applications
// to be written: one secretcache.Cache for the process, every new
// connection through pgsecret.Connect, which retries a refused login.
//
// pgsecret hides its retry, so a refused first try is told by the calls
// it makes: before each Connect the application reads the secret from the
// cache (the check, when one is due, happens there), so Connect's own
// read is a hit, and any Secrets Manager call made under the connection's
// context is a re-read after a refused login. (A check falling due in the
// microseconds between the two reads would count as a refusal.)
type libraryApp struct {
	appCounter
	api     *countingSM
	cache   *secretcache.Cache
	opts    pgsecret.Options
	secrets []string
	rate    float64
	prop    propagationOptions
}

func newLibraryApp(sm *secretsmanager.Client, caBundle string, secrets []string, rate float64, prop propagationOptions) *libraryApp {
	api := &countingSM{sm: sm}
	return &libraryApp{api: api, cache: secretcache.New(api, secretcache.Options{CheckInterval: prop.checkInterval}),
		opts:    pgsecret.Options{ConnString: appConnSettings(caBundle)},
		secrets: secrets, rate: rate, prop: prop}
}

func (a *libraryApp) start(ctx context.Context) (func() appCounts, error) {
	// The first read of each secret is no rotation's.
	if err := warm(ctx, a.secrets, a.prop.checkInterval, func(ctx context.Context, id string) error {
		_, err := a.cache.Get(ctx, id)
		return err
	}); err != nil {
		return nil, err
	}
	before := a.api.counts()
	p, err := startPropagation(ctx, a.prop, a.secrets, func(ctx context.Context, id string) (string, error) {
		s, err := a.cache.Get(ctx, id)
		return s.VersionID, err
	})
	if err != nil {
		return nil, err
	}
	stop := atRate(ctx, a.rate, a.secrets, a.connect)
	return func() appCounts {
		reads := p.wait()
		stop()
		after := a.api.counts()
		reads.GetSecretValue = after.current + after.pending - before.current - before.pending
		reads.PendingReads = after.pending - before.pending
		reads.Describes = after.describes - before.describes
		c := a.counts()
		c.Reads = &reads
		return c
	}, nil
}

func (a *libraryApp) connect(ctx context.Context, secret string) {
	a.attempts.Add(1)
	// pgsecret re-reads for up to 30 s (its MaxWait) before it gives up.
	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	if _, err := a.cache.Get(ctx, secret); err != nil {
		a.fail(err)
		return
	}
	tr := &connTrace{}
	conn, err := pgsecret.Connect(context.WithValue(ctx, connTraceKey{}, tr), a.cache, secret, a.opts)
	if tr.calls.Load() > 0 {
		a.firstTryAuthFailures.Add(1)
	}
	switch {
	case err == nil:
		a.ok.Add(1)
		_ = conn.Close(ctx)
	case isAuthFailure(err):
		a.refused(secret, err)
	default:
		a.fail(err)
	}
}

// connTrace counts the Secrets Manager calls made for one connection.
type connTrace struct{ calls atomic.Int64 }

type connTraceKey struct{}

// countingSM is the library application's Secrets Manager client: it
// counts the cache's calls, and charges each to the connection whose
// context made it.
type countingSM struct {
	sm                          *secretsmanager.Client
	describes, current, pending atomic.Int64
}

var _ secretcache.API = (*countingSM)(nil)

type smCounts struct{ describes, current, pending int64 }

func (c *countingSM) counts() smCounts {
	return smCounts{describes: c.describes.Load(), current: c.current.Load(), pending: c.pending.Load()}
}

func (c *countingSM) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if aws.ToString(in.VersionStage) == secretcache.StagePending {
		c.pending.Add(1)
	} else {
		c.current.Add(1)
	}
	charge(ctx)
	return c.sm.GetSecretValue(ctx, in, optFns...)
}

func (c *countingSM) DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	c.describes.Add(1)
	charge(ctx)
	return c.sm.DescribeSecret(ctx, in, optFns...)
}

func charge(ctx context.Context) {
	if tr, ok := ctx.Value(connTraceKey{}).(*connTrace); ok {
		tr.calls.Add(1)
	}
}
