package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/credstage/credstage/internal/plan"
	"github.com/credstage/credstage/workflows"
)

func newPlanCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Work with rotation plan files",
		Long:  "Work with rotation plan files (YAML: stages of secrets, strategies, validators).",
		Example: `  credstage plan validate plans/nightly.yaml
  credstage plan validate plans/nightly.yaml --output json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newPlanValidateCmd(a))
	return cmd
}

func newPlanValidateCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a plan without changing anything (dry run)",
		Long: `Check a plan without changing anything: parse it, resolve its tag
selectors through ListSecrets, ask DescribeSecret whether every target exists
(metadata only; no secret value is read), and print the stages, their
targets, strategies and the order they would run in. Exits 2 on any problem,
with one line per problem: file:line: field: cause.`,
		Example: `  credstage plan validate plans/nightly.yaml
  AWS_ENDPOINT_URL=http://127.0.0.1:4566 credstage plan validate plans/nightly.yaml -o json`,
		Args: exactArgs("FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := a.loadPlan(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return writeJSON(a.stdout, planJSON(r))
			}
			printPlan(a.stdout, r)
			fmt.Fprintln(a.stdout, "The plan is valid. Nothing was changed.")
			return nil
		},
	}
}

// printPlan shows what a run of the plan would do, in order.
func printPlan(w io.Writer, r *plan.Resolved) {
	p := r.Plan
	total := 0
	for _, s := range p.Stages {
		total += len(s.Targets)
	}
	ns := p.MetricsNamespace
	if ns == "" {
		ns = workflows.DefaultMetricsNamespace
	}
	fmt.Fprintf(w, "plan %s (%s): %d stage(s), %d secret(s), metrics namespace %s\n", p.Name, r.File(), len(p.Stages), total, ns)
	for i, s := range p.Stages {
		fmt.Fprintf(w, "\nstage %d/%d: %s\n", i+1, len(p.Stages), s.Name)
		fmt.Fprintf(w, "  %s\n", stageRules(s))
		if len(s.Validators) > 0 {
			var names []string
			for _, v := range s.Validators {
				names = append(names, v.Name)
			}
			fmt.Fprintf(w, "  validators: %s\n", strings.Join(names, "; "))
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  #\tSECRET\tSTRATEGY\tFROM")
		for j, t := range s.Targets {
			o := r.Origins[i][j]
			from := fmt.Sprintf("line %d", o.Line)
			if o.Selected {
				from = fmt.Sprintf("selector (line %d)", o.Line)
			}
			if n := len(t.Probes); n > 0 {
				from += fmt.Sprintf(", %d probe(s)", n)
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\n", j+1, t.SecretID, t.Strategy, from)
		}
		tw.Flush()
		for j, t := range s.Targets {
			if info := r.Origins[i][j].Secret; info != nil {
				for _, warn := range info.Warnings {
					fmt.Fprintf(w, "  warning: %s: %s\n", t.SecretID, warn)
				}
			}
		}
	}
	fmt.Fprintf(w, "\norder: %s\n", runOrder(p))
}

func stageRules(s workflows.Stage) string {
	parallel := s.MaxParallel
	if parallel == 0 {
		parallel = 4
	}
	parts := []string{fmt.Sprintf("up to %d secret(s) at once", parallel)}
	if n := workflows.StageBatchSize(s); n > 0 {
		parts = append(parts, fmt.Sprintf("in batches of %d", n))
	}
	if s.Bake > 0 {
		parts = append(parts, "bake "+s.Bake.String())
	}
	if s.MaxAge > 0 {
		parts = append(parts, "overdue after "+ageString(s.MaxAge))
	}
	if s.RequireApproval {
		parts = append(parts, "waits for approval (credstage approve RUN --stage "+s.Name+")")
	}
	return strings.Join(parts, ", ")
}

// runOrder is the plan in one line: "staging, bake 10m0s, approval,
// production".
func runOrder(p workflows.Plan) string {
	var steps []string
	for _, s := range p.Stages {
		if s.RequireApproval {
			steps = append(steps, "approval of "+s.Name)
		}
		steps = append(steps, fmt.Sprintf("%s (%d)", s.Name, len(s.Targets)))
		if s.Bake > 0 {
			steps = append(steps, "bake "+s.Bake.String())
		}
	}
	return strings.Join(steps, " → ")
}

type planTargetJSON struct {
	SecretID string   `json:"secretId"`
	Strategy string   `json:"strategy"`
	Line     int      `json:"line"`
	Selected bool     `json:"selected,omitempty"`
	ARN      string   `json:"arn,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

type planStageJSON struct {
	Name            string           `json:"name"`
	MaxParallel     int              `json:"maxParallel,omitempty"`
	BatchSize       int              `json:"batchSize,omitempty"` // 0: one workflow per secret
	Bake            string           `json:"bake,omitempty"`
	RequireApproval bool             `json:"requireApproval,omitempty"`
	MaxAge          string           `json:"maxAge,omitempty"`
	Validators      []string         `json:"validators,omitempty"`
	Targets         []planTargetJSON `json:"targets"`
}

func planJSON(r *plan.Resolved) any {
	var stages []planStageJSON
	for i, s := range r.Plan.Stages {
		st := planStageJSON{Name: s.Name, MaxParallel: s.MaxParallel, BatchSize: workflows.StageBatchSize(s), RequireApproval: s.RequireApproval}
		if s.Bake > 0 {
			st.Bake = s.Bake.Round(time.Second).String()
		}
		if s.MaxAge > 0 {
			st.MaxAge = ageString(s.MaxAge)
		}
		for _, v := range s.Validators {
			st.Validators = append(st.Validators, v.Name)
		}
		for j, t := range s.Targets {
			o := r.Origins[i][j]
			tj := planTargetJSON{SecretID: t.SecretID, Strategy: string(t.Strategy), Line: o.Line, Selected: o.Selected}
			if o.Secret != nil {
				tj.ARN, tj.Warnings = o.Secret.ARN, o.Secret.Warnings
			}
			st.Targets = append(st.Targets, tj)
		}
		stages = append(stages, st)
	}
	return map[string]any{"file": r.File(), "valid": true, "plan": r.Plan.Name, "stages": stages}
}
