package localaws

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

func TestSMDeleteAndRestore(t *testing.T) {
	srv, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	created := createSMSecret(t, c, "doomed", "v")

	del := mustSM(c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("doomed")}))(t)
	if d := time.Until(aws.ToTime(del.DeletionDate)); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Fatalf("default recovery window is 30 days, deletion in %v", d)
	}
	if aws.ToString(del.ARN) != aws.ToString(created.ARN) {
		t.Fatalf("delete answered ARN %s", aws.ToString(del.ARN))
	}
	_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("doomed")})
	requireSMError(t, err, "InvalidRequestException", "marked for deletion")
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("doomed"), SecretString: aws.String("x")})
	requireSMError(t, err, "InvalidRequestException", "marked for deletion")
	_, err = c.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String("doomed"), Tags: []smtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	requireSMError(t, err, "InvalidRequestException", "marked for deletion")
	_, err = c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("doomed")})
	requireSMError(t, err, "InvalidRequestException", "marked for deletion")
	_, err = c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("doomed"), SecretString: aws.String("again")})
	requireSMError(t, err, "InvalidRequestException", "scheduled for deletion")

	d := mustSM(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("doomed")}))(t)
	if d.DeletedDate == nil || !d.DeletedDate.Equal(aws.ToTime(del.DeletionDate)) {
		t.Fatalf("DescribeSecret DeletedDate %v, DeleteSecret said %v", d.DeletedDate, del.DeletionDate)
	}
	if names := listNames(t, c, &secretsmanager.ListSecretsInput{}); len(names) != 0 {
		t.Fatalf("ListSecrets shows scheduled secrets: %v", names)
	}
	if names := listNames(t, c, &secretsmanager.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)}); !slices.Equal(names, []string{"doomed"}) {
		t.Fatalf("ListSecrets with IncludePlannedDeletion: %v", names)
	}

	mustSM(c.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String("doomed")}))(t)
	if got := aws.ToString(valueAt(t, c, "doomed", "AWSCURRENT").SecretString); got != "v" {
		t.Fatalf("after restore: %q", got)
	}
	d = mustSM(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("doomed")}))(t)
	if d.DeletedDate != nil {
		t.Fatalf("restored secret still has DeletedDate %v", d.DeletedDate)
	}
	mustSM(c.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String("doomed")}))(t)

	_, err = c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("doomed"), RecoveryWindowInDays: aws.Int64(6)})
	requireSMError(t, err, "InvalidParameterException", "between 7 and 30")
	_, err = c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("doomed"), RecoveryWindowInDays: aws.Int64(31)})
	requireSMError(t, err, "InvalidParameterException", "between 7 and 30")
	_, err = c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("doomed"), RecoveryWindowInDays: aws.Int64(7), ForceDeleteWithoutRecovery: aws.Bool(true)})
	requireSMError(t, err, "InvalidParameterException", "ForceDeleteWithoutRecovery")
	_, err = c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("nope")})
	requireSMError(t, err, "ResourceNotFoundException", "")

	// The recovery window runs out: the secret is gone and its name free.
	week := mustSM(c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("doomed"), RecoveryWindowInDays: aws.Int64(7)}))(t)
	if d := time.Until(aws.ToTime(week.DeletionDate)); d < 6*24*time.Hour || d > 8*24*time.Hour {
		t.Fatalf("7-day window, deletion in %v", d)
	}
	srv.sm.mu.Lock()
	srv.sm.now = func() time.Time { return time.Now().UTC().Add(8 * 24 * time.Hour) }
	srv.sm.mu.Unlock()
	_, err = c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("doomed")})
	requireSMError(t, err, "ResourceNotFoundException", "")
	reborn := createSMSecret(t, c, "doomed", "new")
	if aws.ToString(reborn.ARN) == aws.ToString(created.ARN) {
		t.Fatalf("a re-created secret must get a new ARN suffix")
	}

	// Force delete removes at once, and is not an error for a missing secret.
	force := mustSM(c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("doomed"), ForceDeleteWithoutRecovery: aws.Bool(true)}))(t)
	if aws.ToString(force.ARN) != aws.ToString(reborn.ARN) {
		t.Fatalf("force delete answered %s", aws.ToString(force.ARN))
	}
	_, err = c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("doomed")})
	requireSMError(t, err, "ResourceNotFoundException", "")
	mustSM(c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("doomed"), ForceDeleteWithoutRecovery: aws.Bool(true)}))(t)
	createSMSecret(t, c, "doomed", "newer")
}

