package plan

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/credstage/credstage/engine"
)

// Tags on the secrets credstage manages (those provisioning created or
// adopted): the mark, and the environment they belong to.
const (
	TagManaged     = engine.TagManaged
	TagEnvironment = engine.TagEnvironment
)

// managed selects the secrets credstage manages.
var managed = &SelectorSpec{Tags: map[string]string{TagManaged: "true"}}

// ManagedSecrets lists the secrets credstage manages, with their tags,
// in name order: the fleet that alarms, dashboards, the inventory and
// audits cover when not told otherwise.
func ManagedSecrets(ctx context.Context, lister SecretLister) ([]smtypes.SecretListEntry, error) {
	return listMatching(ctx, lister, managed)
}

// ManagedEnvironments are the Environment tags of the managed secrets,
// sorted, each once.
func ManagedEnvironments(ctx context.Context, lister SecretLister) ([]string, error) {
	secrets, err := ManagedSecrets(ctx, lister)
	if err != nil {
		return nil, err
	}
	var envs []string
	for _, s := range secrets {
		for _, t := range s.Tags {
			if aws.ToString(t.Key) == TagEnvironment && aws.ToString(t.Value) != "" {
				envs = append(envs, aws.ToString(t.Value))
			}
		}
	}
	slices.Sort(envs)
	return slices.Compact(envs), nil
}
