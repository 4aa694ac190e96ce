package dbhost

import (
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"sync"
)

// Running a server binary for its version costs tens of milliseconds and
// DescribeDBEngineVersions and every instance ask for it, so the answer is
// kept per binary for the life of the process.
var (
	versionMu    sync.Mutex
	versionCache = map[string]string{}
)

// Version runs bin --version and returns the first group re matches in
// what it prints; server names the server in errors.
func Version(bin, server string, re *regexp.Regexp) (string, error) {
	versionMu.Lock()
	defer versionMu.Unlock()
	if v, ok := versionCache[bin]; ok {
		return v, nil
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", bin, err)
	}
	m := re.FindStringSubmatch(string(out))
	if m == nil {
		return "", fmt.Errorf("cannot read the %s version in %s", server, strings.TrimSpace(string(out)))
	}
	versionCache[bin] = m[1]
	return m[1], nil
}
