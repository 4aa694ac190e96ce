package cli

import (
	"strings"
	"testing"
)

// TestCronLengthIsBounded: an absurdly long expression is refused, and the
// error quotes only its start.
func TestCronLengthIsBounded(t *testing.T) {
	long := strings.Repeat("1,", 5000) + "1 * * * *"
	err := ValidateCron(long)
	if err == nil || !strings.Contains(err.Error(), "at most 256") || len(err.Error()) > 200 {
		t.Fatalf("%.300v", err)
	}
	if err := ValidateCron("0,5,10,15,20,25,30,35,40,45,50,55 * * * MON-FRI"); err != nil {
		t.Fatalf("a long but reasonable expression: %v", err)
	}
}