func TestSMRotateAndCancel(t *testing.T) {
	_, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	createSMSecret(t, c, "rotating", "v1")
	lambda := "arn:aws:lambda:us-east-1:000000000000:function:rotator"

	_, err := c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("rotating")})
	requireSMError(t, err, "InvalidRequestException", "No Lambda rotation function ARN")
	_, err = c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("rotating"), RotationLambdaARN: aws.String(lambda),
		RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(7), ScheduleExpression: aws.String("rate(7 days)")}})
	requireSMError(t, err, "InvalidParameterException", "")
	_, err = c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("rotating"), RotationLambdaARN: aws.String(lambda),
		RotationRules: &smtypes.RotationRulesType{ScheduleExpression: aws.String("every tuesday")}})
	requireSMError(t, err, "InvalidParameterException", "ScheduleExpression")
	_, err = c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("rotating"), RotationLambdaARN: aws.String(lambda),
		RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(1001)}})
	requireSMError(t, err, "InvalidParameterException", "AutomaticallyAfterDays")

	tok := smToken("rotate")
	out := mustSM(c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("rotating"), ClientRequestToken: aws.String(tok),
		RotationLambdaARN: aws.String(lambda), RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)}}))(t)
	if aws.ToString(out.VersionId) != tok {
		t.Fatalf("RotateSecret VersionId %s, want the token", aws.ToString(out.VersionId))
	}
	d := mustSM(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("rotating")}))(t)
	if !aws.ToBool(d.RotationEnabled) || aws.ToString(d.RotationLambdaARN) != lambda || aws.ToInt64(d.RotationRules.AutomaticallyAfterDays) != 30 {
		t.Fatalf("rotation not recorded: %+v", d)
	}
	if until := time.Until(aws.ToTime(d.NextRotationDate)); until < 29*24*time.Hour || until > 31*24*time.Hour {
		t.Fatalf("NextRotationDate in %v, want ~30 days", until)
	}
	// The emulator runs no Lambda: no version was added.
	if got := stagesOf(t, c, "rotating"); len(got) != 1 {
		t.Fatalf("RotateSecret must not add versions: %v", got)
	}

	// Reconfigure with a schedule and a window, reusing the recorded Lambda.
	mustSM(c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("rotating"), RotateImmediately: aws.Bool(false),
		RotationRules: &smtypes.RotationRulesType{ScheduleExpression: aws.String("rate(12 hours)"), Duration: aws.String("2h")}}))(t)
	d = mustSM(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("rotating")}))(t)
	if aws.ToString(d.RotationRules.ScheduleExpression) != "rate(12 hours)" || aws.ToString(d.RotationRules.Duration) != "2h" || aws.ToString(d.RotationLambdaARN) != lambda {
		t.Fatalf("rules after reconfiguration: %+v", d.RotationRules)
	}

	// An unfinished rotation (AWSPENDING off AWSCURRENT) blocks RotateSecret.
	pending := mustSM(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("rotating"),
		SecretString: aws.String("v2"), VersionStages: []string{"AWSPENDING"}}))(t)
	_, err = c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("rotating")})
	requireSMError(t, err, "InvalidRequestException", "previous rotation")

	cancel := mustSM(c.CancelRotateSecret(ctx, &secretsmanager.CancelRotateSecretInput{SecretId: aws.String("rotating")}))(t)
	if aws.ToString(cancel.VersionId) != aws.ToString(pending.VersionId) {
		t.Fatalf("CancelRotateSecret should name the unfinished version %s, got %s", aws.ToString(pending.VersionId), aws.ToString(cancel.VersionId))
	}
	d = mustSM(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("rotating")}))(t)
	if d.RotationEnabled == nil || *d.RotationEnabled || d.NextRotationDate != nil {
		t.Fatalf("after cancel: enabled %v next %v", d.RotationEnabled, d.NextRotationDate)
	}
	_, err = c.CancelRotateSecret(ctx, &secretsmanager.CancelRotateSecretInput{SecretId: aws.String("nope")})
	requireSMError(t, err, "ResourceNotFoundException", "")
}

