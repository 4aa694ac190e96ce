package localaws

import "time"

// tokenBucket is one quota bucket as AWS describes its throttling: it
// starts full, each call takes a token, and tokens come back at rate per
// second up to burst. A refused call takes nothing, so a caller that
// backs off gets through as soon as a token is back.
type tokenBucket struct {
	rate, burst float64
	tokens      float64
	last        time.Time
}

func newTokenBucket(rate, burst float64, now time.Time) *tokenBucket {
	return &tokenBucket{rate: rate, burst: burst, tokens: burst, last: now}
}

// take reports whether a call may go ahead now, and takes its token.
func (b *tokenBucket) take(now time.Time) bool {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(b.burst, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
