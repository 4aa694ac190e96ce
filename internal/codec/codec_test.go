package codec

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
)

func newKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func mustRing(t *testing.T, text string) *Keyring {
	t.Helper()
	r, err := ParseKeys("test keys", text)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func payloadOf(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const secretName = "production/orders/app"

func TestRoundTripHidesEverything(t *testing.T) {
	c := New(mustRing(t, "k1="+newKey(t)))
	in := []*commonpb.Payload{payloadOf(t, map[string]string{"secretId": secretName}), payloadOf(t, nil), payloadOf(t, []byte{0, 1, 2})}
	enc, err := c.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range enc {
		if got := string(p.Metadata[converter.MetadataEncoding]); got != EncodingEncrypted {
			t.Errorf("payload %d encoding %q", i, got)
		}
		if got := string(p.Metadata[MetadataKeyID]); got != "k1" {
			t.Errorf("payload %d key id %q", i, got)
		}
		if bytes.Contains(p.Data, []byte(secretName)) || bytes.Contains(p.Data, []byte("json/plain")) {
			t.Errorf("payload %d leaks its plaintext or its encoding", i)
		}
	}
	again, _ := c.Encode(in[:1])
	if bytes.Equal(again[0].Data, enc[0].Data) {
		t.Error("two encodings of one payload are identical: the nonce is not random")
	}
	dec, err := c.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if !bytes.Equal(dec[i].Data, in[i].Data) || string(dec[i].Metadata["encoding"]) != string(in[i].Metadata["encoding"]) {
			t.Errorf("payload %d did not round-trip: %v vs %v", i, dec[i], in[i])
		}
	}
	// Plain payloads (written before the codec was on) pass through.
	plain := payloadOf(t, "old")
	out, err := c.Decode([]*commonpb.Payload{plain})
	if err != nil || out[0] != plain {
		t.Fatalf("plain payload: %v %v", out, err)
	}
}

func TestKeyRotation(t *testing.T) {
	oldKey, newKeyText := "2026-01="+newKey(t), "2026-06="+newKey(t)
	before := New(mustRing(t, oldKey))
	sealed, err := before.Encode([]*commonpb.Payload{payloadOf(t, secretName)})
	if err != nil {
		t.Fatal(err)
	}
	// The new key goes first (it encrypts), the old one stays to decrypt.
	after := New(mustRing(t, newKeyText+","+oldKey))
	if after.ActiveKeyID() != "2026-06" {
		t.Fatalf("active key %s, want the first one", after.ActiveKeyID())
	}
	if _, err := after.Decode(sealed); err != nil {
		t.Fatalf("old payload after rotation: %v", err)
	}
	fresh, _ := after.Encode([]*commonpb.Payload{payloadOf(t, secretName)})
	if id := string(fresh[0].Metadata[MetadataKeyID]); id != "2026-06" {
		t.Errorf("new payloads sealed with %q", id)
	}
	// Dropping the old key makes its payloads unreadable, with a clear error.
	only := New(mustRing(t, newKeyText))
	_, err = only.Decode(sealed)
	if err == nil || !strings.Contains(err.Error(), `sealed with key "2026-01", which is not loaded (loaded: 2026-06)`) {
		t.Errorf("decode with a dropped key: %v", err)
	}
}

func TestTamperDetection(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	c := New(mustRing(t, "a="+k1+"\nb="+k2))
	sealed, err := c.Encode([]*commonpb.Payload{payloadOf(t, secretName)})
	if err != nil {
		t.Fatal(err)
	}
	tamper := func(f func(p *commonpb.Payload)) error {
		p := &commonpb.Payload{Metadata: map[string][]byte{}, Data: bytes.Clone(sealed[0].Data)}
		for k, v := range sealed[0].Metadata {
			p.Metadata[k] = bytes.Clone(v)
		}
		f(p)
		_, err := c.Decode([]*commonpb.Payload{p})
		return err
	}
	cases := map[string]func(p *commonpb.Payload){
		"flipped ciphertext bit": func(p *commonpb.Payload) { p.Data[len(p.Data)/2] ^= 1 },
		"flipped nonce bit":      func(p *commonpb.Payload) { p.Data[0] ^= 0x80 },
		"truncated":              func(p *commonpb.Payload) { p.Data = p.Data[:10] },
		"other key id":           func(p *commonpb.Payload) { p.Metadata[MetadataKeyID] = []byte("b") },
		"unknown cipher":         func(p *commonpb.Payload) { p.Metadata[MetadataCipher] = []byte("ROT13") },
	}
	for name, f := range cases {
		if err := tamper(f); err == nil {
			t.Errorf("%s: decoded without error", name)
		} else if strings.Contains(err.Error(), k1) || strings.Contains(err.Error(), k2) {
			t.Errorf("%s: error quotes a key", name)
		}
	}
	// A key of the same id but other bytes does not open it either.
	impostor := New(mustRing(t, "a="+newKey(t)))
	if _, err := impostor.Decode(sealed); err == nil || !strings.Contains(err.Error(), "does not authenticate") {
		t.Errorf("impostor key: %v", err)
	}
}

func TestParseKeysErrors(t *testing.T) {
	good := newKey(t)
	short := base64.StdEncoding.EncodeToString([]byte("only sixteen byt"))
	cases := map[string]string{
		"":                          "holds no key",
		"# only a comment\n\n":      "holds no key",
		"nokey":                     "entry 1 is not ID=BASE64KEY",
		"a=" + short:                "decodes to 16 bytes, want 32",
		"a=not base64!!":            "is not base64",
		"a=" + good + ",a=" + good:  `key id "a" appears twice`,
		"bad id=" + good:            `key id "bad id"`,
		"-x=" + good:                `key id "-x"`,
		"a=" + good + "\nb=" + good: "",
	}
	for text, want := range cases {
		_, err := ParseKeys("test keys", text)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", text, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: error %v, want %q", text, err, want)
		case err != nil && strings.Contains(err.Error(), good):
			t.Errorf("%q: the error quotes the key", text)
		}
	}
	// URL alphabet without padding works too.
	raw := make([]byte, KeySize)
	raw[0] = 0xfb
	if _, err := ParseKeys("t", "u="+base64.RawURLEncoding.EncodeToString(raw)); err != nil {
		t.Errorf("raw URL base64: %v", err)
	}
}

