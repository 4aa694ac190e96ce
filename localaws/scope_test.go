package localaws

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// scopeSMClient is an unsigned-mode Secrets Manager client of one Region.
func scopeSMClient(srv *Server, region string) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{Region: region, BaseEndpoint: aws.String(srv.URL()),
		Credentials: staticCreds("AKIDSCOPETEST", "s"), RetryMaxAttempts: 1})
}

func scopeCWClient(srv *Server, region string) *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{Region: region, BaseEndpoint: aws.String(srv.URL()),
		Credentials: staticCreds("AKIDSCOPETEST", "s"), RetryMaxAttempts: 1})
}

// TestRegionsKeepSecretsApart: the same name in two Regions is two
// secrets, each with its Region's ARN and its own value; neither Region
// finds the other's by ARN, and listing shows a Region's own only.
func TestRegionsKeepSecretsApart(t *testing.T) {
	srv, _ := startSMServer(t, Options{})
	ctx := smCtx(t)
	east, west := scopeSMClient(srv, "us-east-1"), scopeSMClient(srv, "us-west-2")
	eastOut, err := east.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/db"), SecretString: aws.String("east")})
	requireNoErr(t, "CreateSecret us-east-1", err)
	westOut, err := west.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/db"), SecretString: aws.String("west")})
	requireNoErr(t, "CreateSecret us-west-2 (same name)", err)
	if !strings.HasPrefix(*eastOut.ARN, "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-") ||
		!strings.HasPrefix(*westOut.ARN, "arn:aws:secretsmanager:us-west-2:000000000000:secret:app/db-") {
		t.Fatalf("ARNs %s and %s do not name their Regions", *eastOut.ARN, *westOut.ARN)
	}
	for _, c := range []struct {
		client *secretsmanager.Client
		id     string
		want   string
	}{{east, "app/db", "east"}, {west, "app/db", "west"}, {east, *eastOut.ARN, "east"}, {west, *westOut.ARN, "west"}} {
		got, err := c.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(c.id)})
		requireNoErr(t, "GetSecretValue "+c.id, err)
		if *got.SecretString != c.want {
			t.Fatalf("%s: value %q, want %q", c.id, *got.SecretString, c.want)
		}
	}
	_, err = east.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: westOut.ARN})
	requireAPIError(t, err, "ResourceNotFoundException", 400, "")
	_, err = west.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: eastOut.ARN})
	requireAPIError(t, err, "ResourceNotFoundException", 400, "")
	_, err = east.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(strings.Replace(*eastOut.ARN, "000000000000", "111111111111", 1))})
	requireAPIError(t, err, "ResourceNotFoundException", 400, "")

	_, err = west.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("app/db"), ForceDeleteWithoutRecovery: aws.Bool(true)})
	requireNoErr(t, "DeleteSecret us-west-2", err)
	list, err := east.ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	requireNoErr(t, "ListSecrets us-east-1", err)
	if len(list.SecretList) != 1 || *list.SecretList[0].ARN != *eastOut.ARN {
		t.Fatalf("us-east-1 lists %+v after us-west-2 deleted its own", list.SecretList)
	}
}

// TestUnsignedCallsUseDefaultRegion: a call nobody signed is the default
// Region's, and a Region no Region is named like is refused.
func TestUnsignedCallsUseDefaultRegion(t *testing.T) {
	srv, _ := startSMServer(t, Options{})
	ctx := smCtx(t)
	out, err := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()),
		Credentials: aws.AnonymousCredentials{}}).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("anon"), SecretString: aws.String("v")})
	requireNoErr(t, "unsigned CreateSecret", err)
	if !strings.HasPrefix(*out.ARN, "arn:aws:secretsmanager:us-east-1:") {
		t.Fatalf("unsigned call made %s", *out.ARN)
	}
	_, err = scopeSMClient(srv, "moon-base").ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	requireAPIError(t, err, "InvalidSignatureException", 400, "Credential should be scoped to a valid region, not 'moon-base'.")
}

