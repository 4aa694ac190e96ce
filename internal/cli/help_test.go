package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestHelpGolden pins the --help text of every command: the help is the
// reference people read, so a change to it should be deliberate.
func TestHelpGolden(t *testing.T) {
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			if sub.Name() == "help" {
				continue
			}
			walk(sub, append(append([]string(nil), path...), sub.Name()))
		}
	}
	var sink bytes.Buffer
	walk(newRootCmd(newApp(&sink, &sink, nil)), nil)
	if len(paths) < 18 {
		t.Fatalf("found only %d commands: %v", len(paths), paths)
	}
	for _, path := range paths {
		name := "credstage"
		if len(path) > 0 {
			name = strings.Join(path, "_")
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := run(t, nil, append(path, "--help")...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("--help: %s", r)
			}
			if !strings.Contains(r.stdout, "Examples:") {
				t.Errorf("%s --help has no example", name)
			}
			golden(t, "help/"+name+".txt", r.stdout)
		})
	}
}

// TestHelpListsExitCodes keeps the exit codes where users look for them.
func TestHelpListsExitCodes(t *testing.T) {
	r := run(t, nil, "--help")
	for _, want := range []string{"0  success", "1  the operation failed", "2  bad input", "3  Temporal or AWS could not be reached"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("credstage --help lacks %q", want)
		}
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"bogus"},
		{"rotate"},
		{"rotate", "a", "b"},
		{"list", "--frob"},
		{"list", "--output", "yaml"},
		{"list", "--type", "nope", "--address", "127.0.0.1:1"},
		{"rollback", "x", "--strategy", "weird"},
		{"schedule", "backfill", "n", "--start", "yesterday", "--end", "2026-01-01T00:00:00Z"},
	} {
		r := run(t, nil, args...)
		if r.code != ExitBadInput || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || r.stderr == "" {
			t.Errorf("%v: want exit 2 with one line on stderr, got %s", args, r)
		}
	}
}
