package activities

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
	"github.com/jackc/pgx/v5"

	"github.com/credstage/credstage/internal/iampolicy"
)

// testAccess is a valid SecretAccess.
var testAccess = &iampolicy.SecretAccess{
	Readers:    []string{"arn:aws:iam::123456789012:role/orders-app"},
	Worker:     "arn:aws:iam::123456789012:role/credstage-worker",
	CLI:        "arn:aws:iam::123456789012:role/credstage-cli",
	BreakGlass: "arn:aws:iam::123456789012:role/break-glass",
}

// fakePolicies is a Secrets Manager that keeps one resource policy per
// secret name and logs every call, in order, to log (shared with a
// fakeMasters). It creates secrets and hands out passwords; every other
// call panics (not used).
type fakePolicies struct {
	SecretsManagerAPI
	log      *[]string
	policies map[string]string
	puts     []*secretsmanager.PutResourcePolicyInput
	putErr   error
}

func newFakePolicies(log *[]string) *fakePolicies {
	return &fakePolicies{log: log, policies: map[string]string{}}
}

func (f *fakePolicies) GetResourcePolicy(_ context.Context, in *secretsmanager.GetResourcePolicyInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetResourcePolicyOutput, error) {
	*f.log = append(*f.log, "GetResourcePolicy")
	out := &secretsmanager.GetResourcePolicyOutput{Name: in.SecretId}
	if p, ok := f.policies[aws.ToString(in.SecretId)]; ok {
		out.ResourcePolicy = aws.String(p)
	}
	return out, nil
}

func (f *fakePolicies) PutResourcePolicy(_ context.Context, in *secretsmanager.PutResourcePolicyInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.PutResourcePolicyOutput, error) {
	*f.log = append(*f.log, "PutResourcePolicy")
	f.puts = append(f.puts, in)
	if f.putErr != nil {
		return nil, f.putErr
	}
	f.policies[aws.ToString(in.SecretId)] = aws.ToString(in.ResourcePolicy)
	return &secretsmanager.PutResourcePolicyOutput{Name: in.SecretId}, nil
}

func (f *fakePolicies) GetRandomPassword(context.Context, *secretsmanager.GetRandomPasswordInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetRandomPasswordOutput, error) {
	*f.log = append(*f.log, "GetRandomPassword")
	return &secretsmanager.GetRandomPasswordOutput{RandomPassword: aws.String(strings.Repeat("aB3$", 8))}, nil
}

