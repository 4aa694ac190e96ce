package activities

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/credstage/credstage/engine"
)

// The outcome of every rotation lands in its secret's tag, once even when
// the activity is retried, and a secret that is gone is counted, never an
// error.
func TestPublishMetricsRecordsOutcomes(t *testing.T) {
	st := localStack(t)
	secret := st.newUser(t, StrategySingleUser)
	at := time.Now().Add(-time.Minute)
	first := SecretOutcome{SecretID: secret, VersionID: engine.Token("11111111-2222-3333-4444-555555555555", secret), Status: engine.StatusSucceeded, Time: at}
	second := SecretOutcome{SecretID: secret, VersionID: engine.Token("99999999-2222-3333-4444-666666666666", secret), Status: engine.StatusRolledBack, Time: at.Add(time.Second)}
	gone := SecretOutcome{SecretID: "no/such/secret", VersionID: "x", Status: engine.StatusFailed, Time: at}
	for _, in := range [][]SecretOutcome{{first}, {first}, {second, gone}} {
		res := must[PublishResult](t, st, st.acts.PublishMetrics, PublishInput{Outcomes: in})
		if res.Recorded+res.NotRecorded != len(in) {
			t.Fatalf("%+v for %d outcomes", res, len(in))
		}
	}
	out, err := st.sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(secret)})
	if err != nil {
		t.Fatal(err)
	}
	got := engine.ParseOutcomes(smTagMap(out.Tags)[engine.TagOutcomes])
	if len(got) != 2 || got[0].Status != engine.StatusRolledBack || !got[0].Matches(second.VersionID) ||
		got[1].Status != engine.StatusSucceeded || !got[1].Matches(first.VersionID) || !got[1].Time.Equal(at.UTC().Truncate(time.Second)) {
		t.Fatalf("outcomes = %+v", got)
	}
}
