package activities

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// DBSecret is the RDS standard secret JSON credstage rotates:
//
//	{"engine":"postgres","host":"...","port":5432,"username":"...",
//	 "password":"...","dbname":"...","masterarn":"arn:..."}
//
// plus the optional TLS keys "sslmode" (disable, require, verify-ca,
// verify-full) and "sslrootcert" (a PEM bundle, inline or a file path).
// Keys credstage does not know are kept verbatim when a new version is
// written. The password is never printed: String omits it.
type DBSecret struct {
	Engine      string
	Host        string
	Port        int
	Username    string
	Password    string
	DBName      string
	MasterARN   string
	SSLMode     string
	SSLRootCert string

	raw map[string]json.RawMessage
}

// String names the login without its password, so a secret printed by
// mistake (%v, %+v) leaks nothing.
func (s DBSecret) String() string { return s.target().String() }

// GoString keeps %#v from printing the password too.
func (s DBSecret) GoString() string { return "DBSecret(" + s.String() + ")" }

func (s DBSecret) target() dbTarget {
	return dbTarget{Host: s.Host, Port: s.Port, DBName: s.DBName, Username: s.Username}
}

const defaultPort = 5432

// postgresEngines are the engine values credstage accepts.
var postgresEngines = map[string]bool{"postgres": true, "postgresql": true, "aurora-postgresql": true}

// sslModes are the modes credstage honours. "prefer" and "allow" are
// refused: both fall back to plaintext without telling anyone.
var sslModes = map[string]bool{"disable": true, "require": true, "verify-ca": true, "verify-full": true}

// parseAppSecret parses the secret of an application login: host,
// username and password are required; port defaults to 5432 and dbname to
// postgres.
func parseAppSecret(secretID, value string) (DBSecret, error) {
	s, err := parseSecretJSON(secretID, value)
	if err != nil {
		return s, err
	}
	for _, k := range []struct {
		key string
		val string
	}{{"host", s.Host}, {"username", s.Username}, {"password", s.Password}} {
		if k.val == "" {
			return s, malformed(secretID, "key %q is missing or empty", k.key)
		}
	}
	return s, nil
}

// parseMasterSecret parses a master secret: an RDS-managed one holds only
// username and password, the host comes from the instance or the app
// secret that points at it.
func parseMasterSecret(secretID, value string) (DBSecret, error) {
	s, err := parseSecretJSON(secretID, value)
	if err != nil {
		return s, err
	}
	if s.Username == "" {
		return s, malformed(secretID, "key %q is missing or empty", "username")
	}
	if s.Password == "" {
		return s, malformed(secretID, "key %q is missing or empty", "password")
	}
	return s, nil
}

func malformed(secretID, format string, args ...any) error {
	return nonRetryable(ErrMalformedSecret, fmt.Sprintf("secret %s is malformed: ", secretID)+fmt.Sprintf(format, args...))
}

// parseSecretJSON decodes key by key so that every error names the key and
// none quotes a value (encoding/json's syntax errors quote characters).
func parseSecretJSON(secretID, value string) (DBSecret, error) {
	var s DBSecret
	dec := json.NewDecoder(strings.NewReader(value))
	dec.UseNumber()
	if err := dec.Decode(&s.raw); err != nil || s.raw == nil {
		return s, malformed(secretID, "the secret string is not a JSON object")
	}
	if dec.More() {
		return s, malformed(secretID, "the secret string has data after its JSON object")
	}
	strs := []struct {
		key string
		dst *string
	}{
		{"engine", &s.Engine}, {"host", &s.Host}, {"username", &s.Username},
		{"password", &s.Password}, {"dbname", &s.DBName}, {"masterarn", &s.MasterARN},
		{"sslmode", &s.SSLMode}, {"sslrootcert", &s.SSLRootCert},
	}
	for _, f := range strs {
		v, err := stringKey(s.raw, f.key)
		if err != nil {
			return s, malformed(secretID, "key %q %v", f.key, err)
		}
		*f.dst = v
	}
	port, err := portKey(s.raw)
	if err != nil {
		return s, malformed(secretID, "key %q %v", "port", err)
	}
	s.Port = port
	if s.DBName == "" {
		s.DBName = "postgres"
	}
	if s.Engine != "" && !postgresEngines[strings.ToLower(s.Engine)] {
		return s, malformed(secretID, "key %q is %q: credstage rotates PostgreSQL only", "engine", s.Engine)
	}
	s.SSLMode = strings.ToLower(s.SSLMode)
	if s.SSLMode != "" && !sslModes[s.SSLMode] {
		return s, malformed(secretID, "key %q is %q: use disable, require, verify-ca or verify-full (prefer and allow fall back to plaintext silently)", "sslmode", s.SSLMode)
	}
	for _, f := range []struct{ key, val string }{{"username", s.Username}, {"password", s.Password}, {"host", s.Host}, {"dbname", s.DBName}} {
		if strings.ContainsRune(f.val, 0) {
			return s, malformed(secretID, "key %q contains a NUL byte", f.key)
		}
	}
	return s, nil
}

func stringKey(raw map[string]json.RawMessage, key string) (string, error) {
	v, ok := raw[key]
	if !ok || bytes.Equal(v, []byte("null")) {
		return "", nil
	}
	var out string
	if err := json.Unmarshal(v, &out); err != nil {
		return "", fmt.Errorf("must be a string")
	}
	return out, nil
}

func portKey(raw map[string]json.RawMessage) (int, error) {
	v, ok := raw["port"]
	if !ok || bytes.Equal(v, []byte("null")) {
		return defaultPort, nil
	}
	text := string(v)
	var str string
	if json.Unmarshal(v, &str) == nil {
		text = str
	}
	port, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil || port < 1 || port > 65535 {
		return 0, fmt.Errorf("must be a port number 1-65535")
	}
	return port, nil
}

// withCredentials is the JSON of a new version: this secret with another
// username and password, every other key (known or not) unchanged.
func (s DBSecret) withCredentials(username, password string) (string, error) {
	out := make(map[string]json.RawMessage, len(s.raw)+2)
	for k, v := range s.raw {
		out[k] = v
	}
	u, _ := json.Marshal(username)
	p, _ := json.Marshal(password)
	out["username"], out["password"] = u, p
	b, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("encode secret JSON: %w", err)
	}
	return string(b), nil
}

// effectiveSSLMode is the secret's sslmode or, when it has none,
// verify-full, loopback hosts included (localaws's instances serve TLS as
// RDS does). The one exception is a unix socket (a host that is a
// folder): PostgreSQL has no TLS there, and its bytes never leave the
// machine. The default is never prefer: that would fall back to plaintext
// silently.
func (s DBSecret) effectiveSSLMode() string {
	if s.SSLMode != "" {
		return s.SSLMode
	}
	if strings.HasPrefix(s.Host, "/") {
		return "disable"
	}
	return "verify-full"
}
