package plan

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/credstage/credstage/activities"
)

// fakeSecrets implements SecretLister and SecretDescriber in memory: the
// only two calls the package may make.
type fakeSecrets struct {
	entries []smtypes.SecretListEntry
	listed  []*secretsmanager.ListSecretsInput
}

func entry(name string, tags ...string) smtypes.SecretListEntry {
	e := smtypes.SecretListEntry{Name: aws.String(name), ARN: aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:" + name + "-AbCdEf")}
	for i := 0; i+1 < len(tags); i += 2 {
		e.Tags = append(e.Tags, smtypes.Tag{Key: aws.String(tags[i]), Value: aws.String(tags[i+1])})
	}
	return e
}

func (f *fakeSecrets) ListSecrets(_ context.Context, in *secretsmanager.ListSecretsInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error) {
	f.listed = append(f.listed, in)
	// Page by one to exercise NextToken.
	i := 0
	if in.NextToken != nil {
		i = int((*in.NextToken)[0] - '0')
	}
	out := &secretsmanager.ListSecretsOutput{}
	if i < len(f.entries) {
		out.SecretList = f.entries[i : i+1]
		if i+1 < len(f.entries) {
			out.NextToken = aws.String(string(rune('0' + i + 1)))
		}
	}
	return out, nil
}

func (f *fakeSecrets) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	for _, e := range f.entries {
		if aws.ToString(e.Name) == *in.SecretId || aws.ToString(e.ARN) == *in.SecretId {
			return &secretsmanager.DescribeSecretOutput{Name: e.Name, ARN: e.ARN, OwningService: e.OwningService}, nil
		}
	}
	return nil, &smtypes.ResourceNotFoundException{Message: aws.String("not found")}
}

