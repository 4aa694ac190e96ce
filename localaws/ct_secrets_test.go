package localaws

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// No secret value reaches an event: not a CreateSecret's or a
// PutSecretValue's SecretString, not a master password of a
// CreateDBInstance or ModifyDBInstance (both refused here, which is
// recorded all the same), not a GetRandomPassword's answer.
func TestCTEventsHoldNoSecretValue(t *testing.T) {
	srv, sm := startSMServer(t, Options{})
	ctx := smCtx(t)
	values := []string{"created-Value-7f3a9", "put-Value-0c1d2", "binary-Value-99aa", "master-Pw-5e6f7a", "modify-Pw-8b9c0d"}
	createSMSecret(t, sm, "app/db", `{"password":"`+values[0]+`"}`)
	_, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app/db"), SecretString: aws.String(values[1])})
	requireNoErr(t, "PutSecretValue", err)
	_, err = sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app/db"), SecretBinary: []byte(values[2])})
	requireNoErr(t, "PutSecretValue binary", err)
	pw, err := sm.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{})
	requireNoErr(t, "GetRandomPassword", err)
	values = append(values, aws.ToString(pw.RandomPassword))
	got, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")})
	requireNoErr(t, "GetSecretValue", err)
	_ = got

	db := rds.New(rds.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), Credentials: staticCreds("AKIDDBA", "s"), RetryMaxAttempts: 1})
	_, err = db.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("app"),
		DBInstanceClass: aws.String("db.t3.micro"), Engine: aws.String("oracle-se2"),
		MasterUsername: aws.String("admin"), MasterUserPassword: aws.String(values[3])})
	if err == nil {
		t.Fatal("CreateDBInstance of oracle-se2 succeeded")
	}
	_, err = db.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("nope"), MasterUserPassword: aws.String(values[4])})
	if err == nil {
		t.Fatal("ModifyDBInstance of a missing instance succeeded")
	}

	ct := ctClientAs(srv, "AKIDAUDIT", "s")
	events := lookupAll(t, ct, nil)
	dump, _ := json.Marshal(events)
	for _, e := range srv.trail.newestFirst() {
		dump = append(dump, e.json...)
	}
	for _, v := range values {
		for _, form := range []string{v, jsonEscaped(v)} {
			if strings.Contains(string(dump), form) {
				t.Errorf("a secret value appears in the recorded events")
			}
		}
	}
	// The ids that say what was touched are there.
	var sawStage, sawUser bool
	for _, e := range events {
		s := aws.ToString(e.CloudTrailEvent)
		sawStage = sawStage || (aws.ToString(e.EventName) == "GetSecretValue" && strings.Contains(s, `"secretId":"app/db"`))
		sawUser = sawUser || (aws.ToString(e.EventName) == "CreateDBInstance" && strings.Contains(s, `"masterUsername":"admin"`))
	}
	var sawVersion bool
	for _, e := range events {
		if aws.ToString(e.EventName) == "PutSecretValue" {
			sawVersion = sawVersion || strings.Contains(aws.ToString(e.CloudTrailEvent), `"responseElements":{"aRN":`) ||
				strings.Contains(aws.ToString(e.CloudTrailEvent), `"versionId":`)
		}
	}
	if !sawVersion {
		t.Error("a PutSecretValue's responseElements lack the version it made")
	}
	if !sawStage || !sawUser {
		t.Errorf("requestParameters lost their ids: secretId %v, masterUsername %v", sawStage, sawUser)
	}
}

func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

// With IAM enforced, LookupEvents needs cloudtrail:LookupEvents, and
// events name the principal that signed each call.
func TestCTLookupIAM(t *testing.T) {
	cfg := withAdmin(iamConfig([]string{allowAllSM}, `{"Effect":"Allow","Action":"cloudtrail:LookupEvents","Resource":"*"}`))
	srv := startIAMServer(t, cfg)
	ctx := iamCtx(t)
	createSMSecret(t, adminSM(t, srv), "app/i", "v")
	_, err := smClientAs(srv, workerKey, workerSecret).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/i")})
	requireNoErr(t, "worker read", err)
	_, err = ctClientAs(srv, workerKey, workerSecret).LookupEvents(ctx, &cloudtrail.LookupEventsInput{})
	requireAPIError(t, err, "AccessDeniedException", http.StatusBadRequest, "cloudtrail:LookupEvents")

	reads := lookupAll(t, ctClientAs(srv, readerKey, readerSecret), attr(cttypes.LookupAttributeKeyEventName, "GetSecretValue"))
	if len(reads) != 1 {
		t.Fatalf("%d GetSecretValue events, want 1", len(reads))
	}
	var ev struct {
		UserIdentity ctUserIdentity `json:"userIdentity"`
	}
	_ = json.Unmarshal([]byte(aws.ToString(reads[0].CloudTrailEvent)), &ev)
	if ev.UserIdentity.ARN != workerARN || ev.UserIdentity.AccessKeyID != workerKey || ev.UserIdentity.AccountID != testAccount {
		t.Fatalf("userIdentity %+v, want %s", ev.UserIdentity, workerARN)
	}
	denied := lookupAll(t, ctClientAs(srv, readerKey, readerSecret), attr(cttypes.LookupAttributeKeyAccessKeyId, workerKey))
	var sawDenied bool
	for _, e := range denied {
		sawDenied = sawDenied || (aws.ToString(e.EventName) == "LookupEvents" && strings.Contains(aws.ToString(e.CloudTrailEvent), `"errorCode":"AccessDeniedException"`))
	}
	if !sawDenied {
		t.Fatal("the refused LookupEvents is not recorded")
	}
}
