package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/credstage/credstage/internal/codec"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestCodecServer runs `credstage codec-server` in-process and calls it as
// the Web UI would: an authorized decode from the UI's origin works, an
// unauthorized one is refused, and interrupting the command stops it.
func TestCodecServer(t *testing.T) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	keys := "k1=" + base64.StdEncoding.EncodeToString(key)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("ui-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{codec.EnvKeys: keys}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"codec-server", "--listen", "127.0.0.1:0", "--web-ui-origin", "http://localhost:8233", "--auth-token-file", tokenFile},
			&stdout, &stderr, func(k string) string { return env[k] })
	}()
	addr := regexp.MustCompile(`listening on (http://\S+)`)
	var endpoint string
	for deadline := time.Now().Add(10 * time.Second); endpoint == ""; {
		if m := addr.FindStringSubmatch(stdout.String()); m != nil {
			endpoint = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no endpoint printed: %q %q", stdout.String(), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(stdout.String(), "authorization: bearer token required") || !strings.Contains(stdout.String(), "active key:    k1") {
		t.Errorf("banner: %s", stdout.String())
	}

	ring, _ := codec.ParseKeys("t", keys)
	p, _ := converter.GetDefaultDataConverter().ToPayload("staging/orders/app")
	sealed, _ := codec.New(ring).Encode([]*commonpb.Payload{p})
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: sealed})
	decode := func(auth string) (int, string, http.Header) {
		req, _ := http.NewRequest(http.MethodPost, endpoint+"/decode", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "http://localhost:8233")
		req.Header.Set("X-Namespace", "default")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	code, out, hdr := decode("Bearer ui-token")
	if code != http.StatusOK || !strings.Contains(out, base64.StdEncoding.EncodeToString([]byte(`"staging/orders/app"`))) {
		t.Errorf("authorized decode: %d %s", code, out)
	}
	if hdr.Get("Access-Control-Allow-Origin") != "http://localhost:8233" {
		t.Errorf("CORS: %v", hdr)
	}
	if code, out, _ := decode(""); code != http.StatusUnauthorized || strings.Contains(out, "orders") {
		t.Errorf("unauthorized decode: %d %s", code, out)
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("exit %d after interrupt: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("codec-server did not stop when interrupted")
	}
}

func TestCodecServerBadInput(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, nil, "no payload keys"},
		{map[string]string{codec.EnvKeys: "k=short"}, nil, "is not base64"},
		{map[string]string{codec.EnvKeys: "k=" + key}, []string{"--web-ui-origin", "localhost:8233"}, "want scheme://host[:port]"},
		{map[string]string{codec.EnvKeys: "k=" + key}, []string{"--listen", "256.0.0.1:1"}, "cannot listen on 256.0.0.1:1"},
		{map[string]string{codec.EnvKeys: "k=" + key, envCodecAuthToken: "t"}, []string{"--auth-token-file", "/nonexistent"}, "give one"},
		{map[string]string{codec.EnvKeys: "k=" + key}, []string{"--auth-token-file", "/nonexistent/token"}, "--auth-token-file"},
	} {
		r := run(t, c.env, append([]string{"codec-server", "--listen", "127.0.0.1:0"}, c.args...)...)
		if r.code != ExitBadInput || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v %v: want exit 2 naming %q, got %s", c.env, c.args, c.want, r)
		}
		if strings.Contains(r.stderr, key) {
			t.Errorf("the error quotes a key")
		}
	}
}
