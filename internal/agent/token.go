package agent

import (
	"fmt"
	"os"
	"strings"
)

// tokenVariables are read in this order, as by the AWS agent.
var tokenVariables = []string{"AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"}

// LoadToken reads the SSRF token from the first variable set; a value
// file://PATH names a file holding it.
func LoadToken(env func(string) string) (string, error) {
	for _, name := range tokenVariables {
		v := env(name)
		if v == "" {
			continue
		}
		path, isFile := strings.CutPrefix(v, "file://")
		if !isFile {
			return v, nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("agent: the SSRF token file named by %s: %w", name, err)
		}
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, nil
		}
		return "", fmt.Errorf("agent: the SSRF token file %s named by %s is empty", path, name)
	}
	return "", fmt.Errorf("agent: no SSRF token: set %s (a value, or file://PATH)", strings.Join(tokenVariables, ", "))
}
