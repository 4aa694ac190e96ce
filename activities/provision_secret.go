package activities

import (
	"context"
	"encoding/json"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/google/uuid"
)

// appUserNamespace seeds the deterministic CreateSecret tokens.
var appUserNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/credstage/credstage/app-user"))

// appUserToken is the ClientRequestToken of an app user's secret: the same
// run, instance and user always give the same token, so a CreateSecret
// retried after a lost reply is recognised as the same request. Without a
// run (executions from before marks) it is the token those releases
// used, so such a run still knows its own secret.
func appUserToken(run, identifier, user string) string {
	key := identifier + "/" + user
	if run != "" {
		key = run + "/" + key
	}
	return uuid.NewSHA1(appUserNamespace, []byte(key)).String()
}

// userSecretInfo is what provisioning knows of the secret at a user's
// secret name before it acts.
type userSecretInfo struct {
	owner owner
	arn   string
	tags  map[string]string
	// deleting: the secret is scheduled for deletion (a compensation's
	// forced delete still finishing, or an operator's).
	deleting bool
}

// userSecret finds the secret at name and whose it is (and whether it is
// being deleted). Without a run, a secret whose AWSCURRENT is the
// request's token is the execution's own (how releases before marks
// knew it).
func (a *Activities) userSecret(ctx context.Context, in AppUserInput, name string) (userSecretInfo, error) {
	run := in.Run
	out, err := a.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if awsCode(err) == "ResourceNotFoundException" {
		return userSecretInfo{owner: ownerNobody}, nil
	}
	if err != nil {
		return userSecretInfo{}, awsError(ctx, secretSubject(name), "DescribeSecret", err)
	}
	tags := smTagMap(out.Tags)
	info := userSecretInfo{owner: ownerOfTags(tags, run), arn: aws.ToString(out.ARN), tags: tags, deleting: out.DeletedDate != nil}
	token := appUserToken("", in.Instance.Identifier, in.User.Name)
	if run == "" && info.owner == ownerCredstage && slices.Contains(out.VersionIdsToStages[token], stageCurrent) {
		info.owner = ownerThisRun
	}
	return info, nil
}

// createUserSecret writes a user's secret with this run's mark among its
// tags, in the CreateSecret call itself. A retry after a lost reply
// sends the same token and is answered as the same request; should the
// secret exist anyway, userSecret's check on the next attempt decides.
func (a *Activities) createUserSecret(ctx context.Context, in AppUserInput, name, password string) (string, error) {
	value, err := json.Marshal(map[string]any{
		"engine": "postgres", "host": in.Instance.Address, "port": in.Instance.Port,
		"username": in.User.Name, "password": password, "dbname": orDefault(in.Instance.DBName, "postgres"),
		"masterarn": in.Instance.MasterSecretARN, "dbInstanceIdentifier": in.Instance.Identifier,
	})
	if err != nil {
		return "", retryable("secret %s: encode: %s", name, redact(err.Error(), password))
	}
	out, err := a.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:               aws.String(name),
		ClientRequestToken: aws.String(appUserToken(in.Run, in.Instance.Identifier, in.User.Name)),
		SecretString:       aws.String(string(value)),
		Description:        aws.String("credstage: " + string(in.User.Strategy) + " credentials of " + in.User.Name + " on " + in.Instance.Identifier),
		Tags:               secretTags(in),
	})
	if awsCode(err) == "ResourceExistsException" {
		return "", retryable("secret %s appeared while it was being created; the next attempt checks whose it is", name)
	}
	if err != nil {
		return "", awsError(ctx, secretSubject(name), "CreateSecret", err, password)
	}
	return aws.ToString(out.ARN), nil
}

// deletingSecret is CreateAppUser's answer to a secret at the user's name
// that is scheduled for deletion: credstage's own is waited for (a
// compensation's forced delete finishing), anyone else's is the
// operator's to restore or delete.
func deletingSecret(name string, sec userSecretInfo) error {
	if sec.owner != ownerForeign {
		return retryable("secret %s is still being deleted; waiting for it to go", name)
	}
	return invalidInput("secret %s is scheduled for deletion; restore it (aws secretsmanager restore-secret --secret-id %s) "+
		"or delete it for good, or choose another secretName", name, name)
}

func secretTags(in AppUserInput) []smtypes.Tag {
	tags := []smtypes.Tag{
		{Key: aws.String(tagEnvironment), Value: aws.String(in.Environment)},
		{Key: aws.String(tagManaged), Value: aws.String("true")},
		{Key: aws.String(tagInstance), Value: aws.String(in.Instance.Identifier)},
		{Key: aws.String(tagStrategy), Value: aws.String(string(in.User.Strategy))},
	}
	if in.Run != "" {
		tags = append(tags, smtypes.Tag{Key: aws.String(tagProvisionRun), Value: aws.String(in.Run)})
	}
	for _, k := range slices.Sorted(maps.Keys(in.Tags)) {
		if !reservedTag(k) {
			tags = append(tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(in.Tags[k])})
		}
	}
	return tags
}
