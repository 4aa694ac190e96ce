package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/internal/yamlnode"
	"github.com/credstage/credstage/workflows"
)

// provisionWorkflowID is the one provisioning allowed per instance.
func provisionWorkflowID(identifier string) string { return "provision/" + identifier }

func newProvisionCmd(a *app) *cobra.Command {
	var (
		file  string
		users []string
		spec  provisionSpec
		wait  bool
		adopt []string
		stdin bool
	)
	cmd := &cobra.Command{
		Use:   "provision",
		Short: "Create an RDS PostgreSQL instance with its application users",
		Long: `Create an RDS PostgreSQL instance whose master password RDS generates and
keeps in Secrets Manager, wait until it is available, then create each
application role with its own secret (<environment>/<identifier>/<user>)
and check that it logs in. Runs as workflow provision/<identifier>; a
failure deletes what this run created, and only that. Settings come from
flags or from a YAML --file; flags given beside --file override it.

--user is name:strategy[:grants], repeated: strategy is single-user or
alternating-users, grants a comma-separated list of CONNECT, readonly,
readwrite and create.

An instance, role or secret that exists without credstage's mark is
refused unless --adopt names it: --adopt instance, --adopt user:NAME
(repeatable). Adopted things are checked, never changed and never deleted;
an adopted role keeps its password, which credstage takes from an existing
secret at the user's secret name or from --password-stdin, and proves by
logging in before it writes anything. Re-running a successful provisioning
changes nothing and says so.

--reader ARN (repeatable; readers: of a user in a --file) names the roles
that may read the users' secrets: each such secret gets a resource policy
right after it is created that lets its readers GetSecretValue and
DescribeSecret and denies everything to everyone else but the worker
(--worker-principal), the CLI (--cli-principal; DescribeSecret only) and
a break-glass administrator (--break-glass), all three required with
readers. The worker then needs the policy of 'credstage iam policy worker
--resource-policies'. An adopted secret's own resource policy is left as
it is.`,
		Example: `  credstage provision --identifier orders-staging --environment staging --db-name orders \
    --user app:alternating-users:readwrite --user reporting:single-user:readonly --wait
  credstage provision --file instances/orders-staging.yaml
  printf '%s\n' "$LEGACY_PASSWORD" | credstage provision --identifier orders-staging --environment staging \
    --db-name orders --user legacy:single-user --adopt instance --adopt user:legacy --password-stdin --wait
  credstage provision --file instances/orders-production.yaml \
    --reader arn:aws:iam::123456789012:role/orders-app \
    --worker-principal arn:aws:iam::123456789012:role/credstage-worker \
    --cli-principal arn:aws:iam::123456789012:role/credstage-cli \
    --break-glass arn:aws:iam::123456789012:role/admin`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s := &spec
			var doc *yamlnode.Doc
			if file != "" {
				fileSpec, d, err := loadProvisionSpec(file)
				if err != nil {
					return err
				}
				mergeFlags(cmd, fileSpec, &spec)
				s, doc = fileSpec, d
			}
			for _, u := range users {
				parsed, err := parseUserFlag(u)
				if err != nil {
					return err
				}
				s.Users = append(s.Users, parsed)
			}
			s.Adopt = append(s.Adopt, adopt...)
			req, err := s.request(doc)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			// Once the run has started, the handover is the run's: it
			// deletes it when used, or in its compensation. The CLI drops it
			// only when the start was refused.
			drop := func() {}
			if stdin {
				var err error
				if drop, err = a.handOverPassword(ctx, cmd.InOrStdin(), &req); err != nil {
					return err
				}
			}
			c, err := a.client(ctx)
			if err != nil {
				return err
			}
			id := provisionWorkflowID(req.Identifier)
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
				ID:                       id,
				TaskQueue:                workflows.TaskQueue,
				WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
				StaticSummary:            fmt.Sprintf("provision %s (%s)", req.Identifier, req.Environment),
			}, wfProvisionDatabase, req)
			if err != nil {
				if startRefused(err) {
					drop()
				}
				return a.startErr(err, id)
			}
			ref := runRef{WorkflowID: run.GetID(), RunID: run.GetRunID()}
			a.printStarted("provisioning of "+req.Identifier, ref)
			if !wait {
				return nil
			}
			var res workflows.ProvisionDatabaseResult
			if err := run.Get(ctx, &res); err != nil {
				return failed("provisioning of %s failed: %s", req.Identifier, failureMessage(err))
			}
			if a.jsonOutput() {
				return writeJSON(a.stdout, map[string]any{"type": "result", "workflowId": id, "result": res})
			}
			printProvisioned(a, res)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&file, "file", "", "YAML file with the settings below (identifier, environment, dbName, users, ...)")
	fl.StringVar(&spec.Identifier, "identifier", "", "RDS DB instance identifier")
	fl.StringVar(&spec.Environment, "environment", "", "environment: tags and secret names")
	fl.StringVar(&spec.DBName, "db-name", "", "database to create")
	fl.StringVar(&spec.InstanceClass, "instance-class", "", "RDS instance class (default db.t4g.micro)")
	fl.IntVar(&spec.AllocatedStorage, "storage", 0, "allocated storage in GiB (default 20)")
	fl.StringVar(&spec.MasterUsername, "master-username", "", "master user name (default postgres)")
	fl.StringVar(&spec.EngineVersion, "engine-version", "", "PostgreSQL engine version (default: RDS's default)")
	fl.StringArrayVar(&users, "user", nil, "application user name:strategy[:grants], repeatable")
	fl.StringArrayVar(&adopt, "adopt", nil, "use what exists without credstage's mark: instance, or user:NAME (repeatable); adopted things are never changed or deleted")
	fl.BoolVar(&stdin, "password-stdin", false, "read the current password of the one adopted user's role from standard input")
	fl.StringArrayVar(&spec.Readers, "reader", nil, "ARN of a role that may read every user's secret (repeatable): attaches a resource policy")
	fl.StringVar(&spec.WorkerPrincipal, "worker-principal", "", "ARN of the worker's role, which keeps access to secrets with readers")
	fl.StringVar(&spec.CLIPrincipal, "cli-principal", "", "ARN of the CLI's role, which may only describe secrets with readers")
	fl.StringVar(&spec.BreakGlass, "break-glass", "", "ARN of the administrator who keeps every permission on secrets with readers")
	fl.BoolVar(&wait, "wait", false, "wait until provisioning ends and print what was created; exit 1 if it fails")
	return cmd
}