func mustParse(t *testing.T, src string) *Parsed {
	t.Helper()
	p, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConvertDefaults(t *testing.T) {
	p := mustParse(t, `
name: n
stages:
  - name: staging
    bake: 90s
    targets:
      - secret: a
      - secret: b
        strategy: alternating-users
    validators:
      - http: {url: "http://x/health"}
        timeout: 5s
      - alarm: {alarmName: al}
        name: custom
`)
	r, err := p.Resolve(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	st := r.Plan.Stages[0]
	if st.Bake != 90*time.Second || st.Targets[0].Strategy != DefaultStrategy || st.Targets[1].Strategy != activities.StrategyAlternatingUsers {
		t.Errorf("stage %+v", st)
	}
	if st.Validators[0].Name != "http http://x/health" || st.Validators[0].Timeout != 5*time.Second || st.Validators[1].Name != "custom" {
		t.Errorf("validators %+v", st.Validators)
	}
	if err := r.ValidateWorkflowPlan(); err != nil {
		t.Errorf("workflow validation: %v", err)
	}
}

func TestBatchSizeReachesTheWorkflowPlan(t *testing.T) {
	p := mustParse(t, `
name: n
stages:
  - name: staging
    batchSize: 50
    targets: [{secret: a}]
  - name: production
    batchSize: -1
    targets: [{secret: b}]
`)
	r, err := p.Resolve(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := []int{r.Plan.Stages[0].BatchSize, r.Plan.Stages[1].BatchSize}; got[0] != 50 || got[1] != -1 {
		t.Errorf("batch sizes %v, want [50 -1]", got)
	}
	if err := r.ValidateWorkflowPlan(); err != nil {
		t.Errorf("workflow validation: %v", err)
	}
}

// TestSelectorExactMatch: ListSecrets filters are prefix matches without
// key/value pairing; only exact pairs may be selected.
func TestSelectorExactMatch(t *testing.T) {
	f := &fakeSecrets{entries: []smtypes.SecretListEntry{
		entry("s/keep1", "team", "orders", "env", "staging"),
		entry("s/prefix", "team", "orders", "env", "staging-old"),
		entry("s/swapped", "team", "staging", "env", "orders"),
		entry("s/keep2", "env", "staging", "team", "orders", "extra", "x"),
		entry("other/keep3", "team", "orders", "env", "staging"),
	}}
	p := mustParse(t, `
name: n
stages:
  - name: staging
    strategy: alternating-users
    selector: {tags: {team: orders, env: staging}, namePrefix: s/}
    targets:
      - secret: s/keep2
        strategy: single-user
`)
	r, err := p.Resolve(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range r.Plan.Stages[0].Targets {
		got = append(got, tg.SecretID+":"+string(tg.Strategy))
	}
	if strings.Join(got, " ") != "s/keep2:single-user s/keep1:alternating-users" {
		t.Errorf("targets %v", got)
	}
	if !r.Origins[0][1].Selected || r.Origins[0][1].Line != 6 {
		t.Errorf("origin %+v", r.Origins[0][1])
	}
	in := f.listed[0]
	if len(in.Filters) != 3 {
		t.Errorf("filters %+v", in.Filters)
	}
}

func TestCheckNormalizesARNsAndFindsDuplicates(t *testing.T) {
	f := &fakeSecrets{entries: []smtypes.SecretListEntry{entry("a"), entry("b")}}
	p := mustParse(t, `
name: n
stages:
  - name: one
    targets:
      - secret: arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf
  - name: two
    targets:
      - secret: a
      - secret: missing
`)
	r, err := p.Resolve(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	err = r.Check(context.Background(), f)
	if err == nil {
		t.Fatal("want errors")
	}
	want := []string{
		`p.yaml:9: stages[1].targets[0].secret: secret "a" is the same secret as stages[0].targets[0].secret (line 6); a secret is rotated once per run`,
		`p.yaml:10: stages[1].targets[1].secret: secret "missing" not found in Secrets Manager`,
	}
	if err.Error() != strings.Join(want, "\n") {
		t.Errorf("got\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
	if r.Plan.Stages[0].Targets[0].SecretID != "a" {
		t.Errorf("ARN not replaced by the name: %s", r.Plan.Stages[0].Targets[0].SecretID)
	}
}

func TestAWSFailureIsAWSError(t *testing.T) {
	p := mustParse(t, "name: n\nstages:\n  - name: s\n    selector: {tags: {a: b}}\n")
	_, err := p.Resolve(context.Background(), failingLister{})
	var awsErr *AWSError
	if !errors.As(err, &awsErr) || awsErr.Op != "ListSecrets" {
		t.Fatalf("got %v", err)
	}
}

type failingLister struct{}

func (failingLister) ListSecrets(context.Context, *secretsmanager.ListSecretsInput, ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error) {
	return nil, errors.New("dial tcp: connection refused")
}

func TestStaticErrorsAreAllReported(t *testing.T) {
	_, err := Parse("p.yaml", []byte(`
name: "bad name"
stages:
  - name: s
    maxParallel: -1
    targets:
      - secret: ""
      - secret: ok
        probes: [{query: " "}]
    validators:
      - http: {url: "ftp://x", expectStatus: 700}
      - alarm: {alarmName: ""}
        timeout: 1h
  - name: s
    selector: {}
    batchSize: 5000
`))
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		`p.yaml:2: name: invalid name "bad name"`,
		`p.yaml:5: stages[0].maxParallel: must be between 1 and 100`,
		`p.yaml:7: stages[0].targets[0].secret: required`,
		`p.yaml:9: stages[0].targets[1].probes[0].query: required`,
		`p.yaml:11: stages[0].validators[0].http.url: want an http:// or https:// URL`,
		`p.yaml:11: stages[0].validators[0].http.expectStatus: want an HTTP status between 100 and 599, got 700`,
		`p.yaml:12: stages[0].validators[1].alarm.alarmName: required`,
		`p.yaml:13: stages[0].validators[1].timeout: at most 10m0s`,
		`p.yaml:16: stages[1].batchSize: must be -1 (one workflow per secret), 0 (automatic) or a batch size up to 1000, got 5000`,
		`p.yaml:14: stages[1].name: stage "s" already defined at stages[0].name (line 4)`,
		`p.yaml:15: stages[1].selector: a selector needs tags, namePrefix or both`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
}
