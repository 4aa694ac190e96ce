package cli

import (
	"context"
	"fmt"
	"sort"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/workflows"
)

// historyRow is one past rotation or rollback of a secret.
type historyRow struct {
	runRow
	Outcome   string `json:"outcome"`
	LastStep  string `json:"lastStep,omitempty"`
	VersionID string `json:"versionId,omitempty"`
	Error     string `json:"error,omitempty"`
}

func newHistoryCmd(a *app) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "history SECRET",
		Short: "Show past rotations and rollbacks of a secret",
		Long: `Show past rotations and rollbacks of a secret, newest first, with their
outcome, last step, duration and error. Runs are found through visibility
(CredstageSecret and the secret's workflow ID rotate/<secret>).`,
		Example: `  credstage history staging/orders/app
  credstage history staging/orders/app --limit 5 --output json`,
		Args: exactArgs("SECRET"),
		RunE: func(cmd *cobra.Command, args []string) error {
			secret := args[0]
			q, err := quoted("SECRET", secret)
			if err != nil {
				return err
			}
			idq, err := quoted("SECRET", workflows.RotateWorkflowID(secret))
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			c, err := a.client(ctx)
			if err != nil {
				return err
			}
			query := fmt.Sprintf("%s AND (%s = %s OR WorkflowId = %s)", typeClause([]string{wfRotateSecret, wfRollbackSecret, wfRevokeSecret}), saSecret, q, idq)
			runs, err := a.listRuns(ctx, c, query, limit)
			if err != nil {
				return err
			}
			sort.SliceStable(runs, func(i, j int) bool { return runs[i].StartTime.After(runs[j].StartTime) })
			rows := make([]historyRow, len(runs))
			for i, r := range runs {
				rows[i] = a.historyRow(ctx, c, r)
			}
			if a.jsonOutput() {
				for _, r := range rows {
					if err := writeJSON(a.stdout, r); err != nil {
						return err
					}
				}
				return nil
			}
			if len(rows) == 0 {
				fmt.Fprintf(a.stdout, "No rotation or rollback of %s found in namespace %s.\n", secret, a.conn.Namespace)
				return nil
			}
			t := newTable(a.stdout, "STARTED", "TYPE", "OUTCOME", "LAST STEP", "DURATION", "RUN ID", "ERROR")
			for _, r := range rows {
				t.row(timestamp(r.StartTime), r.Type, r.Outcome, r.LastStep, humanDuration(msDuration(r.DurationMS)), r.RunID, r.Error)
			}
			t.flush()
			return nil
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 20, "at most this many runs")
	return cmd
}

// historyRow reads a closed run's result for its outcome: a rotation that
// rolled back completes "successfully" as a workflow, so only the result
// tells.
func (a *app) historyRow(ctx context.Context, c client.Client, r runRow) historyRow {
	row := historyRow{runRow: r, Outcome: r.Status}
	if r.CloseTime == nil {
		return row
	}
	res, errMsg := a.result(ctx, c, runRef{WorkflowID: r.WorkflowID, RunID: r.RunID}, r.Type)
	if errMsg != "" {
		row.Error = errMsg
		return row
	}
	if m, ok := res.(map[string]any); ok {
		str := func(k string) string { s, _ := m[k].(string); return s }
		if s := str("status"); s != "" {
			row.Outcome = s
		}
		row.LastStep, row.Error = str("lastStep"), str("error")
		row.VersionID = firstNonEmpty(str("versionId"), str("restoredVersionId"))
	}
	return row
}
