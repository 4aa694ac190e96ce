package plan

import (
	"context"
	"slices"
	"strings"
	"testing"

	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

func TestAlarmActionsMustBeSNSTopics(t *testing.T) {
	_, err := Parse("p.yaml", []byte(`
name: p
stages:
  - name: staging
    targets: [{secret: staging/app}]
alarms:
  actions: [arn:aws:sns:us-east-1:123456789012:oncall, arn:aws:lambda:us-east-1:123456789012:function:x]
  okActions: [not-an-arn]
`))
	if err == nil {
		t.Fatal("a Lambda ARN and a bare word were accepted as alarm actions")
	}
	for _, want := range []string{"p.yaml:7: alarms.actions[1]", "arn:aws:lambda", "p.yaml:8: alarms.okActions[0]", `"not-an-arn" is not an SNS topic ARN`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	p, err := Parse("p.yaml", []byte(`
name: p
stages:
  - name: staging
    targets: [{secret: staging/app}]
alarms:
  actions: [arn:aws:sns:us-east-1:123456789012:oncall]
`))
	if err != nil {
		t.Fatal(err)
	}
	if a := p.Spec.AlarmActions(); len(a.Alarm) != 1 || len(a.OK) != 0 {
		t.Fatalf("actions = %+v", a)
	}
}

func TestManagedEnvironmentsComeFromTheSecretsTags(t *testing.T) {
	f := &fakeSecrets{entries: []smtypes.SecretListEntry{
		entry("a", TagManaged, "true", TagEnvironment, "staging"),
		entry("b", TagManaged, "true", TagEnvironment, "production"),
		entry("c", TagManaged, "true", TagEnvironment, "staging"),
		entry("d", TagManaged, "false", TagEnvironment, "other"),
		entry("e", TagEnvironment, "foreign"),
	}}
	envs, err := ManagedEnvironments(context.Background(), f)
	if err != nil || !slices.Equal(envs, []string{"production", "staging"}) {
		t.Fatalf("environments = %v, %v", envs, err)
	}
}