func TestLoad(t *testing.T) {
	ring, err := Load("", "")
	if ring != nil || err != nil {
		t.Fatalf("nothing configured: %v %v", ring, err)
	}
	path := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(path, []byte("# rotated 2026-06\nnew="+newKey(t)+"\nold="+newKey(t)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ring, err = Load(path, "")
	if err != nil || ring.Active() != "new" || len(ring.IDs()) != 2 {
		t.Fatalf("file: %v %v", ring, err)
	}
	if _, err := Load(path, "x="+newKey(t)); err == nil || !strings.Contains(err.Error(), "give one") {
		t.Errorf("both: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing"), ""); err == nil || !strings.Contains(err.Error(), "codec key file") {
		t.Errorf("missing file: %v", err)
	}
	ring, err = Load("", " env="+newKey(t)+" ")
	if err != nil || ring.Active() != "env" {
		t.Errorf("env keys: %v %v", ring, err)
	}
}

func TestFailureConverterHidesMessages(t *testing.T) {
	c := New(mustRing(t, "k="+newKey(t)))
	fc := c.FailureConverter()
	f := fc.ErrorToFailure(errorString("secret " + secretName + ": DescribeSecret failed"))
	raw, err := protojson.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(secretName)) {
		t.Errorf("the failure sent to the server names the secret: %s", raw)
	}
	back := fc.FailureToError(f)
	if !strings.Contains(back.Error(), secretName) {
		t.Errorf("decoded failure lost its message: %v", back)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestHTTPHandler(t *testing.T) {
	c := New(mustRing(t, "k="+newKey(t)))
	srv := httptest.NewServer(NewHTTPHandler(c, HTTPOptions{AllowedOrigins: []string{"http://localhost:8233"}, AuthToken: "s3cret-token"}))
	defer srv.Close()
	sealed, err := c.Encode([]*commonpb.Payload{payloadOf(t, map[string]string{"secretId": secretName})})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: sealed})

	post := func(path, origin, auth string, body []byte) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Namespace", "default")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	// Authorized call from the UI's origin: decoded, CORS allowed.
	resp := post("/decode", "http://localhost:8233", "Bearer s3cret-token", body)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("decode: %d %s", resp.StatusCode, b)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "http://localhost:8233" {
		t.Errorf("CORS origin %q", got)
	}
	raw, _ := io.ReadAll(resp.Body)
	var out commonpb.Payloads
	if err := protojson.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer is not Payloads JSON: %v: %s", err, raw)
	}
	var decoded map[string]string
	if err := json.Unmarshal(out.Payloads[0].Data, &decoded); err != nil || decoded["secretId"] != secretName {
		t.Errorf("decoded %s (%v)", out.Payloads[0].Data, err)
	}

	// Encode through the endpoint, then decode locally.
	plainBody, _ := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{payloadOf(t, "hello")}})
	resp = post("/api/encode", "", "Bearer s3cret-token", plainBody)
	raw, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || protojson.Unmarshal(raw, &out) != nil {
		t.Fatalf("encode: %d %s", resp.StatusCode, raw)
	}
	if back, err := c.Decode(out.Payloads); err != nil || string(back[0].Data) != `"hello"` {
		t.Errorf("encode endpoint: %v %v", back, err)
	}

	// No token, a wrong token, another scheme: 401, nothing decoded.
	for _, auth := range []string{"", "Bearer wrong", "Basic s3cret-token", "Bearer s3cret-token-and-more"} {
		resp := post("/decode", "http://localhost:8233", auth, body)
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusUnauthorized || bytes.Contains(raw, []byte(secretName)) {
			t.Errorf("auth %q: %d %s", auth, resp.StatusCode, raw)
		}
	}
	// Another origin gets no CORS grant.
	resp = post("/decode", "http://evil.example", "Bearer s3cret-token", body)
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("CORS granted to another origin: %q", got)
	}
	// Preflight: allowed without credentials, lists the headers the UI sends.
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/decode", nil)
	req.Header.Set("Origin", "http://localhost:8233")
	req.Header.Set("Access-Control-Request-Method", "POST")
	pre, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pre.Body.Close()
	if pre.StatusCode != http.StatusNoContent || !strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "X-Namespace") ||
		!strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", pre.StatusCode, pre.Header)
	}
	// Garbage and wrong methods are refused.
	if resp := post("/decode", "", "Bearer s3cret-token", []byte("{not json")); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("garbage body: %d", resp.StatusCode)
	}
	if resp := post("/other", "", "Bearer s3cret-token", body); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown path: %d", resp.StatusCode)
	}
	get, err := http.Get(srv.URL + "/decode")
	if err != nil {
		t.Fatal(err)
	}
	get.Body.Close()
	if get.StatusCode != http.StatusNotFound {
		t.Errorf("GET: %d", get.StatusCode)
	}
}
