package localaws

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
)

// TestSMErrorsAsAWS pins code and whole message of the refusals credstage
// can meet, as AWS words them (moto's validated messages, the SDK
// fixtures and AWS CLI output quoted in issues), so a change of wording is
// a conscious one. "{arn}" stands for the secret's ARN.
func TestSMErrorsAsAWS(t *testing.T) {
	_, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	tok := smToken("errors-first")
	created := mustSM(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("errs"),
		SecretString: aws.String("one"), ClientRequestToken: aws.String(tok)}))(t)
	putTok := smToken("errors-put")
	mustSM(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("errs"),
		SecretString: aws.String("two"), ClientRequestToken: aws.String(putTok), VersionStages: []string{"AWSPENDING"}}))(t)
	mustSM(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("gone"), SecretString: aws.String("x")}))(t)
	mustSM(c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("gone")}))(t)
	lambda := "arn:aws:lambda:us-east-1:000000000000:function:rot"

	cases := []struct {
		name, code, msg string
		call            func(context.Context) error
	}{
		{"PutSecretValue token reused with another value", "ResourceExistsException",
			"You can't use ClientRequestToken " + putTok + " because that value is already in use for a version of secret {arn}.",
			func(ctx context.Context) error {
				_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("errs"),
					SecretString: aws.String("three"), ClientRequestToken: aws.String(putTok)})
				return err
			}},
		{"CreateSecret token reused with another value", "ResourceExistsException",
			"You can't use ClientRequestToken " + tok + " because that value is already in use for a version of secret {arn}.",
			func(ctx context.Context) error {
				_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("errs"),
					SecretString: aws.String("other"), ClientRequestToken: aws.String(tok)})
				return err
			}},
		{"UpdateSecret token reused with another value", "ResourceExistsException",
			"You can't use ClientRequestToken " + tok + " because that value is already in use for a version of secret {arn}.",
			func(ctx context.Context) error {
				_, err := c.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("errs"),
					SecretString: aws.String("other"), ClientRequestToken: aws.String(tok)})
				return err
			}},
		{"CreateSecret of a name that exists", "ResourceExistsException",
			"The operation failed because the secret errs already exists.",
			func(ctx context.Context) error {
				_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("errs"), SecretString: aws.String("x")})
				return err
			}},
		{"DescribeSecret of an unknown secret", "ResourceNotFoundException", smMsgNotFound,
			func(ctx context.Context) error {
				_, err := c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("nope")})
				return err
			}},
		{"GetSecretValue of an unknown stage", "ResourceNotFoundException",
			"Secrets Manager can't find the specified secret value for staging label: NOPE",
			func(ctx context.Context) error {
				_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("errs"), VersionStage: aws.String("NOPE")})
				return err
			}},
		{"GetSecretValue of a deleted secret", "InvalidRequestException", smMsgMarkedDeletion,
			func(ctx context.Context) error {
				_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("gone")})
				return err
			}},
		{"RotateSecret without a Lambda", "InvalidRequestException",
			"No Lambda rotation function ARN is associated with this secret.",
			func(ctx context.Context) error {
				_, err := c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("errs")})
				return err
			}},
		{"RotateSecret AutomaticallyAfterDays out of range", "InvalidParameterException",
			"RotationRules.AutomaticallyAfterDays must be within 1-1000.",
			func(ctx context.Context) error {
				_, err := c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("errs"), RotationLambdaARN: aws.String(lambda),
					RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(1001)}})
				return err
			}},
		{"RotateSecret token too short", "InvalidParameterException",
			"ClientRequestToken must be 32-64 characters long.",
			func(ctx context.Context) error {
				_, err := c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("errs"), RotationLambdaARN: aws.String(lambda),
					ClientRequestToken: aws.String("short")})
				return err
			}},
		{"RotateSecret Lambda ARN too long", "InvalidParameterException",
			"RotationLambdaARN must be at most 2048 characters long.",
			func(ctx context.Context) error {
				_, err := c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("errs"),
					RotationLambdaARN: aws.String(strings.Repeat("a", 2049))})
				return err
			}},
		{"DeleteSecret window and force together", "InvalidParameterException",
			"You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
			func(ctx context.Context) error {
				_, err := c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("errs"),
					RecoveryWindowInDays: aws.Int64(7), ForceDeleteWithoutRecovery: aws.Bool(true)})
				return err
			}},
		{"DeleteSecret window out of range", "InvalidParameterException",
			"The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
			func(ctx context.Context) error {
				_, err := c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("errs"), RecoveryWindowInDays: aws.Int64(3)})
				return err
			}},
		{"UpdateSecretVersionStage moving AWSCURRENT without RemoveFromVersionId", "InvalidParameterException",
			"The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version " + tok +
				", so you must explicitly reference that version in RemoveFromVersionId.",
			func(ctx context.Context) error {
				_, err := c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("errs"),
					VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(putTok)})
				return err
			}},
		{"GetRandomPassword too long", "ValidationException",
			"1 validation error detected: Value '4097' at 'passwordLength' failed to satisfy constraint: Member must have value less than or equal to 4096",
			func(ctx context.Context) error {
				_, err := c.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(4097)})
				return err
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(ctx)
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("want %s, got %v", tc.code, err)
			}
			want := strings.ReplaceAll(tc.msg, "{arn}", aws.ToString(created.ARN))
			if apiErr.ErrorCode() != tc.code || apiErr.ErrorMessage() != want {
				t.Fatalf("got %s %q\nwant %s %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), tc.code, want)
			}
		})
	}
}
