package localaws

import (
	"sync"
	"time"
)

// quotaLimiter holds a token bucket per account, Region and quota family,
// as AWS counts quotas: a call is charged to the account of the key that
// signed it (with IAM enforced, its principal's; otherwise every key is
// the server's account) in the Region of its credential scope. Calls a
// service makes inside the emulator (RDS and its managed master secret)
// never pass here: on AWS a service's own work is not the caller's quota.
type quotaLimiter struct {
	families  []QuotaFamily
	byOp      map[string]int // service + " " + op -> families index
	byService map[string]int // a family that takes every other operation
	now       func() time.Time

	mu      sync.Mutex
	buckets map[quotaKey]*tokenBucket
}

type quotaKey struct {
	account, region string
	family          int
}

func newQuotaLimiter(cfg *QuotaConfig) (*quotaLimiter, error) {
	families, err := cfg.Table()
	if err != nil {
		return nil, err
	}
	l := &quotaLimiter{families: families, byOp: map[string]int{}, byService: map[string]int{},
		now: time.Now, buckets: map[quotaKey]*tokenBucket{}}
	for i, f := range families {
		if len(f.Operations) == 0 {
			l.byService[f.Service] = i
		}
		for _, op := range f.Operations {
			l.byOp[f.Service+" "+op] = i
		}
	}
	return l, nil
}

// family is the bucket family a call draws from; ok is false for an
// operation no quota covers.
func (l *quotaLimiter) family(c *Call) (int, bool) {
	if i, ok := l.byOp[c.Service+" "+c.Op]; ok {
		return i, true
	}
	i, ok := l.byService[c.Service]
	return i, ok
}

// admit takes a token for the call, or names the family whose bucket is
// empty and returns the service's throttling error. It runs before any
// service or injected fault sees the call, so a throttled call changes
// nothing.
func (l *quotaLimiter) admit(c *Call, account, region string) *APIError {
	i, ok := l.family(c)
	if !ok {
		return nil
	}
	key := quotaKey{account: account, region: region, family: i}
	l.mu.Lock()
	now := l.now()
	b := l.buckets[key]
	if b == nil {
		b = newTokenBucket(l.families[i].Rate, l.families[i].Burst, now)
		l.buckets[key] = b
	}
	allowed := b.take(now)
	l.mu.Unlock()
	if allowed {
		return nil
	}
	c.ThrottledBy = l.families[i].Name
	return throttlingError(c)
}

// setClock lets tests refill buckets without sleeping.
func (l *quotaLimiter) setClock(now func() time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now = now
}

// quotaAccount is the account a call is charged to: its principal's when
// IAM is enforced, else the default one (callScope). A cross-account
// read is the caller's, as AWS documents.
func (s *Server) quotaAccount(c *Call) string { return s.callScope(c).account }

// quotaRegion is the Region a call is charged to: its credential scope's,
// else the default one (callScope).
func (s *Server) quotaRegion(c *Call) string { return s.callScope(c).region }

// QuotaTable is the quota table the server enforces, nil when quota mode
// is off.
func (s *Server) QuotaTable() []QuotaFamily {
	if s.quotas == nil {
		return nil
	}
	out := make([]QuotaFamily, len(s.quotas.families))
	for i, f := range s.quotas.families {
		f.Operations = append([]string(nil), f.Operations...)
		out[i] = f
	}
	return out
}
