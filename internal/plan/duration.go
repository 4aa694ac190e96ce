package plan

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// UnmarshalScalar reads a Go duration string ("90s", "10m", "1h30m"), or
// a number of days with an optional Go duration after it ("90d",
// "1d12h"), since a secret's maxAge is thought of in days. A bare number
// is refused because "10" is ambiguous (seconds? minutes?).
func (d *Duration) UnmarshalScalar(s string) error {
	v, err := parseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("invalid duration %q (use a Go duration such as 90s, 10m or 1h30m, or days such as 90d)", s)
	}
	*d = Duration(v)
	return nil
}

// parseDuration is time.ParseDuration plus a leading whole number of days.
func parseDuration(s string) (time.Duration, error) {
	days, rest, ok := strings.Cut(s, "d")
	if !ok {
		return time.ParseDuration(s)
	}
	n, err := strconv.ParseUint(days, 10, 16) // at most 65535 days, far inside a time.Duration
	if err != nil {
		return 0, err
	}
	v := time.Duration(n) * 24 * time.Hour
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil || r < 0 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		v += r
	}
	return v, nil
}

// D is the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
