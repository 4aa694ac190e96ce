package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeSecret is one secret of fakeSM: metadata only, there is no value.
type fakeSecret struct {
	Name            string
	Tags            map[string]string
	OwningService   string
	RotationEnabled bool
	Pending         bool // an AWSPENDING left on a version of its own
}

// fakeSM speaks just enough of Secrets Manager's awsJson1_1 protocol for
// the metadata calls plan validation makes, through the real SDK client
// (AWS_ENDPOINT_URL), and records every operation asked for so tests can
// prove nothing else (no GetSecretValue, no write) ever happened.
type fakeSM struct {
	*httptest.Server
	mu      sync.Mutex
	secrets map[string]fakeSecret
	ops     []string
}

func newFakeSM(t *testing.T, secrets ...fakeSecret) *fakeSM {
	f := &fakeSM{secrets: map[string]fakeSecret{}}
	for _, s := range secrets {
		f.secrets[s.Name] = s
	}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSM) env() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL":          f.URL,
		"AWS_REGION":                "us-east-1",
		"AWS_ACCESS_KEY_ID":         "test",
		"AWS_SECRET_ACCESS_KEY":     "test",
		"AWS_EC2_METADATA_DISABLED": "true",
	}
}

func (f *fakeSM) operations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ops...)
}

func arnOf(name string) string {
	return "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + name + "-AbCdEf"
}

func (f *fakeSM) serve(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.")
	f.mu.Lock()
	f.ops = append(f.ops, op)
	f.mu.Unlock()
	var in map[string]any
	_ = json.NewDecoder(r.Body).Decode(&in)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch op {
	case "DescribeSecret":
		id, _ := in["SecretId"].(string)
		name := id
		if strings.HasPrefix(id, "arn:") {
			name = strings.TrimSuffix(id[strings.Index(id, ":secret:")+len(":secret:"):], "-AbCdEf")
		}
		s, ok := f.secrets[name]
		if !ok {
			w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": "ResourceNotFoundException", "message": "Secrets Manager can't find the specified secret."})
			return
		}
		_ = json.NewEncoder(w).Encode(describe(s))
	case "ListSecrets":
		var list []map[string]any
		for _, s := range f.secrets {
			list = append(list, describe(s))
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"SecretList": list})
	default:
		w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": "AccessDeniedException", "message": "not in this fake"})
	}
}

func describe(s fakeSecret) map[string]any {
	var tags []map[string]string
	for k, v := range s.Tags {
		tags = append(tags, map[string]string{"Key": k, "Value": v})
	}
	versions := map[string][]string{"v-current": {"AWSCURRENT"}, "v-previous": {"AWSPREVIOUS"}}
	if s.Pending {
		versions["v-stale"] = []string{"AWSPENDING"}
	}
	out := map[string]any{"ARN": arnOf(s.Name), "Name": s.Name, "Tags": tags, "VersionIdsToStages": versions, "RotationEnabled": s.RotationEnabled}
	if s.OwningService != "" {
		out["OwningService"] = s.OwningService
	}
	return out
}