// TestSMServiceOwnedSecret covers the secrets RDS creates through the Go
// API: readable and taggable through the API, changeable only by RDS.
func TestSMServiceOwnedSecret(t *testing.T) {
	srv, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	arn, err := srv.sm.createServiceSecret("rds!db-0001", "rds", "master user secret of pg1",
		map[string]string{"aws:rds:primaryDBInstanceArn": "arn:aws:rds:us-east-1:000000000000:db:pg1"}, `{"username":"postgres","password":"m1"}`)
	if err != nil {
		t.Fatalf("createServiceSecret: %v", err)
	}
	if _, err := srv.sm.createServiceSecret("rds!db-0001", "rds", "", nil, "x"); err == nil {
		t.Fatalf("a second service secret with the same name must fail")
	}
	d := mustSM(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)}))(t)
	if aws.ToString(d.OwningService) != "rds" || tagMap(d.Tags)["aws:rds:primaryDBInstanceArn"] == "" {
		t.Fatalf("describe of the RDS secret: owning %q tags %v", aws.ToString(d.OwningService), tagMap(d.Tags))
	}
	if got := aws.ToString(valueAt(t, c, arn, "AWSCURRENT").SecretString); got != `{"username":"postgres","password":"m1"}` {
		t.Fatalf("GetSecretValue of the RDS secret: %q", got)
	}
	mustSM(c.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(arn), Tags: []smtypes.Tag{{Key: aws.String("env"), Value: aws.String("staging")}}}))(t)

	refusals := map[string]func() error{
		"PutSecretValue": func() error {
			_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String("x")})
			return err
		},
		"UpdateSecret": func() error {
			_, err := c.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String(arn), Description: aws.String("x")})
			return err
		},
		"UpdateSecretVersionStage": func() error {
			_, err := c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String(arn),
				VersionStage: aws.String("blue"), MoveToVersionId: aws.String(smToken("x"))})
			return err
		},
		"RotateSecret": func() error {
			_, err := c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String(arn), RotationLambdaARN: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f")})
			return err
		},
		"CancelRotateSecret": func() error {
			_, err := c.CancelRotateSecret(ctx, &secretsmanager.CancelRotateSecretInput{SecretId: aws.String(arn)})
			return err
		},
		"DeleteSecret": func() error {
			_, err := c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(arn)})
			return err
		},
		"DeleteSecret force": func() error {
			_, err := c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(arn), ForceDeleteWithoutRecovery: aws.Bool(true)})
			return err
		},
	}
	for name, call := range refusals {
		t.Run(name, func(t *testing.T) { requireSMError(t, call(), "InvalidRequestException", "managed by rds") })
	}

	// RDS itself may change it: AWSPREVIOUS follows as for any new value.
	first := aws.ToString(valueAt(t, c, arn, "AWSCURRENT").VersionId)
	if err := srv.sm.putServiceSecretValue(arn, `{"username":"postgres","password":"m2"}`); err != nil {
		t.Fatalf("putServiceSecretValue: %v", err)
	}
	got, err := srv.sm.currentSecretString(arn)
	if err != nil || got != `{"username":"postgres","password":"m2"}` {
		t.Fatalf("currentSecretString: %q, %v", got, err)
	}
	if prev := valueAt(t, c, arn, "AWSPREVIOUS"); aws.ToString(prev.VersionId) != first {
		t.Fatalf("AWSPREVIOUS should be the first version")
	}
	if err := srv.sm.deleteServiceSecret(arn); err != nil {
		t.Fatalf("deleteServiceSecret: %v", err)
	}
	if err := srv.sm.deleteServiceSecret(arn); err != nil {
		t.Fatalf("deleteServiceSecret must be repeatable: %v", err)
	}
	_, err = c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
	requireSMError(t, err, "ResourceNotFoundException", "")
	if _, err := srv.sm.currentSecretString(arn); err == nil {
		t.Fatalf("currentSecretString of a deleted secret must fail")
	}
}

