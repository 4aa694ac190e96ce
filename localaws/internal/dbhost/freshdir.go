package dbhost

import (
	"fmt"
	"os"
	"path/filepath"
)

// FreshDir makes dir an empty folder of the owner's for a new cluster:
// what an earlier, interrupted Init left is deleted, the folders above it
// are made traversable for the owner (EnsureReachable, with ownRoot), and
// dir itself is private (0700), as both servers insist on for their data.
func (o *Owner) FreshDir(dir, ownRoot string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	if err := o.EnsureReachable(filepath.Dir(dir), ownRoot); err != nil {
		return err
	}
	return o.Mkdir(dir, 0o700)
}
