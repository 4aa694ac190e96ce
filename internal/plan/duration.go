package plan

import (
	"fmt"
	"time"
)

// UnmarshalScalar reads a Go duration string; a bare number is refused
// because "10" is ambiguous (seconds? minutes?).
func (d *Duration) UnmarshalScalar(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("invalid duration %q (use a Go duration such as 90s, 10m or 1h30m)", s)
	}
	*d = Duration(v)
	return nil
}

// D is the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
