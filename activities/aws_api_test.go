package activities

import (
	"reflect"
	"slices"
	"testing"

	"github.com/credstage/credstage/internal/iampolicy"
	"github.com/credstage/credstage/internal/inventory"
)

// TestWorkerPolicyCoversTheAWSInterfaces: the worker's policy (with
// every option on) grants each call of the narrow AWS interfaces, and
// nothing else but what AWS checks on behalf of those calls.
func TestWorkerPolicyCoversTheAWSInterfaces(t *testing.T) {
	doc, err := iampolicy.Worker(iampolicy.WorkerOptions{ResourcePolicies: true,
		KMSKeys: []string{"arn:aws:kms:us-east-1:123456789012:key/k"}})
	if err != nil {
		t.Fatal(err)
	}
	granted := map[string]bool{}
	for _, s := range doc.Statement {
		for _, a := range s.Action {
			granted[a] = true
		}
	}
	called := map[string]bool{}
	for _, api := range []struct {
		prefix string
		api    reflect.Type
	}{
		{"secretsmanager:", reflect.TypeFor[SecretsManagerAPI]()},
		{"secretsmanager:", reflect.TypeFor[inventory.SecretsAPI]()}, // the Inventory's
		{"rds:", reflect.TypeFor[RDSAPI]()},
		{"cloudwatch:", reflect.TypeFor[CloudWatchAPI]()},
	} {
		for i := range api.api.NumMethod() {
			called[api.prefix+api.api.Method(i).Name] = true
		}
	}
	for a := range called {
		if !granted[a] {
			t.Errorf("the worker calls %s, which its policy does not grant", a)
		}
	}
	implied := iampolicy.Implied()
	for a := range granted {
		if !called[a] && !slices.ContainsFunc(implied[a], func(c string) bool { return called[c] }) {
			t.Errorf("the policy grants %s, which no call of the worker needs", a)
		}
	}
}