func (f *fakePolicies) CreateSecret(_ context.Context, in *secretsmanager.CreateSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error) {
	*f.log = append(*f.log, "CreateSecret")
	return &secretsmanager.CreateSecretOutput{Name: in.Name, ARN: aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:" + aws.ToString(in.Name) + "-AbCdEf")}, nil
}

// fakeMasters is a Connector whose master is never reached: it logs the
// attempt and fails.
type fakeMasters struct{ log *[]string }

func (f fakeMasters) WithMaster(context.Context, string, MasterLoader, func(Querier) error) error {
	*f.log = append(*f.log, "WithMaster")
	return errors.New("connection refused")
}
func (f fakeMasters) Login(context.Context, *pgx.ConnConfig, func(Querier) error) error {
	return errors.New("connection refused")
}
func (fakeMasters) Close() {}

func policyInput(access *iampolicy.SecretAccess) AppUserInput {
	return AppUserInput{Environment: "staging", Run: "run-1",
		Instance: InstanceInfo{Identifier: "orders-db", Address: "orders-db.example", Port: 5432, DBName: "orders",
			MasterSecretARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf"},
		User: AppUser{Name: "app", Strategy: StrategySingleUser, Access: access}}
}

// TestSecretPolicyFollowsOwnership: a secret this run created always gets
// the policy (a retry puts the same document); an earlier
// provisioning's gets it unless it has it; an adopted secret is only
// looked at.
func TestSecretPolicyFollowsOwnership(t *testing.T) {
	const name = "staging/orders-db/app"
	ours := iampolicy.Compact(testAccess.Policy())
	// The same policy as AWS may return it: indented, lists reordered.
	reformatted := string(iampolicy.Render(testAccess.Policy()))
	other := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/x"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	for label, tc := range map[string]struct {
		who      owner
		existing string // "" none
		calls    []string
		outcome  PolicyOutcome
		after    string
	}{
		"this run, new":             {ownerThisRun, "", []string{"PutResourcePolicy"}, PolicyAttached, ours},
		"this run, retried":         {ownerThisRun, ours, []string{"PutResourcePolicy"}, PolicyAttached, ours},
		"earlier run, in place":     {ownerCredstage, reformatted, []string{"GetResourcePolicy"}, PolicyInPlace, reformatted},
		"earlier run, other policy": {ownerCredstage, other, []string{"GetResourcePolicy", "PutResourcePolicy"}, PolicyAttached, ours},
		"earlier run, no policy":    {ownerCredstage, "", []string{"GetResourcePolicy", "PutResourcePolicy"}, PolicyAttached, ours},
		"adopted, in place":         {ownerForeign, reformatted, []string{"GetResourcePolicy"}, PolicyInPlace, reformatted},
		"adopted, other policy":     {ownerForeign, other, []string{"GetResourcePolicy"}, PolicyLeft, other},
		"adopted, no policy":        {ownerForeign, "", []string{"GetResourcePolicy"}, PolicyLeft, ""},
	} {
		t.Run(label, func(t *testing.T) {
			var log []string
			sm := newFakePolicies(&log)
			if tc.existing != "" {
				sm.policies[name] = tc.existing
			}
			a := NewWithClients(Options{SecretsManager: sm, Connector: fakeMasters{&log}})
			var res AppUserResult
			if err := a.secretPolicy(context.Background(), policyInput(testAccess), name, tc.who, &res); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(log, tc.calls) || res.ResourcePolicy != tc.outcome || sm.policies[name] != tc.after {
				t.Fatalf("calls %v outcome %q policy %s; want %v %q %s", log, res.ResourcePolicy, sm.policies[name], tc.calls, tc.outcome, tc.after)
			}
			for _, put := range sm.puts {
				if !aws.ToBool(put.BlockPublicPolicy) || aws.ToString(put.SecretId) != name {
					t.Errorf("put %+v: want BlockPublicPolicy on %s", put, name)
				}
			}
		})
	}
	// Without Access nothing is asked.
	var log []string
	a := NewWithClients(Options{SecretsManager: newFakePolicies(&log), Connector: fakeMasters{&log}})
	var res AppUserResult
	if err := a.secretPolicy(context.Background(), policyInput(nil), name, ownerCredstage, &res); err != nil || len(log) != 0 || res.ResourcePolicy != "" {
		t.Fatalf("no access: %v, calls %v, outcome %q", err, log, res.ResourcePolicy)
	}
}

// TestCreateUserAttachesPolicyRightAfterCreateSecret: the secret is never
// without its policy longer than one call, and the roles come after.
func TestCreateUserAttachesPolicyRightAfterCreateSecret(t *testing.T) {
	var log []string
	sm := newFakePolicies(&log)
	a := NewWithClients(Options{SecretsManager: sm, Connector: fakeMasters{&log}})
	in := policyInput(testAccess)
	var res AppUserResult
	err := a.createUser(context.Background(), in, appUserSecretName(in), &res)
	if err == nil {
		t.Fatal("createUser reached a master that does not exist")
	}
	if want := []string{"GetRandomPassword", "CreateSecret", "PutResourcePolicy", "WithMaster"}; !slices.Equal(log, want) {
		t.Fatalf("calls %v, want %v", log, want)
	}
	if res.Secret != OutcomeCreated || res.ResourcePolicy != PolicyAttached {
		t.Errorf("result %+v", res)
	}
	if !iampolicy.Equal(aws.ToString(sm.puts[0].ResourcePolicy), iampolicy.Compact(testAccess.Policy())) {
		t.Errorf("put %s", aws.ToString(sm.puts[0].ResourcePolicy))
	}
}

// TestCreateUserStopsWhenThePolicyIsRefused: a refused policy (a reader
// that does not exist) fails the user before any role is made;
// compensation deletes the secret this run created.
func TestCreateUserStopsWhenThePolicyIsRefused(t *testing.T) {
	var log []string
	sm := newFakePolicies(&log)
	sm.putErr = &smithy.GenericAPIError{Code: "MalformedPolicyDocumentException", Message: "This resource policy contains an unsupported principal."}
	a := NewWithClients(Options{SecretsManager: sm, Connector: fakeMasters{&log}})
	in := policyInput(testAccess)
	var res AppUserResult
	err := a.createUser(context.Background(), in, appUserSecretName(in), &res)
	if !isErrorType(err, ErrAWSRequestRefused) || !strings.Contains(err.Error(), "PutResourcePolicy") || !strings.Contains(err.Error(), "staging/orders-db/app") {
		t.Fatalf("error %v", err)
	}
	if slices.Contains(log, "WithMaster") {
		t.Errorf("roles attempted after the refusal: %v", log)
	}
}

func TestValidateAppUserChecksAccess(t *testing.T) {
	bad := *testAccess
	bad.CLI = ""
	err := validateAppUser(AppUser{Name: "app", Strategy: StrategySingleUser, Access: &bad})
	if !isErrorType(err, ErrInvalidInput) || !strings.Contains(err.Error(), "--cli-principal") || !strings.Contains(err.Error(), `user "app"`) {
		t.Fatalf("%v", err)
	}
	if err := validateAppUser(AppUser{Name: "app", Strategy: StrategySingleUser, Access: testAccess}); err != nil {
		t.Fatal(err)
	}
}
