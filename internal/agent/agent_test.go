package agent

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/credstage/credstage/client/secretcache"
	"github.com/credstage/credstage/tests/stack"
)

const token = "agent-test-token"

// startAgent serves the agent over localaws.
func startAgent(t *testing.T, check time.Duration) (*httptest.Server, *secretsmanager.Client) {
	t.Helper()
	aws := stack.StartLocalAWS(t)
	sm := secretsmanager.NewFromConfig(aws.Config)
	srv, err := New(secretcache.New(sm, secretcache.Options{CheckInterval: check}), token, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := httptest.NewServer(srv)
	t.Cleanup(h.Close)
	return h, sm
}

func get(t *testing.T, h *httptest.Server, path string, headers map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.URL+path, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var withToken = map[string]string{"X-Aws-Parameters-Secrets-Token": token}

// TestAgentAPI: the AWS agent's API, its refusals and its answers, over
// localaws; a rotation is served within the check interval.
func TestAgentAPI(t *testing.T) {
	const check = 300 * time.Millisecond
	h, sm := startAgent(t, check)
	ctx := context.Background()
	out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("staging/orders/app"), SecretString: aws.String(`{"password":"first-value-1"}`)})
	if err != nil {
		t.Fatal(err)
	}

	refusals := []struct {
		name, method, path string
		headers            map[string]string
		status             int
		body               string
	}{
		{"no token", "GET", "/secretsmanager/get?secretId=staging/orders/app", nil, 403, "Bad Token"},
		{"wrong token", "GET", "/secretsmanager/get?secretId=staging/orders/app", map[string]string{"X-Aws-Parameters-Secrets-Token": "nope"}, 403, "Bad Token"},
		{"forwarded", "GET", "/secretsmanager/get?secretId=staging/orders/app", map[string]string{"X-Aws-Parameters-Secrets-Token": token, "X-Forwarded-For": "10.0.0.1"}, 400, "Forwarded"},
		{"not a GET", "POST", "/secretsmanager/get?secretId=staging/orders/app", withToken, 405, "Not allowed"},
		{"unknown parameter", "GET", "/secretsmanager/get?secretId=x&SecretId=y", withToken, 400, "unknown parameter: SecretId"},
		{"missing secretId", "GET", "/secretsmanager/get", withToken, 400, "missing parameter secretId"},
		{"bad refreshNow", "GET", "/secretsmanager/get?secretId=x&refreshNow=yes", withToken, 400, "invalid refreshNow value"},
		{"empty path id", "GET", "/v1/", withToken, 400, "missing secret ID"},
		{"other path", "GET", "/secrets", withToken, 404, "Not found"},
	}
	for _, r := range refusals {
		req, _ := http.NewRequest(r.method, h.URL+r.path, nil)
		for k, v := range r.headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != r.status || string(b) != r.body {
			t.Errorf("%s: %d %q, want %d %q", r.name, resp.StatusCode, b, r.status, r.body)
		}
	}
	if status, body := get(t, h, "/ping", nil); status != 200 || body != "healthy" {
		t.Errorf("ping: %d %q", status, body)
	}

	read := func(path string, headers map[string]string) getSecretValueOutput {
		t.Helper()
		status, body := get(t, h, path, headers)
		var v getSecretValueOutput
		if status != 200 || json.Unmarshal([]byte(body), &v) != nil {
			t.Fatalf("GET %s: %d %.200s", path, status, body)
		}
		return v
	}
	v := read("/secretsmanager/get?secretId=staging/orders/app", withToken)
	if v.ARN != aws.ToString(out.ARN) || v.Name != "staging/orders/app" || v.VersionID != aws.ToString(out.VersionId) ||
		aws.ToString(v.SecretString) != `{"password":"first-value-1"}` || len(v.VersionStages) != 1 || v.CreatedDate == nil {
		t.Fatalf("answer %+v", v)
	}
	if p := read("/v1/staging/orders/app", map[string]string{"X-Vault-Token": token}); p.VersionID != v.VersionID {
		t.Fatalf("path form: %+v", p)
	}
	if status, body := get(t, h, "/secretsmanager/get?secretId=staging/none", withToken); status != 400 || !strings.Contains(body, `"__type":"ResourceNotFoundException"`) {
		t.Fatalf("unknown secret: %d %s", status, body)
	}

	// A rotation: a new AWSCURRENT is served within the check interval,
	// and at once with refreshNow.
	put, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("staging/orders/app"), SecretString: aws.String(`{"password":"second-value-2"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if now := read("/secretsmanager/get?secretId=staging/orders/app&refreshNow=true", withToken); now.VersionID != aws.ToString(put.VersionId) {
		t.Fatalf("refreshNow served %s", now.VersionID)
	}
	third, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("staging/orders/app"), SecretString: aws.String(`{"password":"third-value-3"}`)})
	if err != nil {
		t.Fatal(err)
	}
	moved := time.Now()
	for read("/secretsmanager/get?secretId=staging/orders/app", withToken).VersionID != aws.ToString(third.VersionId) {
		if time.Since(moved) > check+time.Second {
			t.Fatalf("the rotation was not served %v after it", time.Since(moved))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if prev := read("/secretsmanager/get?secretId=staging/orders/app&versionStage=AWSPREVIOUS", withToken); prev.VersionID != aws.ToString(put.VersionId) {
		t.Fatalf("AWSPREVIOUS: %s", prev.VersionID)
	}
	if byID := read("/secretsmanager/get?secretId=staging/orders/app&versionId="+v.VersionID, withToken); aws.ToString(byID.SecretString) != `{"password":"first-value-1"}` {
		t.Fatalf("by version id: %+v", byID)
	}

	status, metrics := get(t, h, "/metrics", withToken)
	if status != 200 || !strings.Contains(metrics, `credstage_agent_secret_version{secret="staging/orders/app",version="`+aws.ToString(third.VersionId)+`"} 1`) ||
		!strings.Contains(metrics, "credstage_agent_hits_total") {
		t.Fatalf("metrics: %d\n%s", status, metrics)
	}
	for _, pw := range []string{"first-value-1", "second-value-2", "third-value-3"} {
		if strings.Contains(metrics, pw) {
			t.Fatalf("metrics hold a secret value")
		}
	}
	if status, _ := get(t, h, "/metrics", nil); status != 403 {
		t.Fatalf("metrics without the token: %d", status)
	}
}

func TestLoadToken(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"AWS_TOKEN first":        {map[string]string{"AWS_TOKEN": "a", "AWS_SESSION_TOKEN": "b"}, "a"},
		"then AWS_SESSION_TOKEN": {map[string]string{"AWS_SESSION_TOKEN": "b", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "c"}, "b"},
		"then the container's":   {map[string]string{"AWS_CONTAINER_AUTHORIZATION_TOKEN": "c"}, "c"},
		"a file":                 {map[string]string{"AWS_TOKEN": "file://" + file}, "from-file"},
	} {
		got, err := LoadToken(func(k string) string { return tc.env[k] })
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
	if _, err := LoadToken(func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "AWS_TOKEN") {
		t.Errorf("no token: %v", err)
	}
	if _, err := LoadToken(func(k string) string { return map[string]string{"AWS_TOKEN": "file:///no/such"}[k] }); err == nil {
		t.Error("a missing token file must be an error")
	}
}
