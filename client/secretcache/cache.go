// Package secretcache keeps an application's database secrets current
// without asking Secrets Manager for the value on every read.
//
// A cached secret is checked, every CheckInterval (default 15 s, less a
// random part of up to a fifth so a fleet of clients does not check in
// step), with DescribeSecret: it decrypts nothing and answers small, and it
// tells which version holds AWSCURRENT. An unchanged version extends the
// cached value; a moved one is fetched with GetSecretValue. So a rotation
// is seen within CheckInterval, and GetSecretValue is called about once per
// rotation. Both calls count against the account's read budget (about
// 10,000 a second, shared), and Stats counts them.
//
// Concurrent readers of one secret share one check or fetch. When Secrets
// Manager cannot be reached, the last good value is served, marked Stale
// with the error, and checked again after CheckInterval.
package secretcache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// DefaultCheckInterval bounds how long a rotation goes unseen.
const DefaultCheckInterval = 15 * time.Second

// Stage names of Secrets Manager.
const (
	StageCurrent = "AWSCURRENT"
	StagePending = "AWSPENDING"
)

// API is what the cache needs of a Secrets Manager client
// (*secretsmanager.Client).
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

var _ API = (*secretsmanager.Client)(nil)

// Options tune a Cache; zero values take the defaults.
type Options struct {
	// CheckInterval is the longest a cached value is served unchecked.
	CheckInterval time.Duration
	// MaxSecrets bounds the cache (default 1,000); the secret read least
	// recently is dropped first.
	MaxSecrets int
	// Now stands for time.Now in tests.
	Now func() time.Time
}

// Cache is safe for concurrent use.
type Cache struct {
	api  API
	opts Options

	mu      sync.Mutex
	entries map[Key]*entry
	pending map[string]*pendingRead

	describes, fetches, hits, stale atomic.Int64
}

// entry is one secret; mu is held while it is checked or fetched, so
// concurrent readers wait for that one call instead of making their own.
type entry struct {
	mu       sync.Mutex
	value    Value
	loaded   bool
	checkDue time.Time
	lastRead time.Time // under Cache.mu
}

// New makes a cache over api.
func New(api API, opts Options) *Cache {
	if opts.CheckInterval <= 0 {
		opts.CheckInterval = DefaultCheckInterval
	}
	if opts.MaxSecrets <= 0 {
		opts.MaxSecrets = 1000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Cache{api: api, opts: opts, entries: map[Key]*entry{}, pending: map[string]*pendingRead{}}
}

// Get returns the AWSCURRENT value of secretID, checked within the last
// CheckInterval, or the last good value marked Stale when the check failed.
func (c *Cache) Get(ctx context.Context, secretID string) (Secret, error) {
	return c.secret(ctx, Key{SecretID: secretID}, false)
}

// Refresh checks secretID now, whatever the interval says: after a login
// was refused, say, since the secret may have been rotated since.
func (c *Cache) Refresh(ctx context.Context, secretID string) (Secret, error) {
	return c.secret(ctx, Key{SecretID: secretID}, true)
}

// Pending reads the AWSPENDING version of secretID: a rotation in
// progress has set it in the database before it moves AWSCURRENT, so a
// client refused with AWSCURRENT may log in with it. ok is false when the
// secret has no AWSPENDING.
//
// Every connection a client opens in a single-user rotation's window is
// refused and asks for it, so one answer is shared for PendingMemo
// (readers meanwhile wait for the one call in flight). A remembered
// answer that is out of date is harmless: a promoted pending version logs
// in as AWSCURRENT does, and a rolled-back one is refused, after which
// the caller re-reads AWSCURRENT.
func (c *Cache) Pending(ctx context.Context, secretID string) (s Secret, ok bool, err error) {
	p := c.pendingEntry(secretID)
	p.mu.Lock()
	defer p.mu.Unlock()
	now := c.opts.Now()
	if !p.at.IsZero() && now.Sub(p.at) < PendingMemo {
		c.hits.Add(1)
		return p.s, p.ok, nil
	}
	c.fetches.Add(1)
	out, err := c.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID), VersionStage: aws.String(StagePending)})
	switch {
	case isNotFound(err):
		p.s, p.ok, p.at = Secret{}, false, now
		return Secret{}, false, nil
	case err != nil:
		return Secret{}, false, fmt.Errorf("secretcache: read %s of %s: %w", StagePending, secretID, err)
	}
	if s, err = parse(secretID, valueOf(out)); err != nil {
		return Secret{}, false, err
	}
	p.s, p.ok, p.at = s, true, now
	return s, true, nil
}

// PendingMemo is how long one AWSPENDING answer is shared.
const PendingMemo = 2 * time.Second

// pendingRead is the shared AWSPENDING answer of one secret.
type pendingRead struct {
	mu sync.Mutex
	s  Secret
	ok bool
	at time.Time
}

