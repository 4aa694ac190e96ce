//go:build conformance

package main

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm2 "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Secrets Manager: every operation credstage calls, and the errors the
// API reference documents for them. Each case has its own secret names
// (conf/<case>/...), so ListSecrets filters see only their own.

func smStep(op string, in any) step { return step{svc: sm, op: op, in: in} }

// setup is a call made to reach a state, not compared.
func setup(s step) step { s.skip = true; return s }

func create(name, value string, token int) step {
	return smStep("CreateSecret", &sm2.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value), ClientRequestToken: aws.String(tok(token))})
}

func describe(name string) step {
	return smStep("DescribeSecret", &sm2.DescribeSecretInput{SecretId: aws.String(name)})
}

func getValue(name string) step {
	return smStep("GetSecretValue", &sm2.GetSecretValueInput{SecretId: aws.String(name)})
}

func put(name, value string, token int, stages ...string) step {
	in := &sm2.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value), ClientRequestToken: aws.String(tok(token))}
	if len(stages) > 0 {
		in.VersionStages = stages
	}
	return smStep("PutSecretValue", in)
}

func moveStage(name, stage string, to, from int) step {
	in := &sm2.UpdateSecretVersionStageInput{SecretId: aws.String(name), VersionStage: aws.String(stage)}
	if to > 0 {
		in.MoveToVersionId = aws.String(tok(to))
	}
	if from > 0 {
		in.RemoveFromVersionId = aws.String(tok(from))
	}
	return smStep("UpdateSecretVersionStage", in)
}

func versions(name string, deprecated bool) step {
	return smStep("ListSecretVersionIds", &sm2.ListSecretVersionIdsInput{SecretId: aws.String(name), IncludeDeprecated: aws.Bool(deprecated)})
}

func listSecrets(filters ...smtypes.Filter) step {
	return smStep("ListSecrets", &sm2.ListSecretsInput{Filters: filters})
}

func filter(key smtypes.FilterNameStringType, values ...string) smtypes.Filter {
	return smtypes.Filter{Key: key, Values: values}
}

func password(in *sm2.GetRandomPasswordInput) step { return smStep("GetRandomPassword", in) }

