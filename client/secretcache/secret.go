package secretcache

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Secret is one version of an RDS database secret, the JSON that RDS and
// credstage write:
//
//	{"engine":"postgres","host":"...","port":5432,"username":"...",
//	 "password":"...","dbname":"..."}
//
// String and GoString leave the password out, so printing a Secret by
// mistake leaks nothing.
type Secret struct {
	Engine   string
	Host     string
	Port     int
	Username string
	Password string
	DBName   string
	// SSLMode and SSLRootCert are the optional TLS keys of the secret.
	SSLMode     string
	SSLRootCert string
	// VersionID is the Secrets Manager version the value came from.
	VersionID string
	// Stale, when not nil, says the value could not be checked (the
	// error): it is the last good one, which may have been rotated since.
	Stale error
	// Raw holds every key of the secret, the ones above included.
	Raw map[string]json.RawMessage
}

func (s Secret) String() string {
	return fmt.Sprintf("%q@%s:%d/%s (version %s)", s.Username, s.Host, s.Port, s.DBName, s.VersionID)
}

// GoString keeps %#v from printing the password.
func (s Secret) GoString() string { return "secretcache.Secret(" + s.String() + ")" }

// Value is one version as GetSecretValue answers it. Its String leaves the
// secret out.
type Value struct {
	ARN, Name, VersionID string
	SecretString         string
	SecretBinary         []byte
	VersionStages        []string
	CreatedDate          time.Time
	// Stale, when not nil, says the value could not be checked (the error).
	Stale error
}

func (v Value) String() string { return fmt.Sprintf("%s (version %s)", v.Name, v.VersionID) }

// GoString keeps %#v from printing the secret.
func (v Value) GoString() string { return "secretcache.Value(" + v.String() + ")" }

func valueOf(out *secretsmanager.GetSecretValueOutput) Value {
	return Value{ARN: aws.ToString(out.ARN), Name: aws.ToString(out.Name), VersionID: aws.ToString(out.VersionId),
		SecretString: aws.ToString(out.SecretString), SecretBinary: out.SecretBinary,
		VersionStages: out.VersionStages, CreatedDate: aws.ToTime(out.CreatedDate)}
}

// parse reads a database secret's JSON. Errors name the secret and the
// key, never a value.
func parse(secretID string, v Value) (Secret, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v.SecretString), &raw); err != nil {
		return Secret{}, fmt.Errorf("secretcache: secret %s is not a JSON object", secretID)
	}
	s := Secret{VersionID: v.VersionID, Raw: raw}
	for key, dst := range map[string]*string{"engine": &s.Engine, "host": &s.Host, "username": &s.Username,
		"password": &s.Password, "dbname": &s.DBName, "sslmode": &s.SSLMode, "sslrootcert": &s.SSLRootCert} {
		if v, ok := raw[key]; ok {
			if err := json.Unmarshal(v, dst); err != nil {
				return Secret{}, fmt.Errorf("secretcache: secret %s: key %q is not a string", secretID, key)
			}
		}
	}
	if v, ok := raw["port"]; ok {
		var n json.Number
		if err := json.Unmarshal(v, &n); err != nil {
			var text string
			if json.Unmarshal(v, &text) != nil {
				return Secret{}, fmt.Errorf("secretcache: secret %s: key %q is not a number", secretID, "port")
			}
			n = json.Number(text)
		}
		p, err := strconv.Atoi(n.String())
		if err != nil || p <= 0 || p > 65535 {
			return Secret{}, fmt.Errorf("secretcache: secret %s: key %q is not a port number", secretID, "port")
		}
		s.Port = p
	}
	return s, nil
}
