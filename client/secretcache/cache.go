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
	entries map[string]*entry

	describes, fetches, hits, stale atomic.Int64
}

// entry is one secret; mu is held while it is checked or fetched, so
// concurrent readers wait for that one call instead of making their own.
type entry struct {
	mu       sync.Mutex
	value    Secret
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
	return &Cache{api: api, opts: opts, entries: map[string]*entry{}}
}

// Get returns the AWSCURRENT value of secretID, checked within the last
// CheckInterval, or the last good value marked Stale when the check failed.
func (c *Cache) Get(ctx context.Context, secretID string) (Secret, error) {
	return c.get(ctx, secretID, false)
}

// Refresh checks secretID now, whatever the interval says: after a login
// was refused, say, since the secret may have been rotated since.
func (c *Cache) Refresh(ctx context.Context, secretID string) (Secret, error) {
	return c.get(ctx, secretID, true)
}

// Pending reads the AWSPENDING version of secretID, uncached: a rotation
// in progress has set it in the database before it moves AWSCURRENT, so a
// client refused with AWSCURRENT may log in with it. ok is false when the
// secret has no AWSPENDING.
func (c *Cache) Pending(ctx context.Context, secretID string) (s Secret, ok bool, err error) {
	c.fetches.Add(1)
	out, err := c.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID), VersionStage: aws.String(StagePending)})
	if err != nil {
		if isNotFound(err) {
			return Secret{}, false, nil
		}
		return Secret{}, false, fmt.Errorf("secretcache: read %s of %s: %w", StagePending, secretID, err)
	}
	s, err = parse(secretID, out)
	return s, err == nil, err
}

func (c *Cache) get(ctx context.Context, secretID string, force bool) (Secret, error) {
	e := c.entry(secretID)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.opts.Now()
	if e.loaded && !force && now.Before(e.checkDue) {
		c.hits.Add(1)
		return e.value, nil
	}
	err := c.check(ctx, secretID, e)
	e.checkDue = c.opts.Now().Add(c.interval())
	switch {
	case err == nil:
		return e.value, nil
	case e.loaded:
		c.stale.Add(1)
		s := e.value
		s.Stale = err
		return s, nil
	default:
		return Secret{}, err
	}
}

// check finds AWSCURRENT's version and fetches it when it moved. An entry
// never loaded is fetched straight away: the describe would tell nothing.
func (c *Cache) check(ctx context.Context, secretID string, e *entry) error {
	if e.loaded {
		c.describes.Add(1)
		out, err := c.api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretID)})
		if err != nil {
			return fmt.Errorf("secretcache: check %s: %w", secretID, err)
		}
		if currentVersion(out) == e.value.VersionID {
			return nil
		}
	}
	c.fetches.Add(1)
	out, err := c.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
	if err != nil {
		return fmt.Errorf("secretcache: read %s: %w", secretID, err)
	}
	s, err := parse(secretID, out)
	if err != nil {
		return err
	}
	e.value, e.loaded = s, true
	return nil
}

// interval is CheckInterval less up to a fifth, drawn anew each time.
func (c *Cache) interval() time.Duration {
	d := c.opts.CheckInterval
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// entry returns the secret's entry, making room when the cache is full.
func (c *Cache) entry(secretID string) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[secretID]
	if e == nil {
		if len(c.entries) >= c.opts.MaxSecrets {
			c.evictLocked()
		}
		e = &entry{}
		c.entries[secretID] = e
	}
	e.lastRead = c.opts.Now()
	return e
}

func (c *Cache) evictLocked() {
	var oldest string
	var at time.Time
	for id, e := range c.entries {
		if oldest == "" || e.lastRead.Before(at) {
			oldest, at = id, e.lastRead
		}
	}
	delete(c.entries, oldest)
}

func currentVersion(out *secretsmanager.DescribeSecretOutput) string {
	for id, stages := range out.VersionIdsToStages {
		for _, s := range stages {
			if s == StageCurrent {
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
