package tests

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/credstage/credstage/localaws"
	"github.com/credstage/credstage/tests/stack"
)

// The e2e stack's localaws enforces IAM (SigV4 and policies): every call is
// signed by one of these principals and allowed only by its policies.
const (
	adminARN  = "arn:aws:iam::000000000000:user/credstage-test-admin"
	workerARN = "arn:aws:iam::000000000000:role/credstage-worker"
	cliARN    = "arn:aws:iam::000000000000:role/credstage-cli"
	// cliAccessKey and cliSecretKey sign the CLI's calls (cliEnv).
	cliAccessKey  = "credstage-cli"
	cliSecretKey  = "credstage-cli-secret"
	workerSecret  = "credstage-worker-secret"
	allowAllRules = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
)

// e2eIAM is the stack's IAM: the test itself as an administrator (it sets
// up and inspects), the worker and the CLI with exactly the policy files
// credstage ships, and extra principals a test adds (applications).
func e2eIAM(t *testing.T, workerPolicy json.RawMessage, extra ...localaws.IAMPrincipal) *localaws.IAMConfig {
	t.Helper()
	root, err := stack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	worker := localaws.IAMPrincipal{ARN: workerARN, AccessKeyID: workerAccessKey, SecretAccessKey: workerSecret}
	if workerPolicy != nil {
		worker.Policies = []json.RawMessage{workerPolicy}
	} else {
		worker.PolicyFiles = []string{filepath.Join(root, "deploy", "iam", "credstage-worker-policy.json")}
	}
	cfg := &localaws.IAMConfig{Principals: append([]localaws.IAMPrincipal{
		{ARN: adminARN, AccessKeyID: stack.TestAccessKey, SecretAccessKey: stack.TestSecretKey, Policies: []json.RawMessage{json.RawMessage(allowAllRules)}},
		worker,
		{ARN: cliARN, AccessKeyID: cliAccessKey, SecretAccessKey: cliSecretKey,
			PolicyFiles: []string{filepath.Join(root, "deploy", "iam", "credstage-cli-policy.json")}},
	}, extra...)}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}
