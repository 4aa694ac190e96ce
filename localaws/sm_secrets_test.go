package localaws

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

var smARNPattern = regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-[A-Za-z0-9]{6}$`)

func TestSMCreateGetDescribe(t *testing.T) {
	_, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	before := time.Now().Add(-time.Second)
	created := mustSM(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("app/db"), SecretString: aws.String(`{"password":"p1"}`),
		Description: aws.String("Application DB"),
		Tags:        []smtypes.Tag{{Key: aws.String("env"), Value: aws.String("staging")}},
	}))(t)
	arn := aws.ToString(created.ARN)
	if !smARNPattern.MatchString(arn) {
		t.Fatalf("ARN %q does not look like an AWS secret ARN", arn)
	}
	if aws.ToString(created.Name) != "app/db" || len(aws.ToString(created.VersionId)) < 32 {
		t.Fatalf("unexpected create output: name %q version %q", aws.ToString(created.Name), aws.ToString(created.VersionId))
	}

	// Name, full ARN and partial ARN (without the random suffix) all work.
	for _, id := range []string{"app/db", arn, arn[:len(arn)-7]} {
		got := valueAt(t, c, id, "AWSCURRENT")
		if aws.ToString(got.SecretString) != `{"password":"p1"}` || aws.ToString(got.ARN) != arn {
			t.Fatalf("GetSecretValue(%s): got %q from %s", id, aws.ToString(got.SecretString), aws.ToString(got.ARN))
		}
		if !sameSet(got.VersionStages, []string{"AWSCURRENT"}) || aws.ToString(got.VersionId) != aws.ToString(created.VersionId) {
			t.Fatalf("GetSecretValue(%s): stages %v version %s", id, got.VersionStages, aws.ToString(got.VersionId))
		}
		if got.CreatedDate == nil || got.CreatedDate.Before(before) {
			t.Fatalf("CreatedDate %v not set to now", got.CreatedDate)
		}
	}

	d := mustSM(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)}))(t)
	if aws.ToString(d.Description) != "Application DB" || tagMap(d.Tags)["env"] != "staging" {
		t.Fatalf("describe: description %q tags %v", aws.ToString(d.Description), tagMap(d.Tags))
	}
	if d.CreatedDate == nil || d.LastChangedDate == nil || d.DeletedDate != nil || d.OwningService != nil || d.RotationEnabled != nil {
		t.Fatalf("describe dates/fields: %+v", d)
	}
	if d.LastAccessedDate == nil || d.LastAccessedDate.After(time.Now()) || time.Since(*d.LastAccessedDate) > 25*time.Hour {
		t.Fatalf("LastAccessedDate should be today's date after a read, got %v", d.LastAccessedDate)
	}
	requireStages(t, d.VersionIdsToStages, map[string][]string{aws.ToString(created.VersionId): {"AWSCURRENT"}})

	// A binary secret round-trips through base64.
	blob := []byte{0, 1, 2, 250, 255}
	mustSM(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("bin"), SecretBinary: blob}))(t)
	gotBin := valueAt(t, c, "bin", "AWSCURRENT")
	if !bytes.Equal(gotBin.SecretBinary, blob) || gotBin.SecretString != nil {
		t.Fatalf("binary secret: got %v / %v", gotBin.SecretBinary, gotBin.SecretString)
	}

	// A secret created without a value has no versions and nothing to read.
	empty := mustSM(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("empty")}))(t)
	if empty.VersionId != nil {
		t.Fatalf("secret without value should have no VersionId, got %s", aws.ToString(empty.VersionId))
	}
	_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("empty")})
	requireSMError(t, err, "ResourceNotFoundException", "staging label: AWSCURRENT")
	if got := stagesOf(t, c, "empty"); len(got) != 0 {
		t.Fatalf("empty secret has versions %v", got)
	}

	// UpdateSecret changes metadata and, with a value, adds an AWSCURRENT version.
	upd := mustSM(c.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("app/db"),
		Description: aws.String("changed"), SecretString: aws.String(`{"password":"p2"}`)}))(t)
	requireStages(t, stagesOf(t, c, "app/db"), map[string][]string{
		aws.ToString(created.VersionId): {"AWSPREVIOUS"}, aws.ToString(upd.VersionId): {"AWSCURRENT"}})
	d = mustSM(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("app/db")}))(t)
	if aws.ToString(d.Description) != "changed" {
		t.Fatalf("UpdateSecret did not change the description: %q", aws.ToString(d.Description))
	}
}

func TestSMTokenIdempotency(t *testing.T) {
	_, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	tok := smToken("create")
	in := &secretsmanager.CreateSecretInput{Name: aws.String("idem"), SecretString: aws.String("v1"), ClientRequestToken: aws.String(tok)}
	first := mustSM(c.CreateSecret(ctx, in))(t)
	if aws.ToString(first.VersionId) != tok {
		t.Fatalf("ClientRequestToken must become the VersionId: got %s", aws.ToString(first.VersionId))
	}
	again := mustSM(c.CreateSecret(ctx, in))(t)
	if aws.ToString(again.ARN) != aws.ToString(first.ARN) || aws.ToString(again.VersionId) != tok {
		t.Fatalf("repeated create is not a no-op: %s/%s", aws.ToString(again.ARN), aws.ToString(again.VersionId))
	}
	_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("idem"), SecretString: aws.String("other"), ClientRequestToken: aws.String(tok)})
	requireSMError(t, err, "ResourceExistsException", "")
	_, err = c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("idem"), SecretString: aws.String("v1")})
	requireSMError(t, err, "ResourceExistsException", "already exists")

	putTok := smToken("put")
	put := &secretsmanager.PutSecretValueInput{SecretId: aws.String("idem"), SecretString: aws.String("v2"),
		ClientRequestToken: aws.String(putTok), VersionStages: []string{"AWSPENDING"}}
	p1 := mustSM(c.PutSecretValue(ctx, put))(t)
	p2 := mustSM(c.PutSecretValue(ctx, put))(t)
	if aws.ToString(p1.VersionId) != putTok || aws.ToString(p2.VersionId) != putTok || !sameSet(p2.VersionStages, []string{"AWSPENDING"}) {
		t.Fatalf("repeated put: %s %s %v", aws.ToString(p1.VersionId), aws.ToString(p2.VersionId), p2.VersionStages)
	}
	put.SecretString = aws.String("different")
	_, err = c.PutSecretValue(ctx, put)
	requireSMError(t, err, "ResourceExistsException", "")
	versions := mustSM(c.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("idem")}))(t)
	if len(versions.Versions) != 2 {
		t.Fatalf("retries must not add versions: %d versions", len(versions.Versions))
	}
	// Without a token the SDK generates one per call: each put is a new version.
	mustSM(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("idem"), SecretString: aws.String("v3")}))(t)
	if got := aws.ToString(valueAt(t, c, "idem", "AWSCURRENT").SecretString); got != "v3" {
		t.Fatalf("AWSCURRENT after put without token: %q", got)
	}
}

// TestSMRotationLabelSequence walks the label moves of a rotation the way
// credstage performs them, then a second rotation and a rollback.
func TestSMRotationLabelSequence(t *testing.T) {
	_, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	v1 := smToken("v1")
	mustSM(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("rot"), SecretString: aws.String("one"), ClientRequestToken: aws.String(v1)}))(t)

	// create: the new version gets only AWSPENDING.
	v2 := smToken("v2")
	mustSM(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("rot"), SecretString: aws.String("two"),
		ClientRequestToken: aws.String(v2), VersionStages: []string{"AWSPENDING"}}))(t)
	requireStages(t, stagesOf(t, c, "rot"), map[string][]string{v1: {"AWSCURRENT"}, v2: {"AWSPENDING"}})
	if got := aws.ToString(valueAt(t, c, "rot", "AWSPENDING").SecretString); got != "two" {
		t.Fatalf("AWSPENDING value %q", got)
	}
	if got := aws.ToString(valueAt(t, c, "rot", "AWSCURRENT").SecretString); got != "one" {
		t.Fatalf("AWSCURRENT must not move on a pending put: %q", got)
	}

	// promote: AWSCURRENT sits on v1, so RemoveFromVersionId is required.
	_, err := c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("rot"),
		VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(v2)})
	requireSMError(t, err, "InvalidParameterException", "RemoveFromVersionId")
	_, err = c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("rot"),
		VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(v2), RemoveFromVersionId: aws.String(v2)})
	requireSMError(t, err, "InvalidParameterException", "")
	mustSM(c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("rot"),
		VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(v2), RemoveFromVersionId: aws.String(v1)}))(t)
	requireStages(t, stagesOf(t, c, "rot"), map[string][]string{v1: {"AWSPREVIOUS"}, v2: {"AWSCURRENT", "AWSPENDING"}})
	mustSM(c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("rot"),
		VersionStage: aws.String("AWSPENDING"), RemoveFromVersionId: aws.String(v2)}))(t)
	requireStages(t, stagesOf(t, c, "rot"), map[string][]string{v1: {"AWSPREVIOUS"}, v2: {"AWSCURRENT"}})
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("rot"), VersionStage: aws.String("AWSPENDING")})
	requireSMError(t, err, "ResourceNotFoundException", "AWSPENDING")

	// A second rotation deprecates v1: no label left on it.
	v3 := smToken("v3")
	mustSM(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("rot"), SecretString: aws.String("three"),
		ClientRequestToken: aws.String(v3), VersionStages: []string{"AWSPENDING"}}))(t)
	mustSM(c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("rot"),
		VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(v3), RemoveFromVersionId: aws.String(v2)}))(t)
	mustSM(c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("rot"),
		VersionStage: aws.String("AWSPENDING"), RemoveFromVersionId: aws.String(v3)}))(t)
	requireStages(t, stagesOf(t, c, "rot"), map[string][]string{v2: {"AWSPREVIOUS"}, v3: {"AWSCURRENT"}})

	listed := mustSM(c.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("rot")}))(t)
	if len(listed.Versions) != 2 {
		t.Fatalf("without IncludeDeprecated only labelled versions are listed, got %d", len(listed.Versions))
	}
	all := mustSM(c.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("rot"), IncludeDeprecated: aws.Bool(true)}))(t)
	if len(all.Versions) != 3 {
		t.Fatalf("IncludeDeprecated lists every version, got %d", len(all.Versions))
	}
	for _, v := range all.Versions {
		if aws.ToString(v.VersionId) == v1 && len(v.VersionStages) != 0 {
			t.Fatalf("deprecated version still has labels %v", v.VersionStages)
		}
		if v.CreatedDate == nil {
			t.Fatalf("version %s has no CreatedDate", aws.ToString(v.VersionId))
		}
	}
	// The deprecated version stays readable by id.
	old := mustSM(c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("rot"), VersionId: aws.String(v1)}))(t)
	if aws.ToString(old.SecretString) != "one" || len(old.VersionStages) != 0 {
		t.Fatalf("deprecated version read: %q %v", aws.ToString(old.SecretString), old.VersionStages)
	}

	// Rollback: AWSCURRENT back to v2; AWSPREVIOUS follows to v3.
	mustSM(c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("rot"),
		VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(v2), RemoveFromVersionId: aws.String(v3)}))(t)
	requireStages(t, stagesOf(t, c, "rot"), map[string][]string{v2: {"AWSCURRENT"}, v3: {"AWSPREVIOUS"}})
	if got := aws.ToString(valueAt(t, c, "rot", "AWSCURRENT").SecretString); got != "two" {
		t.Fatalf("after rollback AWSCURRENT is %q", got)
	}
}

func TestSMPutSecretValueStages(t *testing.T) {
	_, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	// The first value of a secret always gets AWSCURRENT.
	mustSM(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("s")}))(t)
	first := mustSM(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("s"),
		SecretString: aws.String("a"), VersionStages: []string{"AWSPENDING"}}))(t)
	if !sameSet(first.VersionStages, []string{"AWSPENDING", "AWSCURRENT"}) {
		t.Fatalf("first version stages %v", first.VersionStages)
	}
	second := mustSM(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("s"), SecretString: aws.String("b")}))(t)
	third := mustSM(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("s"), SecretString: aws.String("c")}))(t)
	requireStages(t, stagesOf(t, c, "s"), map[string][]string{
		aws.ToString(first.VersionId):  {"AWSPENDING"},
		aws.ToString(second.VersionId): {"AWSPREVIOUS"},
		aws.ToString(third.VersionId):  {"AWSCURRENT"},
	})
	// Explicit labels move from wherever they are; custom labels work too.
	fourth := mustSM(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("s"), SecretString: aws.String("d"),
		VersionStages: []string{"AWSPENDING", "blue"}}))(t)
	requireStages(t, stagesOf(t, c, "s"), map[string][]string{
		aws.ToString(second.VersionId): {"AWSPREVIOUS"},
		aws.ToString(third.VersionId):  {"AWSCURRENT"},
		aws.ToString(fourth.VersionId): {"AWSPENDING", "blue"},
	})
	_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("s")})
	requireSMError(t, err, "InvalidParameterException", "SecretString or SecretBinary")
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("s"), SecretString: aws.String("x"), SecretBinary: []byte("x")})
	requireSMError(t, err, "InvalidParameterException", "both")
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("nope"), SecretString: aws.String("x")})
	requireSMError(t, err, "ResourceNotFoundException", smMsgNotFound)
}

func TestSMUpdateSecretVersionStageErrors(t *testing.T) {
	_, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	v1 := aws.ToString(createSMSecret(t, c, "labels", "one").VersionId)
	v2 := aws.ToString(mustSM(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("labels"),
		SecretString: aws.String("two"), VersionStages: []string{"AWSPENDING"}}))(t).VersionId)
	cases := []struct {
		name string
		in   secretsmanager.UpdateSecretVersionStageInput
		code string
	}{
		{"remove AWSCURRENT without moving it", secretsmanager.UpdateSecretVersionStageInput{VersionStage: aws.String("AWSCURRENT"), RemoveFromVersionId: aws.String(v1)}, "InvalidParameterException"},
		{"remove from a version that lacks the label", secretsmanager.UpdateSecretVersionStageInput{VersionStage: aws.String("AWSPENDING"), RemoveFromVersionId: aws.String(v1)}, "InvalidParameterException"},
		{"move to an unknown version", secretsmanager.UpdateSecretVersionStageInput{VersionStage: aws.String("blue"), MoveToVersionId: aws.String(smToken("unknown"))}, "InvalidParameterException"},
		{"move pending without naming its holder", secretsmanager.UpdateSecretVersionStageInput{VersionStage: aws.String("AWSPENDING"), MoveToVersionId: aws.String(v1)}, "InvalidParameterException"},
		{"neither version given", secretsmanager.UpdateSecretVersionStageInput{VersionStage: aws.String("AWSPENDING")}, "InvalidParameterException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.SecretId = aws.String("labels")
			_, err := c.UpdateSecretVersionStage(ctx, &in)
			requireSMError(t, err, tc.code, "")
		})
	}
	requireStages(t, stagesOf(t, c, "labels"), map[string][]string{v1: {"AWSCURRENT"}, v2: {"AWSPENDING"}})
	// A label not attached anywhere needs no RemoveFromVersionId.
	mustSM(c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("labels"),
		VersionStage: aws.String("blue"), MoveToVersionId: aws.String(v1)}))(t)
	requireStages(t, stagesOf(t, c, "labels"), map[string][]string{v1: {"AWSCURRENT", "blue"}, v2: {"AWSPENDING"}})
	_, err := c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("missing"),
		VersionStage: aws.String("blue"), MoveToVersionId: aws.String(v1)})
	requireSMError(t, err, "ResourceNotFoundException", "")
}

func TestSMGetSecretValueSelectors(t *testing.T) {
	_, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	v1 := aws.ToString(createSMSecret(t, c, "sel", "one").VersionId)
	v2 := aws.ToString(mustSM(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("sel"), SecretString: aws.String("two")}))(t).VersionId)
	byID := mustSM(c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("sel"), VersionId: aws.String(v1)}))(t)
	if aws.ToString(byID.SecretString) != "one" || !sameSet(byID.VersionStages, []string{"AWSPREVIOUS"}) {
		t.Fatalf("by id: %q %v", aws.ToString(byID.SecretString), byID.VersionStages)
	}
	both := mustSM(c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("sel"), VersionId: aws.String(v2), VersionStage: aws.String("AWSCURRENT")}))(t)
	if aws.ToString(both.SecretString) != "two" {
		t.Fatalf("by id and stage: %q", aws.ToString(both.SecretString))
	}
	_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("sel"), VersionId: aws.String(v1), VersionStage: aws.String("AWSCURRENT")})
	requireSMError(t, err, "ResourceNotFoundException", "")
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("sel"), VersionId: aws.String(smToken("nope"))})
	requireSMError(t, err, "ResourceNotFoundException", "VersionId")
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("sel"), VersionStage: aws.String("blue")})
	requireSMError(t, err, "ResourceNotFoundException", "staging label: blue")
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")})
	requireSMError(t, err, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	// An ARN with the wrong suffix names no secret.
	arn := aws.ToString(both.ARN)
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn[:len(arn)-6] + "ZZZZZZ")})
	requireSMError(t, err, "ResourceNotFoundException", "")
}

func TestSMValidationErrors(t *testing.T) {
	_, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	createSMSecret(t, c, "valid", "x")
	cases := []struct {
		name string
		in   secretsmanager.CreateSecretInput
		code string
	}{
		{"name with a space", secretsmanager.CreateSecretInput{Name: aws.String("bad name")}, "InvalidParameterException"},
		{"name with !", secretsmanager.CreateSecretInput{Name: aws.String("rds!db")}, "InvalidParameterException"},
		{"name too long", secretsmanager.CreateSecretInput{Name: aws.String(strings.Repeat("a", 513))}, "ValidationException"},
		{"string and binary", secretsmanager.CreateSecretInput{Name: aws.String("both"), SecretString: aws.String("a"), SecretBinary: []byte("b")}, "InvalidParameterException"},
		{"value over 64 KiB", secretsmanager.CreateSecretInput{Name: aws.String("big"), SecretString: aws.String(strings.Repeat("x", 65537))}, "ValidationException"},
		{"token too short", secretsmanager.CreateSecretInput{Name: aws.String("tok"), ClientRequestToken: aws.String("short")}, "ValidationException"},
		{"description too long", secretsmanager.CreateSecretInput{Name: aws.String("desc"), Description: aws.String(strings.Repeat("d", 2049))}, "ValidationException"},
		{"reserved tag key", secretsmanager.CreateSecretInput{Name: aws.String("tag"), Tags: []smtypes.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}}, "InvalidParameterException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			_, err := c.CreateSecret(ctx, &in)
			requireSMError(t, err, tc.code, "")
		})
	}
	// Exactly 64 KiB is allowed.
	mustSM(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("max"), SecretString: aws.String(strings.Repeat("x", 65536))}))(t)
	// Names may use every documented character.
	mustSM(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("a/b_c+d=e.f@g-h"), SecretString: aws.String("x")}))(t)
}

func TestSMTags(t *testing.T) {
	_, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	mustSM(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("tagged"), SecretString: aws.String("x"),
		Tags: []smtypes.Tag{{Key: aws.String("env"), Value: aws.String("staging")}, {Key: aws.String("team"), Value: aws.String("db")}}}))(t)
	mustSM(c.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String("tagged"),
		Tags: []smtypes.Tag{{Key: aws.String("env"), Value: aws.String("production")}, {Key: aws.String("owner"), Value: aws.String("ops")}}}))(t)
	d := mustSM(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("tagged")}))(t)
	if got := tagMap(d.Tags); len(got) != 3 || got["env"] != "production" || got["team"] != "db" || got["owner"] != "ops" {
		t.Fatalf("after TagResource: %v", got)
	}
	mustSM(c.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: aws.String("tagged"), TagKeys: []string{"team", "absent"}}))(t)
	d = mustSM(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("tagged")}))(t)
	if got := tagMap(d.Tags); len(got) != 2 || got["team"] != "" {
		t.Fatalf("after UntagResource: %v", got)
	}
	_, err := c.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String("tagged"), Tags: []smtypes.Tag{{Key: aws.String("aws:rds"), Value: aws.String("x")}}})
	requireSMError(t, err, "InvalidParameterException", "aws:")
	_, err = c.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String("nope"), Tags: []smtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	requireSMError(t, err, "ResourceNotFoundException", "")
	many := make([]smtypes.Tag, 49)
	for i := range many {
		many[i] = smtypes.Tag{Key: aws.String("k" + strings.Repeat("x", i)), Value: aws.String("v")}
	}
	_, err = c.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String("tagged"), Tags: many})
	requireSMError(t, err, "InvalidParameterException", "50")
}