// TestAccountIDOption: Options.AccountID is in every ARN, and a bad one
// is refused by New with a message saying what an account id is.
func TestAccountIDOption(t *testing.T) {
	if _, err := New(Options{Ephemeral: true, AccountID: "12345"}); err == nil || !strings.Contains(err.Error(), `account id "12345" must be 12 digits`) {
		t.Fatalf("New with a 5-digit account: %v", err)
	}
	srv, _ := startSMServer(t, Options{AccountID: "123456789012"})
	ctx := smCtx(t)
	out, err := scopeSMClient(srv, "eu-central-1").CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("s"), SecretString: aws.String("v")})
	requireNoErr(t, "CreateSecret", err)
	if !strings.HasPrefix(*out.ARN, "arn:aws:secretsmanager:eu-central-1:123456789012:secret:s-") {
		t.Fatalf("ARN %s", *out.ARN)
	}
	cw := scopeCWClient(srv, "eu-central-1")
	requireNoErr(t, "PutMetricAlarm", putScopeAlarm(t, cw, "high"))
	alarms, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	requireNoErr(t, "DescribeAlarms", err)
	if len(alarms.MetricAlarms) != 1 || *alarms.MetricAlarms[0].AlarmArn != "arn:aws:cloudwatch:eu-central-1:123456789012:alarm:high" {
		t.Fatalf("alarms %+v", alarms.MetricAlarms)
	}
	_, err = cw.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: aws.String("d"), DashboardBody: aws.String(`{"widgets":[]}`)})
	requireNoErr(t, "PutDashboard", err)
	got, err := cw.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String("d")})
	requireNoErr(t, "GetDashboard", err)
	if *got.DashboardArn != "arn:aws:cloudwatch::123456789012:dashboard/d" {
		t.Fatalf("dashboard ARN %s", *got.DashboardArn)
	}
}

func putScopeAlarm(t *testing.T, cw *cloudwatch.Client, name string) error {
	t.Helper()
	_, err := cw.PutMetricAlarm(cwCtx(t), &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name),
		Namespace: aws.String("Credstage"), MetricName: aws.String("RotationFailed"), Statistic: "Sum",
		Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1), ComparisonOperator: "GreaterThanOrEqualToThreshold"})
	return err
}

// TestRegionsKeepAlarmsApart: alarms and metrics are per Region;
// dashboards are one set per account, seen from every Region, with an ARN
// naming no Region, as on AWS.
func TestRegionsKeepAlarmsApart(t *testing.T) {
	srv, _ := startCWServer(t, Options{})
	ctx := cwCtx(t)
	east, west := scopeCWClient(srv, "us-east-1"), scopeCWClient(srv, "us-west-2")
	requireNoErr(t, "PutMetricAlarm us-west-2", putScopeAlarm(t, west, "failures"))
	for region, c := range map[string]*cloudwatch.Client{"us-east-1": east, "us-west-2": west} {
		out, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
		requireNoErr(t, "DescribeAlarms "+region, err)
		switch {
		case region == "us-east-1" && len(out.MetricAlarms) != 0:
			t.Fatalf("us-east-1 sees us-west-2's alarm: %+v", out.MetricAlarms)
		case region == "us-west-2" && (len(out.MetricAlarms) != 1 || *out.MetricAlarms[0].AlarmArn != "arn:aws:cloudwatch:us-west-2:000000000000:alarm:failures"):
			t.Fatalf("us-west-2 alarms: %+v", out.MetricAlarms)
		}
	}
	cwPut(t, west, "Credstage", cwtypes.MetricDatum{MetricName: aws.String("RotationFailed"), Value: aws.Float64(1)})
	metrics, err := east.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("Credstage")})
	requireNoErr(t, "ListMetrics us-east-1", err)
	if len(metrics.Metrics) != 0 {
		t.Fatalf("us-east-1 lists us-west-2's metrics: %+v", metrics.Metrics)
	}
	_, err = west.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: aws.String("ops"), DashboardBody: aws.String(`{"widgets":[]}`)})
	requireNoErr(t, "PutDashboard us-west-2", err)
	got, err := east.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String("ops")})
	requireNoErr(t, "GetDashboard us-east-1 (dashboards are global)", err)
	if *got.DashboardArn != "arn:aws:cloudwatch::000000000000:dashboard/ops" {
		t.Fatalf("dashboard ARN %s", *got.DashboardArn)
	}
}

// TestIAMAccountsKeepStateApart: with IAM enforced, each principal's
// account has its own secrets: the same name in two accounts is two
// secrets with their accounts' ARNs, and an ARN of another account
// without a resource policy granting it is refused.
func TestIAMAccountsKeepStateApart(t *testing.T) {
	const (
		otherARN    = "arn:aws:iam::111111111111:role/elsewhere"
		otherKey    = "AKIAOTHERACCOUNT0001"
		otherSecret = "other-secret"
	)
	cfg := withAdmin(iamConfig(nil))
	cfg.Principals = append(cfg.Principals, IAMPrincipal{ARN: otherARN, AccessKeyID: otherKey, SecretAccessKey: otherSecret,
		Policies: []json.RawMessage{policy(allowEveryAPI)}})
	srv := startIAMServer(t, cfg)
	ctx := iamCtx(t)
	mine, theirs := adminSM(t, srv), smClientAs(srv, otherKey, otherSecret)
	a, err := mine.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String("mine")})
	requireNoErr(t, "CreateSecret as "+testAccount, err)
	b, err := theirs.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String("theirs")})
	requireNoErr(t, "CreateSecret as 111111111111 (same name)", err)
	if !strings.Contains(*a.ARN, ":"+testAccount+":secret:db-") || !strings.Contains(*b.ARN, ":111111111111:secret:db-") {
		t.Fatalf("ARNs %s and %s do not name their accounts", *a.ARN, *b.ARN)
	}
	got, err := theirs.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")})
	requireNoErr(t, "GetSecretValue as 111111111111", err)
	if *got.SecretString != "theirs" {
		t.Fatalf("111111111111 reads %q", *got.SecretString)
	}
	list, err := mine.ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	requireNoErr(t, "ListSecrets", err)
	if len(list.SecretList) != 1 || *list.SecretList[0].ARN != *a.ARN {
		t.Fatalf("%s lists %+v", testAccount, list.SecretList)
	}
	_, err = theirs.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: a.ARN})
	requireAPIError(t, err, "AccessDeniedException", 400, "")
	// As on AWS, a secret of an account nobody granted the caller is
	// refused before anything says whether it exists.
	_, err = mine.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(strings.Replace(*b.ARN, "111111111111", "222222222222", 1))})
	requireAPIError(t, err, "AccessDeniedException", 400, "no resource-based policy allows")
}