func secretsManagerCases() []testCase {
	const v = `{"username":"app","password":"p1"}`
	const v2 = `{"username":"app","password":"p2"}`
	return []testCase{
		{id: "sm/create-describe-get", steps: []step{
			create("conf/basic/a", v, 1),
			describe("conf/basic/a"),
			getValue("conf/basic/a"),
		}},
		{id: "sm/create-generated-token", steps: []step{
			smStep("CreateSecret", &sm2.CreateSecretInput{Name: aws.String("conf/gen/a"), SecretString: aws.String(v)}),
			versions("conf/gen/a", false),
		}},
		{id: "sm/create-with-tags-description", steps: []step{
			smStep("CreateSecret", &sm2.CreateSecretInput{Name: aws.String("conf/tags/a"), SecretString: aws.String(v), ClientRequestToken: aws.String(tok(1)),
				Description: aws.String("conformance"), Tags: []smtypes.Tag{{Key: aws.String("credstage:environment"), Value: aws.String("staging")}, {Key: aws.String("team"), Value: aws.String("db")}}}),
			describe("conf/tags/a"),
		}},
		{id: "sm/create-binary", steps: []step{
			smStep("CreateSecret", &sm2.CreateSecretInput{Name: aws.String("conf/bin/a"), SecretBinary: []byte{0, 1, 2, 255}, ClientRequestToken: aws.String(tok(1))}),
			getValue("conf/bin/a"),
		}},
		{id: "sm/create-without-value", steps: []step{
			smStep("CreateSecret", &sm2.CreateSecretInput{Name: aws.String("conf/novalue/a")}),
			describe("conf/novalue/a"),
			getValue("conf/novalue/a"),
		}},
		{id: "sm/create-string-and-binary", steps: []step{
			smStep("CreateSecret", &sm2.CreateSecretInput{Name: aws.String("conf/both/a"), SecretString: aws.String(v), SecretBinary: []byte("x"), ClientRequestToken: aws.String(tok(1))}),
		}},
		{id: "sm/create-existing-name", steps: []step{
			setup(create("conf/dup/a", v, 1)),
			create("conf/dup/a", v, 2),
		}},
		{id: "sm/create-same-token-same-value", steps: []step{
			setup(create("conf/idem/a", v, 1)),
			create("conf/idem/a", v, 1),
		}},
		{id: "sm/create-same-token-other-value", steps: []step{
			setup(create("conf/idem2/a", v, 1)),
			create("conf/idem2/a", v2, 1),
		}},
		{id: "sm/create-invalid-name", steps: []step{
			create("conf/bad name!", v, 1),
		}},
		{id: "sm/create-short-token", steps: []step{
			smStep("CreateSecret", &sm2.CreateSecretInput{Name: aws.String("conf/shorttok/a"), SecretString: aws.String(v), ClientRequestToken: aws.String("short")}),
		}},
		{id: "sm/describe-missing", steps: []step{describe("conf/missing/a")}},
		{id: "sm/get-missing", steps: []step{getValue("conf/missing/a")}},
		{id: "sm/get-by-arn-and-partial-arn", steps: []step{
			create("conf/arn/a", v, 1),
			{svc: sm, op: "GetSecretValue", inFrom: func(prev []any) (any, error) {
				arn := aws.ToString(prev[0].(*sm2.CreateSecretOutput).ARN)
				return &sm2.GetSecretValueInput{SecretId: aws.String(arn)}, nil
			}},
			{svc: sm, op: "DescribeSecret", inFrom: func(prev []any) (any, error) {
				arn := aws.ToString(prev[0].(*sm2.CreateSecretOutput).ARN)
				return &sm2.DescribeSecretInput{SecretId: aws.String(arn[:len(arn)-7])}, nil
			}},
		}},
		{id: "sm/get-by-stage-and-version", steps: []step{
			setup(create("conf/stages/a", v, 1)),
			setup(put("conf/stages/a", v2, 2)),
			smStep("GetSecretValue", &sm2.GetSecretValueInput{SecretId: aws.String("conf/stages/a"), VersionStage: aws.String("AWSPREVIOUS")}),
			smStep("GetSecretValue", &sm2.GetSecretValueInput{SecretId: aws.String("conf/stages/a"), VersionId: aws.String(tok(2))}),
			smStep("GetSecretValue", &sm2.GetSecretValueInput{SecretId: aws.String("conf/stages/a"), VersionId: aws.String(tok(1)), VersionStage: aws.String("AWSCURRENT")}),
		}},
		{id: "sm/get-unknown-version-and-stage", steps: []step{
			setup(create("conf/unknownver/a", v, 1)),
			smStep("GetSecretValue", &sm2.GetSecretValueInput{SecretId: aws.String("conf/unknownver/a"), VersionId: aws.String(tok(9))}),
			smStep("GetSecretValue", &sm2.GetSecretValueInput{SecretId: aws.String("conf/unknownver/a"), VersionStage: aws.String("AWSPENDING")}),
		}},
		{id: "sm/put-new-current", steps: []step{
			setup(create("conf/put/a", v, 1)),
			put("conf/put/a", v2, 2),
			describe("conf/put/a"),
			versions("conf/put/a", false),
			getValue("conf/put/a"),
		}},
		{id: "sm/put-pending", steps: []step{
			setup(create("conf/pending/a", v, 1)),
			put("conf/pending/a", v2, 2, "AWSPENDING"),
			describe("conf/pending/a"),
			getValue("conf/pending/a"),
		}},
		{id: "sm/put-same-token-same-value", steps: []step{
			setup(create("conf/putidem/a", v, 1)),
			setup(put("conf/putidem/a", v2, 2, "AWSPENDING")),
			put("conf/putidem/a", v2, 2, "AWSPENDING"),
			describe("conf/putidem/a"),
		}},
		{id: "sm/put-same-token-other-value", steps: []step{
			setup(create("conf/putidem2/a", v, 1)),
			setup(put("conf/putidem2/a", v2, 2, "AWSPENDING")),
			put("conf/putidem2/a", `{"other":true}`, 2, "AWSPENDING"),
		}},
		{id: "sm/put-missing-secret", steps: []step{put("conf/missing/b", v, 1)}},
		{id: "sm/put-without-value", steps: []step{
			setup(create("conf/putnovalue/a", v, 1)),
			smStep("PutSecretValue", &sm2.PutSecretValueInput{SecretId: aws.String("conf/putnovalue/a"), ClientRequestToken: aws.String(tok(2))}),
		}},
		{id: "sm/put-string-and-binary", steps: []step{
			setup(create("conf/putboth/a", v, 1)),
			smStep("PutSecretValue", &sm2.PutSecretValueInput{SecretId: aws.String("conf/putboth/a"), SecretString: aws.String(v), SecretBinary: []byte("x"), ClientRequestToken: aws.String(tok(2))}),
		}},
		{id: "sm/stage-promote", steps: []step{
			setup(create("conf/promote/a", v, 1)),
			setup(put("conf/promote/a", v2, 2, "AWSPENDING")),
			moveStage("conf/promote/a", "AWSCURRENT", 2, 1),
			moveStage("conf/promote/a", "AWSPENDING", 0, 2),
			describe("conf/promote/a"),
			versions("conf/promote/a", true),
		}},
		{id: "sm/stage-move-without-remove", steps: []step{
			setup(create("conf/moveonly/a", v, 1)),
			setup(put("conf/moveonly/a", v2, 2, "AWSPENDING")),
			moveStage("conf/moveonly/a", "AWSCURRENT", 2, 0),
			describe("conf/moveonly/a"),
		}},
		{id: "sm/stage-remove-wrong-version", steps: []step{
			setup(create("conf/wrongremove/a", v, 1)),
			setup(put("conf/wrongremove/a", v2, 2, "AWSPENDING")),
			moveStage("conf/wrongremove/a", "AWSCURRENT", 2, 2),
		}},
		{id: "sm/stage-unknown-version", steps: []step{
			setup(create("conf/unknownmove/a", v, 1)),
			moveStage("conf/unknownmove/a", "AWSPENDING", 9, 0),
		}},
		{id: "sm/stage-remove-current-only", steps: []step{
			setup(create("conf/removecurrent/a", v, 1)),
			moveStage("conf/removecurrent/a", "AWSCURRENT", 0, 1),
			describe("conf/removecurrent/a"),
		}},
		{id: "sm/stage-custom-label", steps: []step{
			setup(create("conf/custom/a", v, 1)),
			setup(put("conf/custom/a", v2, 2, "AWSPENDING")),
			moveStage("conf/custom/a", "credstage-lease", 2, 0),
			describe("conf/custom/a"),
			smStep("GetSecretValue", &sm2.GetSecretValueInput{SecretId: aws.String("conf/custom/a"), VersionStage: aws.String("credstage-lease")}),
		}},
		{id: "sm/stage-already-there", steps: []step{
			setup(create("conf/noop/a", v, 1)),
			moveStage("conf/noop/a", "AWSCURRENT", 1, 0),
		}},
		{id: "sm/stage-missing-secret", steps: []step{moveStage("conf/missing/c", "AWSCURRENT", 1, 0)}},
		{id: "sm/list-version-ids-missing", steps: []step{versions("conf/missing/d", false)}},
		{id: "sm/list-secrets-filters", steps: []step{
			setup(smStep("CreateSecret", &sm2.CreateSecretInput{Name: aws.String("conf/list/one"), SecretString: aws.String(v), ClientRequestToken: aws.String(tok(1)),
				Description: aws.String("first of the list"), Tags: []smtypes.Tag{{Key: aws.String("credstage:environment"), Value: aws.String("staging")}}})),
			setup(smStep("CreateSecret", &sm2.CreateSecretInput{Name: aws.String("conf/list/two"), SecretString: aws.String(v), ClientRequestToken: aws.String(tok(2)),
				Tags: []smtypes.Tag{{Key: aws.String("credstage:environment"), Value: aws.String("production")}}})),
			listSecrets(filter(smtypes.FilterNameStringTypeName, "conf/list/")),
			listSecrets(filter(smtypes.FilterNameStringTypeTagKey, "credstage:environment"), filter(smtypes.FilterNameStringTypeName, "conf/list/")),
			listSecrets(filter(smtypes.FilterNameStringTypeTagValue, "staging"), filter(smtypes.FilterNameStringTypeName, "conf/list/")),
			listSecrets(filter(smtypes.FilterNameStringTypeDescription, "first"), filter(smtypes.FilterNameStringTypeName, "conf/list/")),
			listSecrets(filter(smtypes.FilterNameStringTypeAll, "production"), filter(smtypes.FilterNameStringTypeName, "conf/list/")),
			listSecrets(filter(smtypes.FilterNameStringTypeName, "!conf/list/one"), filter(smtypes.FilterNameStringTypeName, "conf/list/")),
		}},
		{id: "sm/list-secrets-bad-filter", steps: []step{
			listSecrets(filter("colour", "blue")),
		}},
		{id: "sm/list-secrets-planned-deletion", steps: []step{
			setup(create("conf/listdel/a", v, 1)),
			setup(smStep("DeleteSecret", &sm2.DeleteSecretInput{SecretId: aws.String("conf/listdel/a"), RecoveryWindowInDays: aws.Int64(7)})),
			listSecrets(filter(smtypes.FilterNameStringTypeName, "conf/listdel/")),
			smStep("ListSecrets", &sm2.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true), Filters: []smtypes.Filter{filter(smtypes.FilterNameStringTypeName, "conf/listdel/")}}),
		}},
		{id: "sm/random-password-default", steps: []step{password(&sm2.GetRandomPasswordInput{})}},
		{id: "sm/random-password-credstage", steps: []step{
			// What credstage asks for (DESIGN: length 32 without / @ " ' \ : and space).
			password(&sm2.GetRandomPasswordInput{PasswordLength: aws.Int64(32), ExcludeCharacters: aws.String(`/@"'\:`), ExcludePunctuation: aws.Bool(false), IncludeSpace: aws.Bool(false)}),
		}},
		{id: "sm/random-password-classes", steps: []step{
			password(&sm2.GetRandomPasswordInput{PasswordLength: aws.Int64(20), ExcludePunctuation: aws.Bool(true)}),
			password(&sm2.GetRandomPasswordInput{PasswordLength: aws.Int64(20), ExcludeNumbers: aws.Bool(true), ExcludeUppercase: aws.Bool(true)}),
			password(&sm2.GetRandomPasswordInput{PasswordLength: aws.Int64(40), IncludeSpace: aws.Bool(true), RequireEachIncludedType: aws.Bool(true)}),
		}},
		{id: "sm/random-password-bad-length", steps: []step{
			password(&sm2.GetRandomPasswordInput{PasswordLength: aws.Int64(0)}),
			password(&sm2.GetRandomPasswordInput{PasswordLength: aws.Int64(4097)}),
		}},
		{id: "sm/random-password-nothing-left", steps: []step{
			password(&sm2.GetRandomPasswordInput{ExcludeLowercase: aws.Bool(true), ExcludeUppercase: aws.Bool(true), ExcludeNumbers: aws.Bool(true), ExcludePunctuation: aws.Bool(true)}),
		}},
		{id: "sm/random-password-too-short-for-types", steps: []step{
			password(&sm2.GetRandomPasswordInput{PasswordLength: aws.Int64(3), RequireEachIncludedType: aws.Bool(true)}),
		}},
		{id: "sm/delete-with-recovery", steps: []step{
			setup(create("conf/del/a", v, 1)),
			smStep("DeleteSecret", &sm2.DeleteSecretInput{SecretId: aws.String("conf/del/a"), RecoveryWindowInDays: aws.Int64(7)}),
			describe("conf/del/a"),
			getValue("conf/del/a"),
			put("conf/del/a", v2, 2),
			smStep("DeleteSecret", &sm2.DeleteSecretInput{SecretId: aws.String("conf/del/a"), RecoveryWindowInDays: aws.Int64(7)}),
		}},
		{id: "sm/delete-force", steps: []step{
			setup(create("conf/delforce/a", v, 1)),
			smStep("DeleteSecret", &sm2.DeleteSecretInput{SecretId: aws.String("conf/delforce/a"), ForceDeleteWithoutRecovery: aws.Bool(true)}),
			describe("conf/delforce/a"),
		}},
		{id: "sm/delete-bad-parameters", steps: []step{
			setup(create("conf/delbad/a", v, 1)),
			smStep("DeleteSecret", &sm2.DeleteSecretInput{SecretId: aws.String("conf/delbad/a"), RecoveryWindowInDays: aws.Int64(3)}),
			smStep("DeleteSecret", &sm2.DeleteSecretInput{SecretId: aws.String("conf/delbad/a"), RecoveryWindowInDays: aws.Int64(31)}),
			smStep("DeleteSecret", &sm2.DeleteSecretInput{SecretId: aws.String("conf/delbad/a"), RecoveryWindowInDays: aws.Int64(7), ForceDeleteWithoutRecovery: aws.Bool(true)}),
		}},
		{id: "sm/delete-missing", steps: []step{
			smStep("DeleteSecret", &sm2.DeleteSecretInput{SecretId: aws.String("conf/missing/e")}),
		}},
		{id: "sm/resource-policy", steps: []step{
			setup(create("conf/policy/a", v, 1)),
			smStep("GetResourcePolicy", &sm2.GetResourcePolicyInput{SecretId: aws.String("conf/policy/a")}),
			smStep("PutResourcePolicy", &sm2.PutResourcePolicyInput{SecretId: aws.String("conf/policy/a"), ResourcePolicy: aws.String(denyPolicy)}),
			smStep("GetResourcePolicy", &sm2.GetResourcePolicyInput{SecretId: aws.String("conf/policy/a")}),
		}},
		{id: "sm/resource-policy-malformed", steps: []step{
			setup(create("conf/badpolicy/a", v, 1)),
			smStep("PutResourcePolicy", &sm2.PutResourcePolicyInput{SecretId: aws.String("conf/badpolicy/a"), ResourcePolicy: aws.String(`{"Version": "2012-10-17", "Statement": [`)}),
		}},
		{id: "sm/resource-policy-missing-secret", steps: []step{
			smStep("PutResourcePolicy", &sm2.PutResourcePolicyInput{SecretId: aws.String("conf/missing/f"), ResourcePolicy: aws.String(denyPolicy)}),
			smStep("GetResourcePolicy", &sm2.GetResourcePolicyInput{SecretId: aws.String("conf/missing/f")}),
		}},
		{id: "sm/tag-resource", steps: []step{
			setup(create("conf/tag/a", v, 1)),
			smStep("TagResource", &sm2.TagResourceInput{SecretId: aws.String("conf/tag/a"), Tags: []smtypes.Tag{{Key: aws.String("credstage:managed"), Value: aws.String("true")}}}),
			smStep("TagResource", &sm2.TagResourceInput{SecretId: aws.String("conf/tag/a"), Tags: []smtypes.Tag{{Key: aws.String("credstage:managed"), Value: aws.String("false")}}}),
			describe("conf/tag/a"),
		}},
		{id: "sm/tag-missing-secret", steps: []step{
			smStep("TagResource", &sm2.TagResourceInput{SecretId: aws.String("conf/missing/g"), Tags: []smtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}),
		}},
		{id: "sm/rotate-parameter-checks", steps: []step{
			setup(create("conf/rotate/a", v, 1)),
			smStep("RotateSecret", &sm2.RotateSecretInput{SecretId: aws.String("conf/rotate/a"), RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(0)}}),
			smStep("RotateSecret", &sm2.RotateSecretInput{SecretId: aws.String("conf/rotate/a"), RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(1001)}}),
			smStep("RotateSecret", &sm2.RotateSecretInput{SecretId: aws.String("conf/rotate/a"), RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(7), ScheduleExpression: aws.String("rate(10 days)")}}),
			smStep("RotateSecret", &sm2.RotateSecretInput{SecretId: aws.String("conf/rotate/a"), ClientRequestToken: aws.String("short")}),
			smStep("RotateSecret", &sm2.RotateSecretInput{SecretId: aws.String("conf/rotate/a")}),
		}},
		{id: "sm/list-secrets-paged", steps: []step{
			setup(create("conf/paged/a", v, 1)),
			setup(create("conf/paged/b", v, 2)),
			smStep("ListSecrets", &sm2.ListSecretsInput{MaxResults: aws.Int32(1), Filters: []smtypes.Filter{filter(smtypes.FilterNameStringTypeName, "conf/paged/")}}),
			{svc: sm, op: "ListSecrets", inFrom: func(prev []any) (any, error) {
				out, ok := prev[2].(*sm2.ListSecretsOutput)
				if !ok || out.NextToken == nil {
					return nil, errors.New("no NextToken on the first page")
				}
				return &sm2.ListSecretsInput{MaxResults: aws.Int32(1), NextToken: out.NextToken, Filters: []smtypes.Filter{filter(smtypes.FilterNameStringTypeName, "conf/paged/")}}, nil
			}},
		}},
		{id: "sm/create-name-scheduled-for-deletion", steps: []step{
			setup(create("conf/recreate/a", v, 1)),
			setup(smStep("DeleteSecret", &sm2.DeleteSecretInput{SecretId: aws.String("conf/recreate/a"), RecoveryWindowInDays: aws.Int64(7)})),
			create("conf/recreate/a", v, 2),
		}},
		{id: "sm/tag-reserved-prefix", steps: []step{
			setup(create("conf/awstag/a", v, 1)),
			smStep("TagResource", &sm2.TagResourceInput{SecretId: aws.String("conf/awstag/a"), Tags: []smtypes.Tag{{Key: aws.String("aws:team"), Value: aws.String("db")}}}),
		}},
		{id: "sm/rotate-missing-secret", steps: []step{
			smStep("RotateSecret", &sm2.RotateSecretInput{SecretId: aws.String("conf/missing/h")}),
		}},
	}
}

const denyPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"secretsmanager:DeleteSecret","Resource":"*"}]}`
