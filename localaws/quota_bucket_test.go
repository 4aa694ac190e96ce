package localaws

import (
	"testing"
	"time"
)

// TestTokenBucket: a full bucket lets burst calls through, then refills
// at rate, never above burst; refused calls take nothing.
func TestTokenBucket(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	b := newTokenBucket(2, 3, start)
	for i := range 3 {
		if !b.take(start) {
			t.Fatalf("call %d of the burst refused", i+1)
		}
	}
	for range 5 {
		if b.take(start) {
			t.Fatal("an empty bucket let a call through")
		}
	}
	if b.take(start.Add(499 * time.Millisecond)) {
		t.Fatal("a token came back before 1/rate")
	}
	if !b.take(start.Add(500 * time.Millisecond)) {
		t.Fatal("no token after 1/rate (refused calls must not have taken any)")
	}
	later := start.Add(time.Hour)
	for i := range 3 {
		if !b.take(later) {
			t.Fatalf("after an hour, call %d refused", i+1)
		}
	}
	if b.take(later) {
		t.Fatal("the bucket filled above burst")
	}
}
