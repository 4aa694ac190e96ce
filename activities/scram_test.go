package activities

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"strings"
	"testing"
)

// testVerifier builds a PostgreSQL SCRAM-SHA-256 verifier from first
// principles (RFC 5802 §3 with SHA-256 per RFC 7677), independently of the
// code under test: Hi() is written out as the RFC defines it.
func testVerifier(password string, salt []byte, iterations int) string {
	mac := func(key []byte, msg []byte) []byte {
		var h hash.Hash = hmac.New(sha256.New, key)
		h.Write(msg)
		return h.Sum(nil)
	}
	// Hi(str, salt, i): U1 = HMAC(str, salt + INT(1)), Ui = HMAC(str, Ui-1), result = U1 ^ ... ^ Ui
	u := mac([]byte(password), append(append([]byte{}, salt...), 0, 0, 0, 1))
	salted := append([]byte{}, u...)
	for i := 1; i < iterations; i++ {
		u = mac([]byte(password), u)
		for j := range salted {
			salted[j] ^= u[j]
		}
	}
	clientKey := mac(salted, []byte("Client Key"))
	stored := sha256.Sum256(clientKey)
	serverKey := mac(salted, []byte("Server Key"))
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, b64(salt), b64(stored[:]), b64(serverKey))
}

func TestSCRAMMatchesIndependentVerifier(t *testing.T) {
	salt := []byte("0123456789abcdef")
	for _, pw := range []string{"pencil", "aZ9!#%&()*+,-.;<=>?[]^_`{|}~", "with space"} {
		v := testVerifier(pw, salt, 4096)
		if match, ok := scramMatches(v, pw); !match || !ok {
			t.Errorf("%q: match %v ok %v", pw, match, ok)
		}
		if match, ok := scramMatches(v, pw+"x"); match || !ok {
			t.Errorf("%q+x: match %v ok %v", pw, match, ok)
		}
	}
	// A verifier made by the code under test checks out against the
	// independent implementation with the same salt.
	v, err := makeSCRAMVerifier("pencil")
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := parseSCRAMVerifier(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := testVerifier("pencil", parsed.salt, parsed.iterations); v != want {
		t.Fatalf("makeSCRAMVerifier = %s, independent = %s", v, want)
	}
}

// TestSCRAMRFC7677Vector checks the keys against the worked example of RFC
// 7677 §3: the server signature derived from ServerKey must be the one the
// RFC's server sends.
func TestSCRAMRFC7677Vector(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	stored, server, err := scramKeys("pencil", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	authMessage := "n=user,r=rOprNGfwEbeRWgbNEkqO," +
		"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096," +
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	if got := base64.StdEncoding.EncodeToString(hmacSHA256(server, authMessage)); got != "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" {
		t.Fatalf("server signature %s", got)
	}
	// ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage); and
	// StoredKey = H(ClientKey), so recover ClientKey from the RFC's proof.
	proof, _ := base64.StdEncoding.DecodeString("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
	sig := hmacSHA256(stored, authMessage)
	clientKey := make([]byte, len(proof))
	for i := range proof {
		clientKey[i] = proof[i] ^ sig[i]
	}
	if sum := sha256.Sum256(clientKey); !hmac.Equal(sum[:], stored) {
		t.Fatal("StoredKey does not match the RFC's client proof")
	}
}

func TestSCRAMUnknowable(t *testing.T) {
	v := testVerifier("pencil", []byte("salt"), 4096)
	for _, tc := range []struct{ verifier, password string }{
		{"md5" + strings.Repeat("0", 32), "pencil"},
		{"SCRAM-SHA-256$x:c2FsdA==$AAAA:AAAA", "pencil"},
		{"SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA", "pencil"},
		{"SCRAM-SHA-256$99999999999:c2FsdA==$" + strings.Repeat("A", 43) + "=:" + strings.Repeat("A", 43) + "=", "pencil"},
		{"", "pencil"},
		{v, "pëncil"}, // SASLprep territory: cannot tell, never a wrong "no"
	} {
		if match, ok := scramMatches(tc.verifier, tc.password); match || ok {
			t.Errorf("%q: match %v ok %v, want unknown", tc.verifier, match, ok)
		}
	}
}
