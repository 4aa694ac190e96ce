package cli

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/credstage/credstage/internal/plan"
)

const (
	tagManaged     = "credstage:managed"
	tagEnvironment = "Environment"
)

// managedEnvironments lists the environments credstage manages: the
// Environment tags of the secrets tagged credstage:managed=true (what
// provisioning tags). ListSecrets filters match tag keys and values
// separately, so the pair is checked here; the call reads metadata only.
func managedEnvironments(ctx context.Context, lister plan.SecretLister) ([]string, error) {
	in := &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(100), Filters: []smtypes.Filter{
		{Key: smtypes.FilterNameStringTypeTagKey, Values: []string{tagManaged}},
		{Key: smtypes.FilterNameStringTypeTagValue, Values: []string{"true"}},
	}}
	seen := map[string]bool{}
	for {
		out, err := lister.ListSecrets(ctx, in)
		if err != nil {
			return nil, &plan.AWSError{Op: "ListSecrets", Err: err}
		}
		for _, e := range out.SecretList {
			tags := map[string]string{}
			for _, t := range e.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if e.DeletedDate == nil && tags[tagManaged] == "true" && tags[tagEnvironment] != "" {
				seen[tags[tagEnvironment]] = true
			}
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	envs := make([]string, 0, len(seen))
	for env := range seen {
		envs = append(envs, env)
	}
	sort.Strings(envs)
	return envs, nil
}
