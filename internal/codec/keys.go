package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Keys are written one per entry as ID=KEY, KEY being 32 random bytes in
// base64 (standard or URL alphabet, padded or not), e.g.
//
//	# credstage payload keys: the first one encrypts
//	2026-06=q3o0...=
//	2026-01=Zm9v...=
//
// Entries are separated by newlines (a key file) or commas (the
// CREDSTAGE_CODEC_KEYS variable); blank lines and lines starting with #
// are ignored. The first key is the active one. Make a key with
// `head -c 32 /dev/urandom | base64`.

// Environment variables and the flag that configure the codec; the CLI
// and the worker read the same ones.
const (
	EnvKeyFile = "CREDSTAGE_CODEC_KEY_FILE"
	EnvKeys    = "CREDSTAGE_CODEC_KEYS"
)

// KeySize is AES-256's key length.
const KeySize = 32

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ParseKeys reads keys from text (see above). where names the source for
// errors ("key file /etc/credstage/keys", "CREDSTAGE_CODEC_KEYS"); errors
// never quote a key.
func ParseKeys(where, text string) (*Keyring, error) {
	ring := &Keyring{keys: map[string]cipher.AEAD{}}
	entries := strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == ',' })
	for n, raw := range entries {
		entry := strings.TrimSpace(raw)
		if entry == "" || strings.HasPrefix(entry, "#") {
			continue
		}
		id, encoded, ok := strings.Cut(entry, "=")
		id, encoded = strings.TrimSpace(id), strings.TrimSpace(encoded)
		if !ok || encoded == "" {
			return nil, fmt.Errorf("%s: entry %d is not ID=BASE64KEY", where, n+1)
		}
		if !keyIDPattern.MatchString(id) {
			return nil, fmt.Errorf("%s: key id %q: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", where, id)
		}
		if _, dup := ring.keys[id]; dup {
			return nil, fmt.Errorf("%s: key id %q appears twice", where, id)
		}
		secret, err := decodeKey(encoded)
		if err != nil {
			return nil, fmt.Errorf("%s: key %q: %v", where, id, err)
		}
		block, err := aes.NewCipher(secret)
		if err != nil {
			return nil, fmt.Errorf("%s: key %q: %v", where, id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%s: key %q: %v", where, id, err)
		}
		ring.keys[id] = aead
		ring.order = append(ring.order, id)
	}
	if len(ring.order) == 0 {
		return nil, fmt.Errorf("%s holds no key (want ID=BASE64KEY entries; make a key with: head -c 32 /dev/urandom | base64)", where)
	}
	ring.active = ring.order[0]
	return ring, nil
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("decodes to %d bytes, want %d (AES-256)", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, errors.New("is not base64")
}

// Load builds the keyring from a key file or from the keys themselves (the
// value of CREDSTAGE_CODEC_KEYS); nil, nil when neither is given (no
// encryption). Both at once is refused: which key is active would be a
// guess.
func Load(keyFile, keys string) (*Keyring, error) {
	switch {
	case keyFile != "" && strings.TrimSpace(keys) != "":
		return nil, fmt.Errorf("codec keys come from both --codec-key-file (%s) and %s: give one", EnvKeyFile, EnvKeys)
	case keyFile != "":
		data, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("codec key file: %w", err)
		}
		return ParseKeys("codec key file "+keyFile, string(data))
	case strings.TrimSpace(keys) != "":
		return ParseKeys(EnvKeys, keys)
	}
	return nil, nil
}
