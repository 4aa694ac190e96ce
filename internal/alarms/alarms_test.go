package alarms

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/credstage/credstage/engine"
)

// Every alarm watches its environment's roll-up series alone (an alarm
// never aggregates across dimensions) and no data is no failure.
func TestInputsWatchTheEnvironmentRollups(t *testing.T) {
	topic := "arn:aws:sns:eu-west-1:123456789012:oncall"
	ins := Inputs("Credstage", "production", Actions{Alarm: []string{topic}})
	if len(ins) != len(Kinds) {
		t.Fatalf("%d alarms for %d kinds", len(ins), len(Kinds))
	}
	for _, in := range ins {
		name := aws.ToString(in.AlarmName)
		if !strings.HasPrefix(name, Prefix("Credstage")+"production-") {
			t.Errorf("name %q", name)
		}
		if len(in.Dimensions) != 1 || aws.ToString(in.Dimensions[0].Name) != engine.DimEnvironment || aws.ToString(in.Dimensions[0].Value) != "production" {
			t.Errorf("%s watches %+v", name, in.Dimensions)
		}
		if aws.ToString(in.TreatMissingData) != "notBreaching" || len(in.AlarmActions) != 1 || in.AlarmActions[0] != topic {
			t.Errorf("%s: missing data %q, actions %v", name, aws.ToString(in.TreatMissingData), in.AlarmActions)
		}
		if len(in.Tags) == 0 {
			t.Errorf("%s is not tagged", name)
		}
	}
}

func TestActionsMustBeSNSTopics(t *testing.T) {
	if err := (Actions{Alarm: []string{"arn:aws:sns:us-east-1:123456789012:a"}, OK: []string{"arn:aws-us-gov:sns:us-gov-west-1:123456789012:b"}}).Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Actions{OK: []string{"arn:aws:sqs:us-east-1:123456789012:q"}}).Validate(); err == nil || !strings.Contains(err.Error(), "sqs") {
		t.Fatalf("an SQS queue was accepted: %v", err)
	}
}
