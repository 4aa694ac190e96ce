package activities

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// VerifyLogin proves a secret's credentials (AWSCURRENT unless another
// stage is asked) log in: one fresh login and SELECT 1. It accepts an
// application secret and an RDS-managed master secret alike; the latter
// has no host, so the instance whose master it is supplies the endpoint.
// It changes nothing.
func (a *Activities) VerifyLogin(ctx context.Context, in LoginCheckInput) error {
	if strings.TrimSpace(in.SecretID) == "" {
		return invalidInput("verify login: secretId is empty")
	}
	stage := in.VersionStage
	if stage == "" {
		stage = stageCurrent
	}
	out, err := a.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(in.SecretID), VersionStage: aws.String(stage)})
	if err != nil {
		return awsError(ctx, secretSubject(in.SecretID), "GetSecretValue "+stage, err)
	}
	if out.SecretString == nil {
		return malformed(in.SecretID, "the version holds no SecretString")
	}
	s, err := parseMasterSecret(in.SecretID, *out.SecretString)
	if err != nil {
		return err
	}
	if s.Host != "" {
		if _, err := parseAppSecret(in.SecretID, *out.SecretString); err != nil {
			return err
		}
		return a.login(ctx, in.SecretID, s, appLogin, selectOne(ctx))
	}
	info, err := a.instanceOfMasterSecret(ctx, in.SecretID, aws.ToString(out.ARN))
	if err != nil {
		return err
	}
	return a.login(ctx, in.SecretID, instanceLogin(info, s), masterLogin, selectOne(ctx))
}

// instanceOfMasterSecret finds the instance whose managed master secret
// has the given ARN.
func (a *Activities) instanceOfMasterSecret(ctx context.Context, secretID, arn string) (InstanceInfo, error) {
	pages := rds.NewDescribeDBInstancesPaginator(a.rds, &rds.DescribeDBInstancesInput{})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return InstanceInfo{}, awsError(ctx, secretSubject(secretID), "DescribeDBInstances (finding the instance of a master secret)", err)
		}
		for _, db := range out.DBInstances {
			if db.MasterUserSecret != nil && aws.ToString(db.MasterUserSecret.SecretArn) == arn {
				return instanceInfo(db), nil
			}
		}
	}
	return InstanceInfo{}, malformed(secretID, "key %q is missing and no RDS instance has this secret as its master", "host")
}
