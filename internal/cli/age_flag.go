package cli

import (
	"strconv"
	"time"

	"github.com/credstage/credstage/internal/plan"
)

// ageFlag is a duration flag that also takes days (90d, 1d12h), read as a
// plan's maxAge is, so the same value means the same on both sides.
type ageFlag struct{ d plan.Duration }

func (f *ageFlag) Set(s string) error { return f.d.UnmarshalScalar(s) }
func (f *ageFlag) Type() string       { return "duration" }
func (f *ageFlag) D() time.Duration   { return f.d.D() }

func (f *ageFlag) String() string {
	if f.d == 0 {
		return ""
	}
	return ageString(f.d.D())
}

// ageString writes an age the way people count it, to its two largest
// units: 97d4h, 12h5m, 30m, 45s.
func ageString(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d >= 24*time.Hour:
		days := d / (24 * time.Hour)
		s := strconv.FormatInt(int64(days), 10) + "d"
		if h := (d % (24 * time.Hour)) / time.Hour; h > 0 {
			s += strconv.FormatInt(int64(h), 10) + "h"
		}
		return s
	}
	d = d.Round(time.Second)
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}} {
		if d >= u.unit {
			s := strconv.FormatInt(int64(d/u.unit), 10) + u.name
			if u.unit == time.Hour && d%time.Hour >= time.Minute {
				s += strconv.FormatInt(int64(d%time.Hour/time.Minute), 10) + "m"
			}
			return s
		}
	}
	return d.String()
}
