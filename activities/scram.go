package activities

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// PostgreSQL stores a SCRAM-SHA-256 password as
//
//	SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
//
// (base64, RFC 5802/7677). Checking a password against it needs no login,
// which lets the set step find out over the pooled master connection
// whether the database already holds the pending password. Building one
// lets credstage send ALTER ROLE the verifier instead of the password, so
// the plaintext never reaches the server's memory, logs or
// pg_stat_activity.

const (
	scramPrefix     = "SCRAM-SHA-256$"
	scramIterations = 4096 // PostgreSQL's scram_iterations default
	scramMaxIter    = 10_000_000
)

var errNotSCRAM = errors.New("not a SCRAM-SHA-256 verifier")

type scramVerifier struct {
	iterations int
	salt       []byte
	storedKey  []byte
	serverKey  []byte
}

func parseSCRAMVerifier(v string) (scramVerifier, error) {
	var out scramVerifier
	rest, ok := strings.CutPrefix(v, scramPrefix)
	if !ok {
		return out, errNotSCRAM
	}
	iterSalt, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return out, errNotSCRAM
	}
	iter, salt, ok1 := strings.Cut(iterSalt, ":")
	stored, server, ok2 := strings.Cut(keys, ":")
	if !ok1 || !ok2 {
		return out, errNotSCRAM
	}
	n, err := strconv.Atoi(iter)
	if err != nil || n < 1 || n > scramMaxIter {
		return out, errNotSCRAM
	}
	out.iterations = n
	dec := base64.StdEncoding.DecodeString
	if out.salt, err = dec(salt); err != nil || len(out.salt) == 0 {
		return out, errNotSCRAM
	}
	if out.storedKey, err = dec(stored); err != nil || len(out.storedKey) != sha256.Size {
		return out, errNotSCRAM
	}
	if out.serverKey, err = dec(server); err != nil || len(out.serverKey) != sha256.Size {
		return out, errNotSCRAM
	}
	return out, nil
}

// scramASCII reports whether SASLprep leaves password unchanged, which is
// the case for printable ASCII; only then do the functions here compute
// what PostgreSQL computes.
func scramASCII(password string) bool {
	for i := 0; i < len(password); i++ {
		if password[i] < 0x20 || password[i] >= 0x7f {
			return false
		}
	}
	return true
}

func scramKeys(password string, salt []byte, iterations int) (storedKey, serverKey []byte, err error) {
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return nil, nil, err
	}
	clientKey := hmacSHA256(salted, "Client Key")
	sk := sha256.Sum256(clientKey)
	return sk[:], hmacSHA256(salted, "Server Key"), nil
}

// scramMatches reports whether password is the one verifier was made from.
// ok is false when the answer cannot be known (not a SCRAM verifier, or a
// password SASLprep would change).
func scramMatches(verifier, password string) (match, ok bool) {
	v, err := parseSCRAMVerifier(verifier)
	if err != nil || !scramASCII(password) {
		return false, false
	}
	stored, server, err := scramKeys(password, v.salt, v.iterations)
	if err != nil {
		return false, false
	}
	match = subtle.ConstantTimeCompare(stored, v.storedKey) == 1 &&
		subtle.ConstantTimeCompare(server, v.serverKey) == 1
	return match, true
}

// makeSCRAMVerifier builds the verifier PostgreSQL would store for
// password, with a fresh random salt.
func makeSCRAMVerifier(password string) (string, error) {
	if !scramASCII(password) {
		return "", errors.New("SCRAM verifier needs a printable ASCII password")
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	stored, server, err := scramKeys(password, salt, scramIterations)
	if err != nil {
		return "", err
	}
	b64 := base64.StdEncoding.EncodeToString
	return scramPrefix + strconv.Itoa(scramIterations) + ":" + b64(salt) + "$" + b64(stored) + ":" + b64(server), nil
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
