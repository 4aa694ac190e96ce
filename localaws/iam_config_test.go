package localaws

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLoadIAMConfig reads the documented format, with policy files
// relative to the config's folder, and enforces what it says.
func TestLoadIAMConfig(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "policies", "rds.json"), string(policy(allowAllRDS)))
	writeFile(t, filepath.Join(dir, "iam.json"), `{"principals": [{
		"arn": "`+workerARN+`", "accessKeyId": "`+workerKey+`", "secretAccessKey": "`+workerSecret+`",
		"policies": [`+string(policy(`{"Effect":"Allow","Action":"secretsmanager:ListSecrets","Resource":"*"}`))+`],
		"policyFiles": ["policies/rds.json"]}]}`)
	cfg, err := LoadIAMConfig(filepath.Join(dir, "iam.json"))
	if err != nil {
		t.Fatalf("LoadIAMConfig: %v", err)
	}
	if got := cfg.Principals[0].PolicyFiles[0]; got != filepath.Join(dir, "policies", "rds.json") {
		t.Fatalf("policy file resolved to %s", got)
	}
	ids, err := cfg.compile()
	if err != nil || len(ids[workerKey].policies) != 2 {
		t.Fatalf("compiled %v, %v: want the inline policy and the file", ids, err)
	}
	// The loaded config is what a server enforces.
	if err := os.Remove(filepath.Join(dir, "policies", "rds.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Ephemeral: true, IAM: cfg}); err == nil || !strings.Contains(err.Error(), "principal "+workerARN) {
		t.Fatalf("New with a policy file gone: %v", err)
	}
}

// TestLoadIAMConfigErrors: each mistake is refused, naming the principal
// and the cause.
func TestLoadIAMConfigErrors(t *testing.T) {
	good := func(arn, key string) string {
		return `{"arn":"` + arn + `","accessKeyId":"` + key + `","secretAccessKey":"s","policies":[` + string(policy(allowAllSM)) + `]}`
	}
	withPolicy := func(p string) string {
		return `{"principals":[{"arn":"` + workerARN + `","accessKeyId":"K","secretAccessKey":"s","policies":[` + p + `]}]}`
	}
	cases := []struct{ name, config, want string }{
		{"duplicate key", `{"principals":[` + good(workerARN, "K") + `,` + good(readerARN, "K") + `]}`,
			"principal " + readerARN + ": access key K is already the key of " + workerARN},
		{"bad policy JSON", withPolicy(`{"Statement":[}`), "invalid character"},
		{"unknown Effect", withPolicy(`{"Statement":[{"Effect":"Permit","Action":"*","Resource":"*"}]}`),
			"principal " + workerARN + `: policies[0]: statement 1: unknown Effect "Permit"`},
		{"missing Action", withPolicy(`{"Statement":[{"Effect":"Allow","Resource":"*"}]}`), "missing Action"},
		{"missing Resource", withPolicy(`{"Statement":[{"Effect":"Allow","Action":"*"}]}`), "missing Resource"},
		{"missing secret", `{"principals":[{"arn":"` + workerARN + `","accessKeyId":"K"}]}`, "secretAccessKey is required"},
		{"missing key", `{"principals":[{"arn":"` + workerARN + `","secretAccessKey":"s"}]}`, "accessKeyId is required"},
		{"bad ARN", `{"principals":[{"arn":"arn:aws:iam::123:user/x","accessKeyId":"K","secretAccessKey":"s"}]}`, "is not arn:aws:iam::"},
		{"missing policy file", `{"principals":[{"arn":"` + workerARN + `","accessKeyId":"K","secretAccessKey":"s","policyFiles":["nope.json"]}]}`,
			"principal " + workerARN + ": policy file"},
		{"unknown field", `{"principals":[{"arn":"` + workerARN + `","accessKey":"K"}]}`, `unknown field "accessKey"`},
	}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), "iam.json")
		writeFile(t, path, c.config)
		_, err := LoadIAMConfig(path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
	// A config built in Go is checked the same way.
	bad := &IAMConfig{Principals: []IAMPrincipal{{ARN: workerARN, AccessKeyID: "K", SecretAccessKey: "s",
		Policies: []json.RawMessage{json.RawMessage(`{"Statement":{"Effect":"Allow","Action":"*"}}`)}}}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "missing Resource") {
		t.Errorf("Validate: %v", err)
	}
	if _, err := New(Options{Ephemeral: true, IAM: bad}); err == nil {
		t.Error("New accepted an invalid IAM config")
	}
}
