package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/spf13/cobra"

	"github.com/credstage/credstage/internal/awsconfig"
	"github.com/credstage/credstage/internal/plan"
	"github.com/credstage/credstage/workflows"
)

// dashboardWriter is what `credstage dashboard apply` needs of CloudWatch.
type dashboardWriter interface {
	GetDashboard(ctx context.Context, in *cloudwatch.GetDashboardInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetDashboardOutput, error)
	PutDashboard(ctx context.Context, in *cloudwatch.PutDashboardInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutDashboardOutput, error)
}

var _ dashboardWriter = (*cloudwatch.Client)(nil)

// dashboardResult is what apply reports (-o json prints it as is).
type dashboardResult struct {
	Name         string   `json:"name"`
	Namespace    string   `json:"namespace"`
	Environments []string `json:"environments"`
	// Changed is false when the dashboard already had this body: apply
	// then writes nothing.
	Changed    bool     `json:"changed"`
	ConsoleURL string   `json:"consoleUrl,omitempty"`
	Warnings   []string `json:"warnings,omitempty"`
}

func newDashboardCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Manage the CloudWatch dashboard of credstage's metrics",
		Long: `The CloudWatch dashboard of the metrics credstage publishes, kept in
code: apply writes it, and writes it again only when it would change.`,
		Example: `  credstage dashboard apply
  credstage dashboard apply --name credstage-prod --environment production`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newDashboardApplyCmd(a))
	return cmd
}

func newDashboardApplyCmd(a *app) *cobra.Command {
	var (
		name, namespace string
		environments    []string
	)
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Create or update the CloudWatch dashboard",
		Long: `Write the CloudWatch dashboard of credstage's metrics with PutDashboard:
rotations by outcome per environment, rotation and stage durations,
validation failures, the inventory's secret age and overdue secrets, and
provisioning outcomes and duration, all from the Environment-only
roll-up series. Environments default to those of the secrets credstage
manages (tag credstage:managed=true, tag Environment). Applying again
changes nothing unless the environments changed; edits made in the
console are replaced.`,
		Example: `  credstage dashboard apply
  credstage dashboard apply --environment staging --environment production -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := validDashboardName(name); err != nil {
				return err
			}
			if namespace == "" {
				return badInput("--namespace: want a CloudWatch namespace")
			}
			ctx := cmd.Context()
			cfg, err := awsconfig.Load(ctx, a.env, config.WithRetryMaxAttempts(2))
			if err != nil {
				return withCode(ExitUnreachable, err)
			}
			environments, err := a.environmentsOrManaged(ctx, environments)
			if err != nil {
				return err
			}
			res, err := applyDashboard(ctx, cloudwatch.NewFromConfig(cfg), name, dashboardSpec{
				Namespace: namespace, Region: cfg.Region, Environments: environments})
			if err != nil {
				return err
			}
			if a.env("AWS_ENDPOINT_URL") == "" && cfg.Region != "" {
				res.ConsoleURL = dashboardConsoleURL(cfg.Region, name)
			}
			if a.jsonOutput() {
				return writeJSON(a.stdout, res)
			}
			printDashboard(a, res)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&name, "name", "credstage", "dashboard name (A-Z a-z 0-9 - _, up to 255)")
	fl.StringVar(&namespace, "namespace", workflows.DefaultMetricsNamespace, "CloudWatch namespace")
	fl.StringArrayVar(&environments, "environment", nil, "an environment to show (repeatable; default: every managed environment)")
	return cmd
}

// applyDashboard puts the dashboard unless it already holds this body:
// CloudWatch returns a body byte for byte, so equal bytes mean nothing to
// do, and a run on cron writes nothing most of the time.
func applyDashboard(ctx context.Context, cw dashboardWriter, name string, spec dashboardSpec) (*dashboardResult, error) {
	body, err := dashboardBody(spec)
	if err != nil {
		return nil, err
	}
	res := &dashboardResult{Name: name, Namespace: spec.Namespace, Environments: spec.Environments}
	if res.Environments == nil {
		res.Environments = []string{}
	}
	cur, err := cw.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String(name)})
	var notFound *cwtypes.DashboardNotFoundError
	switch {
	case err == nil && aws.ToString(cur.DashboardBody) == string(body):
		return res, nil
	case err != nil && !errors.As(err, &notFound):
		return nil, &plan.AWSError{Op: "GetDashboard " + name, Err: err}
	}
	out, err := cw.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: aws.String(name), DashboardBody: aws.String(string(body))})
	if err != nil {
		return nil, &plan.AWSError{Op: "PutDashboard " + name, Err: err}
	}
	res.Changed = true
	for _, m := range out.DashboardValidationMessages {
		res.Warnings = append(res.Warnings, aws.ToString(m.DataPath)+": "+aws.ToString(m.Message))
	}
	return res, nil
}

func printDashboard(a *app, res *dashboardResult) {
	verb := "updated"
	if !res.Changed {
		verb = "unchanged"
	}
	fmt.Fprintf(a.stdout, "dashboard %s %s (namespace %s, environments: %s)\n", res.Name, verb, res.Namespace, dashboardEnvList(res.Environments))
	for _, w := range res.Warnings {
		fmt.Fprintf(a.stdout, "  warning: %s\n", w)
	}
	if res.ConsoleURL != "" {
		fmt.Fprintf(a.stdout, "  %s\n", res.ConsoleURL)
	}
}

// dashboardConsoleURL is where the AWS console shows the dashboard.
func dashboardConsoleURL(region, name string) string {
	return fmt.Sprintf("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#dashboards/dashboard/%s",
		region, url.QueryEscape(region), url.PathEscape(name))
}

// validDashboardName refuses before any call what CloudWatch would.
func validDashboardName(name string) error {
	if name == "" || len(name) > 255 {
		return badInput("--name: want 1 to 255 characters, got %d", len(name))
	}
	for _, r := range name {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return badInput("--name: %q may hold only A-Z a-z 0-9 - and _", name)
		}
	}
	return nil
}