// startRefused: the server answered a start with a refusal, so no run
// holds the handover; a timeout or a cut connection may hide a started
// run, which then owns it.
func startRefused(err error) bool {
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	var invalid *serviceerror.InvalidArgument
	var denied *serviceerror.PermissionDenied
	var notFound *serviceerror.NamespaceNotFound
	return errors.As(err, &already) || errors.As(err, &invalid) || errors.As(err, &denied) || errors.As(err, &notFound)
}

// mergeFlags lets flags given beside --file override the file's values;
// --user flags replace the file's users.
func mergeFlags(cmd *cobra.Command, dst, flags *provisionSpec) {
	set := cmd.Flags().Changed
	if set("identifier") {
		dst.Identifier = flags.Identifier
	}
	if set("environment") {
		dst.Environment = flags.Environment
	}
	if set("db-name") {
		dst.DBName = flags.DBName
	}
	if set("instance-class") {
		dst.InstanceClass = flags.InstanceClass
	}
	if set("storage") {
		dst.AllocatedStorage = flags.AllocatedStorage
	}
	if set("master-username") {
		dst.MasterUsername = flags.MasterUsername
	}
	if set("engine-version") {
		dst.EngineVersion = flags.EngineVersion
	}
	if set("user") {
		dst.Users = nil
	}
	if set("reader") {
		dst.Readers = flags.Readers
	}
	if set("worker-principal") {
		dst.WorkerPrincipal = flags.WorkerPrincipal
	}
	if set("cli-principal") {
		dst.CLIPrincipal = flags.CLIPrincipal
	}
	if set("break-glass") {
		dst.BreakGlass = flags.BreakGlass
	}
}

func printProvisioned(a *app, res workflows.ProvisionDatabaseResult) {
	in := res.Instance
	verb := "Created"
	switch {
	case res.Outcome == activities.OutcomeExisting:
		verb = "Found"
	case res.Outcome == activities.OutcomeAdopted, res.Adopted: // Adopted alone: a run from before outcomes
		verb = "Adopted"
	}
	fmt.Fprintf(a.stdout, "%s %s in %s\n", verb, in.Identifier, humanDuration(msDuration(res.DurationMS)))
	fmt.Fprintf(a.stdout, "  endpoint:      %s:%d/%s\n", in.Address, in.Port, in.DBName)
	fmt.Fprintf(a.stdout, "  master user:   %s (secret %s)\n", in.MasterUsername, in.MasterSecretARN)
	t := newTable(a.stdout, "  USER SECRET", "SECRET", "ROLES", "ROLE", "GRANTED", "ARN")
	for _, u := range res.Users {
		t.row("  "+u.SecretName, string(u.Secret), strings.Join(u.Roles, ", "), string(u.Role),
			strconv.Itoa(len(u.Grants.Granted)), u.SecretARN)
	}
	t.flush()
	for _, u := range res.Users {
		for _, g := range u.Grants.Granted {
			fmt.Fprintf(a.stdout, "  granted %s: %s\n", u.Roles[0], g)
		}
		for _, g := range u.Grants.Skipped {
			fmt.Fprintf(a.stdout, "  skipped %s: %s\n", u.Roles[0], g)
		}
		for _, g := range u.Grants.Future {
			fmt.Fprintf(a.stdout, "  later   %s: %s\n", u.Roles[0], g)
		}
		if say := policyOutcomes[u.ResourcePolicy]; say != "" {
			fmt.Fprintf(a.stdout, "  policy  %s: %s\n", u.SecretName, say)
		}
	}
	if !res.Changed && res.Outcome != "" {
		fmt.Fprintln(a.stdout, "No changes: everything was already in place.")
	}
}

// policyOutcomes say what became of a secret's resource policy.
var policyOutcomes = map[activities.PolicyOutcome]string{
	activities.PolicyAttached: "resource policy attached",
	activities.PolicyInPlace:  "resource policy already in place",
	activities.PolicyLeft:     "adopted secret: its own resource policy (or none) left as it is; attach one yourself",
}