func TestSMRestartPersistence(t *testing.T) {
	dir := t.TempDir()
	srv, c := startSMServer(t, Options{DataDir: dir})
	ctx := smCtx(t)
	created := mustSM(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("kept"), SecretString: aws.String("one"),
		Description: aws.String("survives"), Tags: []smtypes.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}))(t)
	pending := mustSM(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("kept"),
		SecretString: aws.String("two"), VersionStages: []string{"AWSPENDING"}}))(t)
	mustSM(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("blob"), SecretBinary: []byte{9, 8, 7}}))(t)
	createSMSecret(t, c, "scheduled", "x")
	del := mustSM(c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("scheduled"), RecoveryWindowInDays: aws.Int64(10)}))(t)
	rdsARN, err := srv.sm.createServiceSecret("rds!db-9", "rds", "", nil, "m")
	if err != nil {
		t.Fatal(err)
	}
	// Later changes to an already saved secret must reach the file too.
	mustSM(c.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String("kept"), Tags: []smtypes.Tag{{Key: aws.String("team"), Value: aws.String("db")}}}))(t)
	mustSM(c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("kept"),
		VersionStage: aws.String("blue"), MoveToVersionId: pending.VersionId}))(t)
	valueAt(t, c, "blob", "AWSCURRENT") // an access date, saved at close
	wantStages := stagesOf(t, c, "kept")
	if err := stopSMServer(srv); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, smLogFile)); err != nil {
		t.Fatalf("state file: %v", err)
	}

	_, c2 := startSMServer(t, Options{DataDir: dir})
	d := mustSM(c2.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: created.ARN}))(t)
	if aws.ToString(d.Description) != "survives" || tagMap(d.Tags)["env"] != "prod" || tagMap(d.Tags)["team"] != "db" {
		t.Fatalf("metadata after restart: %+v", d)
	}
	requireStages(t, d.VersionIdsToStages, wantStages)
	if got := aws.ToString(valueAt(t, c2, "kept", "AWSPENDING").VersionId); got != aws.ToString(pending.VersionId) {
		t.Fatalf("AWSPENDING after restart on %s", got)
	}
	if db := mustSM(c2.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("blob")}))(t); db.LastAccessedDate == nil {
		t.Fatalf("LastAccessedDate lost in the restart")
	}
	if got := valueAt(t, c2, "blob", "AWSCURRENT").SecretBinary; !slices.Equal(got, []byte{9, 8, 7}) {
		t.Fatalf("binary after restart: %v", got)
	}
	ds := mustSM(c2.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("scheduled")}))(t)
	if ds.DeletedDate == nil || !ds.DeletedDate.Equal(aws.ToTime(del.DeletionDate)) {
		t.Fatalf("scheduled deletion after restart: %v", ds.DeletedDate)
	}
	_, err = c2.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(rdsARN), SecretString: aws.String("x")})
	requireSMError(t, err, "InvalidRequestException", "managed by rds")
	// The idempotency record survives too.
	again := mustSM(c2.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("kept"),
		SecretString: aws.String("two"), ClientRequestToken: pending.VersionId, VersionStages: []string{"AWSPENDING"}}))(t)
	if aws.ToString(again.VersionId) != aws.ToString(pending.VersionId) {
		t.Fatalf("retry after restart created %s", aws.ToString(again.VersionId))
	}
}

// TestSMConcurrentPuts races writers on one secret: labels stay consistent
// (one AWSCURRENT, one AWSPREVIOUS) and every acknowledged put is durable.
func TestSMConcurrentPuts(t *testing.T) {
	dir := t.TempDir()
	srv, c := startSMServer(t, Options{DataDir: dir})
	ctx := smCtx(t)
	createSMSecret(t, c, "hot", "0")
	const writers, each = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("hot"),
					SecretString: aws.String(time.Now().String()), ClientRequestToken: aws.String(smToken(string(rune('a'+w)) + string(rune('a'+i))))})
				if err != nil {
					errs <- err
				}
				if _, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("hot")}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent call failed: %v", err)
	}
	stages := stagesOf(t, c, "hot")
	counts := map[string]int{}
	for _, st := range stages {
		for _, s := range st {
			counts[s]++
		}
	}
	if counts["AWSCURRENT"] != 1 || counts["AWSPREVIOUS"] != 1 || len(stages) != 2 {
		t.Fatalf("labels after concurrent puts: %v", stages)
	}
	if err := stopSMServer(srv); err != nil {
		t.Fatal(err)
	}
	_, c2 := startSMServer(t, Options{DataDir: dir})
	all := mustSM(c2.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("hot"), IncludeDeprecated: aws.Bool(true)}))(t)
	if len(all.Versions) != writers*each+1 {
		t.Fatalf("after restart %d versions, want %d", len(all.Versions), writers*each+1)
	}
}
