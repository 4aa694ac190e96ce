package cli

import (
	"testing"
	"time"
)

func TestAgeString(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 45 * time.Second: "45s", 30*time.Minute + 20*time.Second: "30m", 12 * time.Hour: "12h",
		12*time.Hour + 5*time.Minute: "12h5m", 36 * time.Hour: "1d12h", 90 * 24 * time.Hour: "90d",
	} {
		if got := ageString(d); got != want {
			t.Errorf("ageString(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestAgeFlagTakesDays(t *testing.T) {
	var f ageFlag
	if err := f.Set("90d"); err != nil || f.D() != 90*24*time.Hour || f.String() != "90d" {
		t.Errorf("90d: %s %q %v", f.D(), f.String(), err)
	}
	if err := f.Set("soon"); err == nil {
		t.Error("soon accepted")
	}
}
