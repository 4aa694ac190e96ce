package workerapp

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestShareOf: the shares of one view add up to the whole budget wherever
// the batches run, and follow them.
func TestShareOf(t *testing.T) {
	for _, c := range []struct {
		name string
		view budgetView
		want map[string]float64
	}{
		{"alone", budgetView{"a": 0}, map[string]float64{"a": 1}},
		{"two idle", budgetView{"a": 0, "b": 0}, map[string]float64{"a": 0.5, "b": 0.5}},
		{"one batch each", budgetView{"a": 1, "b": 1}, map[string]float64{"a": 0.5, "b": 0.5}},
		{"both batches on one", budgetView{"a": 2, "b": 0}, map[string]float64{"a": 2.1 / 2.2, "b": 0.1 / 2.2}},
		{"three workers", budgetView{"a": 1, "b": 0, "c": 3}, map[string]float64{"a": 1.1 / 4.3, "b": 0.1 / 4.3, "c": 3.1 / 4.3}},
	} {
		sum := 0.0
		for w, want := range c.want {
			got := shareOf(c.view, w)
			if !near(got, want) {
				t.Errorf("%s: %s's share %.4f, want %.4f", c.name, w, got, want)
			}
			sum += got
		}
		if !near(sum, 1) {
			t.Errorf("%s: shares add up to %.4f, want 1", c.name, sum)
		}
	}
	// A worker not yet listed (it has not polled) counts as one more idle
	// worker, so the others' shares plus its own never pass the budget.
	if got := shareOf(budgetView{"a": 2}, "new"); !near(got, 0.1/2.2) {
		t.Errorf("an unlisted worker's share %.4f, want %.4f", got, 0.1/2.2)
	}
	if got := (budgetView{"a": 2, "b": 1}).idle("a"); got["a"] != 0 || got["b"] != 1 {
		t.Errorf("idle view %v", got)
	}
}

// TestNextShare: a share falls at once and rises only as far as two
// successive views agree, so that between them every other worker has
// given its part up.
func TestNextShare(t *testing.T) {
	for _, c := range []struct {
		name                      string
		current, previous, target float64
		want                      float64
	}{
		{"falls at once", 0.9, 0.9, 0.5, 0.5},
		{"first view of a rise waits", 0.5, 0.5, 0.9, 0.5},
		{"second view of a rise takes it", 0.5, 0.9, 0.9, 0.9},
		{"rises only to what both views agree", 0.5, 0.7, 0.9, 0.7},
		{"steady", 0.5, 0.5, 0.5, 0.5},
	} {
		if got := nextShare(c.current, c.previous, c.target); !near(got, c.want) {
			t.Errorf("%s: nextShare(%v, %v, %v) = %v, want %v", c.name, c.current, c.previous, c.target, got, c.want)
		}
	}
}
