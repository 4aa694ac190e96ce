package activities

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/credstage/credstage/internal/iampolicy"
)

// A user's secret gets the resource policy of AppUser.Access: its readers
// may read it, everyone else but the worker, the CLI (which may only
// describe it) and the break-glass administrator is denied everything on
// it (iampolicy.SecretAccess.Policy). Who may change what follows the
// ownership rules (docs/architecture.md, "Provisioning and ownership"):
//
//   - a secret this run created is given the policy right after its
//     CreateSecret, and again by every retry (the same document, so a
//     retry after a lost reply or a death between the two calls changes
//     nothing more);
//   - a secret of an earlier provisioning is given it unless it already
//     has it (its readers may have changed since);
//   - an adopted secret is never changed: a policy that differs, or none,
//     is left as it is and reported (PolicyLeft).

// secretPolicy applies those rules to the user's secret name; who says
// whose the secret is. It does nothing without AppUser.Access.
func (a *Activities) secretPolicy(ctx context.Context, in AppUserInput, name string, who owner, res *AppUserResult) error {
	access := in.User.Access
	if access == nil {
		return nil
	}
	doc := iampolicy.Compact(access.Policy())
	if who != ownerThisRun {
		out, err := a.sm.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(name)})
		if err != nil {
			return awsError(ctx, secretSubject(name), "GetResourcePolicy", err)
		}
		switch current := aws.ToString(out.ResourcePolicy); {
		case current != "" && iampolicy.Equal(current, doc):
			res.ResourcePolicy = PolicyInPlace
			return nil
		case who != ownerCredstage:
			logger(ctx).Warn("adopted secret keeps its own resource policy", "secret", name, "hasPolicy", current != "")
			res.ResourcePolicy = PolicyLeft
			return nil
		}
	}
	// BlockPublicPolicy: Secrets Manager refuses the policy should it ever
	// grant broad access; the readers are named principals, never "*".
	_, err := a.sm.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{
		SecretId: aws.String(name), ResourcePolicy: aws.String(doc), BlockPublicPolicy: aws.Bool(true)})
	if err != nil {
		return awsError(ctx, secretSubject(name), "PutResourcePolicy", err)
	}
	logger(ctx).Info("attached resource policy", "secret", name, "readers", len(access.Readers))
	res.ResourcePolicy = PolicyAttached
	return nil
}
