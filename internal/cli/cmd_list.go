package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/credstage/credstage/workflows"
)

// runTypes maps the --type words to workflow types.
var runTypes = map[string]string{
	"staged":    wfStagedRotation,
	"rotate":    wfRotateSecret,
	"rollback":  wfRollbackSecret,
	"revoke":    wfRevokeSecret,
	"provision": wfProvisionDatabase,
}

var knownStatuses = []string{
	workflows.StatusPending, workflows.StatusRunning, workflows.StatusAwaitingApproval,
	workflows.StatusBaking, workflows.StatusSucceeded, workflows.StatusFailed,
	workflows.StatusRolledBack, workflows.StatusAborted, workflows.StatusSkipped,
	workflows.StatusPromotedUnverified,
}

type listFlags struct {
	environment, secret, status, kind string
	limit                             int
}

// listQuery builds the visibility query of `list` from its filters.
func (f listFlags) query() (string, error) {
	types := []string{wfStagedRotation, wfRotateSecret, wfRollbackSecret, wfRevokeSecret, wfProvisionDatabase}
	if f.kind != "" {
		t, ok := runTypes[f.kind]
		if !ok {
			for _, v := range runTypes {
				if v == f.kind {
					t, ok = v, true
				}
			}
		}
		if !ok {
			return "", badInput("--type: unknown type %q (want staged, rotate, rollback, revoke or provision)", f.kind)
		}
		types = []string{t}
	}
	clauses := []string{typeClause(types)}
	add := func(flag, attr, v string) error {
		if v == "" {
			return nil
		}
		q, err := quoted(flag, v)
		if err != nil {
			return err
		}
		clauses = append(clauses, attr+" = "+q)
		return nil
	}
	if f.status != "" && !contains(knownStatuses, f.status) {
		return "", badInput("--status: unknown status %q (want one of %s)", f.status, strings.Join(knownStatuses, ", "))
	}
	for _, e := range []error{
		add("--environment", saEnvironment, f.environment),
		add("--secret", saSecret, f.secret),
		add("--status", saStatus, f.status),
	} {
		if e != nil {
			return "", e
		}
	}
	return strings.Join(clauses, " AND "), nil
}

func newListCmd(a *app) *cobra.Command {
	var f listFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List credstage runs, filtered by environment, secret, status or type",
		Long: `List credstage runs (staged rotations, single-secret rotations, rollbacks,
provisionings), newest first, through Temporal visibility and the search
attributes CredstageEnvironment, CredstageSecret and CredstageStatus.`,
		Example: `  credstage list
  credstage list --type staged --status awaiting-approval
  credstage list --environment production --status rolled-back
  credstage list --secret staging/orders/app --output json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.limit <= 0 {
				return badInput("--limit: want a positive number, got %d", f.limit)
			}
			query, err := f.query()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			c, err := a.client(ctx)
			if err != nil {
				return err
			}
			runs, err := a.listRuns(ctx, c, query, f.limit)
			if err != nil {
				return err
			}
			sort.SliceStable(runs, func(i, j int) bool { return runs[i].StartTime.After(runs[j].StartTime) })
			if a.jsonOutput() {
				for _, r := range runs {
					if err := writeJSON(a.stdout, r); err != nil {
						return err
					}
				}
				return nil
			}
			if len(runs) == 0 {
				fmt.Fprintln(a.stdout, "No runs match.")
				return nil
			}
			t := newTable(a.stdout, "WORKFLOW ID", "TYPE", "STATUS", "ENVIRONMENT", "SECRET", "STARTED", "DURATION")
			for _, r := range runs {
				t.row(r.WorkflowID, r.Type, r.Status, r.Environment, r.Secret, timestamp(r.StartTime), humanDuration(msDuration(r.DurationMS)))
			}
			t.flush()
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.environment, "environment", "", "only runs of this environment (stage name)")
	fl.StringVar(&f.secret, "secret", "", "only runs touching this secret")
	fl.StringVar(&f.status, "status", "", "only runs in this credstage status: "+strings.Join(knownStatuses, ", "))
	fl.StringVar(&f.kind, "type", "", "only runs of this type: staged, rotate, rollback, revoke or provision")
	fl.IntVar(&f.limit, "limit", 50, "at most this many runs")
	return cmd
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
