package cli

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/spf13/cobra"

	"github.com/credstage/credstage/internal/alarms"
	"github.com/credstage/credstage/internal/plan"
	"github.com/credstage/credstage/workflows"
)

func newAlarmsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alarms",
		Short: "Create and show the CloudWatch alarms on credstage's metrics",
		Long: `Keep CloudWatch alarms on credstage's metrics, per environment:
RotationFailed (a rollback failed: a human must look), RotationRolledBack,
ProvisionFailed and RotationOverdue (the inventory found secrets older than
their maxAge). Each watches the environment's roll-up series (the
Environment dimension alone), treats missing data as not breaching, and is
named <namespace>-<environment>-<kind>.`,
		Example: `  credstage alarms apply --alarm-action arn:aws:sns:us-east-1:123456789012:oncall
  credstage alarms list`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newAlarmsApplyCmd(a), newAlarmsListCmd(a))
	return cmd
}

func newAlarmsApplyCmd(a *app) *cobra.Command {
	var (
		planFile, namespace string
		environments        []string
		actions             alarms.Actions
	)
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Create or update the alarms of every environment credstage manages",
		Long: `Create or update, with PutMetricAlarm, the alarms of each environment:
those named with --environment, else the stages of --plan, else every
environment credstage manages (the Environment tag of the secrets tagged
credstage:managed=true). Alarms already as defined are left alone, so
running it again changes nothing. Actions (SNS topic ARNs) come from
--alarm-action and --ok-action and from the plan's alarms section.`,
		Example: `  credstage alarms apply --alarm-action arn:aws:sns:us-east-1:123456789012:oncall
  credstage alarms apply --plan plans/nightly.yaml
  credstage alarms apply --environment staging -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if planFile != "" {
				p, err := loadPlanFile(planFile)
				if err != nil {
					return err
				}
				if len(environments) == 0 {
					for _, st := range p.Spec.Stages {
						environments = append(environments, st.Name)
					}
				}
				if !cmd.Flags().Changed("namespace") && p.Spec.MetricsNamespace != "" {
					namespace = p.Spec.MetricsNamespace
				}
				pa := p.Spec.AlarmActions()
				actions.Alarm, actions.OK = append(actions.Alarm, pa.Alarm...), append(actions.OK, pa.OK...)
			}
			if err := actions.Validate(); err != nil {
				return badInput("%v", err)
			}
			environments, err := a.environmentsOrManaged(ctx, environments)
			if err != nil {
				return err
			}
			inputs := alarmInputs(namespace, environments, actions)
			cw, err := a.cloudWatchClient(ctx)
			if err != nil {
				return err
			}
			results, err := alarms.Apply(ctx, cw, inputs)
			if err != nil {
				return &plan.AWSError{Op: "alarms apply", Err: err}
			}
			if a.jsonOutput() {
				return writeJSON(a.stdout, map[string]any{"namespace": namespace, "alarms": results})
			}
			t := newTable(a.stdout, "ALARM", "ACTION")
			for _, r := range results {
				t.row(r.Name, r.Action)
			}
			t.flush()
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&planFile, "plan", "", "take environments, namespace and actions from this plan")
	fl.StringVar(&namespace, "namespace", workflows.DefaultMetricsNamespace, "CloudWatch namespace of the metrics")
	fl.StringSliceVar(&environments, "environment", nil, "alarm on this environment (repeatable)")
	fl.StringSliceVar(&actions.Alarm, "alarm-action", nil, "SNS topic ARN told when an alarm goes to ALARM (repeatable)")
	fl.StringSliceVar(&actions.OK, "ok-action", nil, "SNS topic ARN told when an alarm returns to OK (repeatable)")
	return cmd
}

func alarmInputs(namespace string, environments []string, actions alarms.Actions) []*cloudwatch.PutMetricAlarmInput {
	var out []*cloudwatch.PutMetricAlarmInput
	for _, env := range environments {
		out = append(out, alarms.Inputs(namespace, env, actions)...)
	}
	return out
}

func newAlarmsListCmd(a *app) *cobra.Command {
	var namespace string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Show the state of credstage's alarms",
		Long: `Show credstage's alarms of a namespace (named <namespace>-...) with their
state (OK, ALARM, INSUFFICIENT_DATA), the reason CloudWatch gives and when
the state last changed.`,
		Example: `  credstage alarms list
  credstage alarms list -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cw, err := a.cloudWatchClient(ctx)
			if err != nil {
				return err
			}
			states, err := alarms.List(ctx, cw, namespace)
			if err != nil {
				return &plan.AWSError{Op: "alarms list", Err: err}
			}
			if a.jsonOutput() {
				return writeJSON(a.stdout, map[string]any{"namespace": namespace, "alarms": states})
			}
			if len(states) == 0 {
				fmt.Fprintf(a.stdout, "No credstage alarm in namespace %s (see 'credstage alarms apply').\n", namespace)
				return nil
			}
			t := newTable(a.stdout, "ALARM", "ENVIRONMENT", "METRIC", "STATE", "SINCE", "REASON")
			for _, s := range states {
				t.row(s.Name, s.Environment, s.Metric, s.State, s.Updated, s.Reason)
			}
			t.flush()
			return nil
		},
	}
	cmd.Flags().StringVar(&namespace, "namespace", workflows.DefaultMetricsNamespace, "CloudWatch namespace of the metrics")
	return cmd
}
