package activities

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Staging labels, exactly as AWS names them.
const (
	stageCurrent  = "AWSCURRENT"
	stagePending  = "AWSPENDING"
	stagePrevious = "AWSPREVIOUS"
)

// secretState is a secret's labelled versions, as DescribeSecret tells.
type secretState struct {
	ARN    string
	Name   string
	stages map[string][]string // version id -> labels
}

func (s secretState) versionWith(stage string) string {
	for id, labels := range s.stages {
		if slices.Contains(labels, stage) {
			return id
		}
	}
	return ""
}

func (s secretState) has(versionID, stage string) bool {
	return slices.Contains(s.stages[versionID], stage)
}

func secretSubject(secretID string) string { return "secret " + secretID }

func (a *Activities) describeSecret(ctx context.Context, secretID string) (secretState, error) {
	out, err := a.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretID)})
	if err != nil {
		return secretState{}, awsError(ctx, secretSubject(secretID), "DescribeSecret", err)
	}
	if out.DeletedDate != nil {
		return secretState{}, nonRetryable(ErrSecretNotFound, "secret "+secretID+" is scheduled for deletion")
	}
	return secretState{ARN: aws.ToString(out.ARN), Name: aws.ToString(out.Name), stages: out.VersionIdsToStages}, nil
}

// secretString reads one version, by id when versionID is set, else by
// stage. It returns the version id read.
func (a *Activities) secretString(ctx context.Context, secretID, versionID, stage string) (string, string, error) {
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	} else {
		in.VersionStage = aws.String(stage)
	}
	out, err := a.sm.GetSecretValue(ctx, in)
	if err != nil {
		return "", "", awsError(ctx, secretSubject(secretID), "GetSecretValue", err)
	}
	if out.SecretString == nil {
		return "", "", malformed(secretID, "the version holds no SecretString")
	}
	return *out.SecretString, aws.ToString(out.VersionId), nil
}

// appSecret reads and parses one version of an application secret.
func (a *Activities) appSecret(ctx context.Context, secretID, versionID, stage string) (DBSecret, string, error) {
	value, id, err := a.secretString(ctx, secretID, versionID, stage)
	if err != nil {
		return DBSecret{}, "", err
	}
	s, err := parseAppSecret(secretID, value)
	return s, id, err
}

// moveStage moves a label: onto moveTo (when set) and off removeFrom
// (when set).
func (a *Activities) moveStage(ctx context.Context, secretID, stage, moveTo, removeFrom string) error {
	in := &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String(secretID), VersionStage: aws.String(stage)}
	if moveTo != "" {
		in.MoveToVersionId = aws.String(moveTo)
	}
	if removeFrom != "" {
		in.RemoveFromVersionId = aws.String(removeFrom)
	}
	if _, err := a.sm.UpdateSecretVersionStage(ctx, in); err != nil {
		return awsError(ctx, secretSubject(secretID), "UpdateSecretVersionStage "+stage, err)
	}
	return nil
}