func (c *Cache) pendingEntry(secretID string) *pendingRead {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pending[secretID]
	if p == nil {
		if len(c.pending) >= c.opts.MaxSecrets {
			clear(c.pending) // a bound, not an LRU: these are seconds-long answers
		}
		p = &pendingRead{}
		c.pending[secretID] = p
	}
	return p
}

func (c *Cache) secret(ctx context.Context, k Key, force bool) (Secret, error) {
	v, err := c.Value(ctx, k, force)
	if err != nil {
		return Secret{}, err
	}
	s, err := parse(k.SecretID, v)
	s.Stale = v.Stale
	return s, err
}

// Key names what is cached: a secret's version by stage (AWSCURRENT when
// neither field is set) or by id.
type Key struct {
	SecretID     string
	VersionID    string
	VersionStage string
}

func (k Key) stage() string {
	if k.VersionID == "" && k.VersionStage == "" {
		return StageCurrent
	}
	return k.VersionStage
}

// Value returns what GetSecretValue answers for k, from the cache when it
// was checked within CheckInterval and force is false. A version named by
// id is re-checked too: its value never changes, but its stages do.
func (c *Cache) Value(ctx context.Context, k Key, force bool) (Value, error) {
	e := c.entry(k)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.opts.Now()
	if e.loaded && !force && now.Before(e.checkDue) {
		c.hits.Add(1)
		return e.value, nil
	}
	err := c.check(ctx, k, e)
	e.checkDue = c.opts.Now().Add(c.interval())
	switch {
	case err == nil:
		return e.value, nil
	case isNotFound(err):
		// Gone, not unreachable: the secret, version or stage no longer
		// exists, and serving the old value would hide it.
		e.loaded = false
		return Value{}, err
	case e.loaded:
		c.stale.Add(1)
		v := e.value
		v.Stale = err
		return v, nil
	default:
		return Value{}, err
	}
}

// check finds the version k names and fetches it when it moved. An entry
// never loaded is fetched straight away: the describe would tell nothing.
func (c *Cache) check(ctx context.Context, k Key, e *entry) error {
	if e.loaded {
		c.describes.Add(1)
		out, err := c.api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(k.SecretID)})
		if err != nil {
			return fmt.Errorf("secretcache: check %s: %w", k.SecretID, err)
		}
		version := k.VersionID
		if version == "" {
			version = versionWith(out, k.stage())
		}
		stages, listed := out.VersionIdsToStages[version]
		if version == e.value.VersionID && listed {
			e.value.VersionStages = append([]string(nil), stages...)
			return nil
		}
	}
	c.fetches.Add(1)
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(k.SecretID)}
	if k.VersionID != "" {
		in.VersionId = aws.String(k.VersionID)
	}
	if k.VersionStage != "" {
		in.VersionStage = aws.String(k.VersionStage)
	}
	out, err := c.api.GetSecretValue(ctx, in)
	if err != nil {
		return fmt.Errorf("secretcache: read %s: %w", k.SecretID, err)
	}
	e.value, e.loaded = valueOf(out), true
	return nil
}

// interval is CheckInterval less up to a fifth, drawn anew each time.
func (c *Cache) interval() time.Duration {
	d := c.opts.CheckInterval
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// entry returns the secret's entry, making room when the cache is full.
func (c *Cache) entry(k Key) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[k]
	if e == nil {
		if len(c.entries) >= c.opts.MaxSecrets {
			c.evictLocked()
		}
		e = &entry{}
		c.entries[k] = e
	}
	e.lastRead = c.opts.Now()
	return e
}

func (c *Cache) evictLocked() {
	var oldest Key
	var at time.Time
	found := false
	for k, e := range c.entries {
		if !found || e.lastRead.Before(at) {
			oldest, at, found = k, e.lastRead, true
		}
	}
	delete(c.entries, oldest)
}

// versionWith is the version holding stage, "" when none does.
func versionWith(out *secretsmanager.DescribeSecretOutput, stage string) string {
	for id, stages := range out.VersionIdsToStages {
		for _, s := range stages {
			if s == stage {
				return id
			}
		}
	}
	return ""
}

func isNotFound(err error) bool {
	var nf interface{ ErrorCode() string }
	return errors.As(err, &nf) && nf.ErrorCode() == "ResourceNotFoundException"
}

// Stats counts the cache's work since it was made.
type Stats struct {
	// Describes and Fetches are the DescribeSecret and GetSecretValue
	// calls made: the cache's share of the account's read budget.
	Describes, Fetches int64
	// Hits were served without a call; Stale were served after a failed
	// check.
	Hits, Stale int64
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	return Stats{Describes: c.describes.Load(), Fetches: c.fetches.Load(), Hits: c.hits.Load(), Stale: c.stale.Load()}
}