// TestCloudTrailPerRegion: each Region's LookupEvents answers with its
// own calls, and an event names its Region and account.
func TestCloudTrailPerRegion(t *testing.T) {
	srv, _ := startSMServer(t, Options{AccountID: "123456789012"})
	ctx := smCtx(t)
	_, err := scopeSMClient(srv, "us-west-2").CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("w"), SecretString: aws.String("v")})
	requireNoErr(t, "CreateSecret us-west-2", err)
	trail := func(region string) []map[string]any {
		out, err := cloudtrail.New(cloudtrail.Options{Region: region, BaseEndpoint: aws.String(srv.URL()), Credentials: staticCreds("AKIDSCOPETEST", "s")}).
			LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
		requireNoErr(t, "LookupEvents "+region, err)
		var events []map[string]any
		for _, e := range out.Events {
			var ev map[string]any
			if err := json.Unmarshal([]byte(*e.CloudTrailEvent), &ev); err != nil {
				t.Fatal(err)
			}
			events = append(events, ev)
		}
		return events
	}
	west := trail("us-west-2")
	if len(west) != 1 || west[0]["awsRegion"] != "us-west-2" || west[0]["recipientAccountId"] != "123456789012" || west[0]["eventName"] != "CreateSecret" {
		t.Fatalf("us-west-2 events: %v", west)
	}
	for _, ev := range trail("us-east-1") {
		if ev["eventName"] == "CreateSecret" {
			t.Fatalf("us-east-1 has us-west-2's event: %v", ev)
		}
	}
}

// TestScopesSurviveRestart: another Region's state is under
// DataDir/regions and comes back after a restart; state written before
// Regions existed (at the top of DataDir) is the default Region's.
func TestScopesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	srv, _ := startSMServer(t, Options{DataDir: dir})
	ctx := smCtx(t)
	for _, region := range []string{"us-east-1", "ap-southeast-2"} {
		_, err := scopeSMClient(srv, region).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("s"), SecretString: aws.String(region)})
		requireNoErr(t, "CreateSecret "+region, err)
	}
	if err := stopSMServer(srv); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{smLogFile, filepath.Join(scopesDir, "000000000000", "ap-southeast-2", smLogFile)} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("state file: %v", err)
		}
	}
	srv, _ = startSMServer(t, Options{DataDir: dir})
	for _, region := range []string{"us-east-1", "ap-southeast-2"} {
		got, err := scopeSMClient(srv, region).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")})
		requireNoErr(t, "GetSecretValue after restart "+region, err)
		if *got.SecretString != region {
			t.Fatalf("%s: %q after restart", region, *got.SecretString)
		}
	}
}

// TestFaultInOneRegion: a fault with a Region hits that Region's calls
// only, and the request log says which Region each call was signed for.
func TestFaultInOneRegion(t *testing.T) {
	srv, _ := startSMServer(t, Options{})
	ctx := smCtx(t)
	srv.Faults().Add(Fault{Service: svcSecretsManager, Op: "ListSecrets", Region: "us-west-2", Code: "InternalFailure"})
	_, err := scopeSMClient(srv, "us-west-2").ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	requireAPIError(t, err, "InternalFailure", 500, "")
	_, err = scopeSMClient(srv, "us-east-1").ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	requireNoErr(t, "ListSecrets us-east-1", err)
	var regions []string
	for _, e := range srv.Requests().Entries() {
		regions = append(regions, e.Region+" "+e.Error)
	}
	if strings.Join(regions, ",") != "us-west-2 InternalFailure,us-east-1 " {
		t.Fatalf("request log regions: %q", regions)
	}
}
