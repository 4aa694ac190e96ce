package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/credstage/credstage/internal/iampolicy"
)

func newIAMCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "iam",
		Short: "IAM policies for running credstage on AWS",
		Long: `IAM policies for running credstage on AWS: the least-privilege identity
policies of the worker, of the CLI and of an application that reads its
secret. deploy/iam/ holds them with default flags.`,
		Example: `  credstage iam policy worker --region eu-west-1 --account 123456789012 --secret-prefix production/
  credstage iam policy reader --secret production/orders-production/app`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newIAMPolicyCmd(a))
	return cmd
}

// iamFlags are the flags of `iam policy`, each for some of the roles.
type iamFlags struct {
	scope            iampolicy.Scope
	secretPrefixes   []string
	kmsKeys          []string
	resourcePolicies bool
	secrets          []string
	prefixes         []string
	tags             []string
}

func newIAMPolicyCmd(a *app) *cobra.Command {
	var f iamFlags
	cmd := &cobra.Command{
		Use:   "policy worker|cli|reader",
		Short: "Print the IAM policy of the worker, the CLI or an application",
		Long: `Print a least-privilege IAM policy document (JSON) granting exactly the AWS
calls credstage makes, for a deployment:

  worker  the worker: application secrets (read, write, create, delete),
          password handovers, RDS's master secrets, GetRandomPassword, RDS
          instances, CloudWatch metrics and alarms, and what AWS checks on
          its behalf (tags in create calls, RDS creating and rotating its
          master secret)
  cli     the people and jobs running the CLI: DescribeSecret and
          ListSecrets for plans, the password handover secret, CloudWatch
          metrics; never a secret value
  reader  an application reading its secrets at run time: GetSecretValue
          and DescribeSecret only

Narrow every policy with --region and --account (default *, all). The
worker's and the CLI's application secrets are those under
--secret-prefix (repeatable; default all). --kms-key adds the KMS
permissions for secrets encrypted with that customer managed key, used
only through Secrets Manager (kms:ViaService). --resource-policies gives
the worker what it needs when provisioning attaches resource policies
(provision --reader). A reader reads the secrets named by --secret or
beginning with --prefix, or, without either, every secret carrying the
--tag KEY=VALUE tags; with no flag at all, the secrets credstage
provisioned (tag credstage:managed=true).`,
		Example: `  credstage iam policy worker > worker-policy.json
  credstage iam policy worker --region eu-west-1 --account 123456789012 \
    --secret-prefix staging/ --secret-prefix production/ --resource-policies
  credstage iam policy cli --account 123456789012 --secret-prefix production/
  credstage iam policy reader --secret production/orders-production/app \
    --kms-key arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
		Args: exactArgs("worker|cli|reader"),
		RunE: func(cmd *cobra.Command, args []string) error {
			doc, err := f.policy(cmd, args[0])
			if err != nil {
				return usageError(cmd, err)
			}
			_, err = a.stdout.Write(iampolicy.Render(doc))
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.scope.Region, "region", "*", "AWS region the policy applies to")
	fl.StringVar(&f.scope.Account, "account", "*", "12-digit AWS account id the policy applies to")
	fl.StringArrayVar(&f.secretPrefixes, "secret-prefix", nil, "worker, cli: names of the application secrets begin with this (repeatable; default all)")
	fl.StringArrayVar(&f.kmsKeys, "kms-key", nil, "worker, reader: ARN of a customer managed key encrypting the secrets (repeatable)")
	fl.BoolVar(&f.resourcePolicies, "resource-policies", false, "worker: provisioning attaches resource policies to the secrets it creates")
	fl.StringArrayVar(&f.secrets, "secret", nil, "reader: name of a secret it reads (repeatable)")
	fl.StringArrayVar(&f.prefixes, "prefix", nil, "reader: names of the secrets it reads begin with this (repeatable)")
	fl.StringArrayVar(&f.tags, "tag", nil, "reader: KEY=VALUE tag the secrets it reads carry (repeatable)")
	return cmd
}

// roleFlags says which roles each narrowing flag applies to, and what
// to say when it is given for another.
var roleFlags = map[string]struct {
	roles string
	other string
}{
	"secret-prefix":     {"worker cli", "the reader's secrets are narrowed with --secret, --prefix and --tag"},
	"kms-key":           {"worker reader", "the CLI needs no KMS permission: it reads no secret value, and its password handover uses the aws/secretsmanager key"},
	"resource-policies": {"worker", "only the worker attaches resource policies"},
	"secret":            {"reader", "narrow the worker's and the CLI's secrets with --secret-prefix"},
	"prefix":            {"reader", "narrow the worker's and the CLI's secrets with --secret-prefix"},
	"tag":               {"reader", "narrow the worker's and the CLI's secrets with --secret-prefix"},
}

func (f *iamFlags) policy(cmd *cobra.Command, role string) (iampolicy.Document, error) {
	if role != "worker" && role != "cli" && role != "reader" {
		return iampolicy.Document{}, fmt.Errorf("want worker, cli or reader, got %q", role)
	}
	for name, rf := range roleFlags {
		if cmd.Flags().Changed(name) && !strings.Contains(" "+rf.roles+" ", " "+role+" ") {
			return iampolicy.Document{}, fmt.Errorf("--%s is not for the %s's policy: %s", name, role, rf.other)
		}
	}
	switch role {
	case "worker":
		return iampolicy.Worker(iampolicy.WorkerOptions{Scope: f.scope, SecretPrefixes: f.secretPrefixes,
			KMSKeys: f.kmsKeys, ResourcePolicies: f.resourcePolicies})
	case "cli":
		return iampolicy.CLI(iampolicy.CLIOptions{Scope: f.scope, SecretPrefixes: f.secretPrefixes})
	}
	var tags []iampolicy.Tag
	for _, t := range f.tags {
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return iampolicy.Document{}, fmt.Errorf("--tag %q: want KEY=VALUE", t)
		}
		tags = append(tags, iampolicy.Tag{Key: k, Value: v})
	}
	return iampolicy.Reader(iampolicy.ReaderOptions{Scope: f.scope, Secrets: f.secrets, Prefixes: f.prefixes,
		Tags: tags, KMSKeys: f.kmsKeys})
}
