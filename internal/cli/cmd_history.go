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
	Outcome   string   `json:"outcome"`
	LastStep  string   `json:"lastStep,omitempty"`
	VersionID string   `json:"versionId,omitempty"`
	Labels    []string `json:"labels,omitempty"`
	Error     string   `json:"error,omitempty"`
	// Source says where the row comes from: a run Temporal still has, or
	// a version Secrets Manager keeps (batched rotations, and runs past
	// Temporal's retention).
	Source string `json:"source"`
}

func newHistoryCmd(a *app) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "history SECRET",
		Short: "Show past rotations and rollbacks of a secret",
		Long: `Show past rotations and rollbacks of a secret, newest first, with their
outcome, last step, duration and error. Runs are found through visibility
(CredstageSecret and the secret's workflow ID rotate/<secret>). Rotations
inside a batch, and those whose runs Temporal's retention has dropped, are
found through the secret's versions (ListSecretVersionIds): each version's
token names the run that made it, and the outcome comes from the secret's
credstage:outcomes tag, which keeps the last 10.`,
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
			rows := make([]historyRow, len(runs))
			shown := map[string]bool{}
			for i, r := range runs {
				rows[i] = a.historyRow(ctx, c, r)
				shown[r.RunID] = true
			}
			// Without the versions the runs still tell most of it: a secret
			// deleted since, or a caller not allowed to list versions, gets
			// them and a warning.
			versions, err := a.versionRows(ctx, c, secret, shown)
			if err != nil {
				fmt.Fprintf(a.stderr, "warning: batched and expired rotations not shown: %s\n", message(err))
			}
			rows = append(rows, versions...)
			sort.SliceStable(rows, func(i, j int) bool { return rows[i].StartTime.After(rows[j].StartTime) })
			rows = rows[:min(len(rows), limit)]
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
			t := newTable(a.stdout, "STARTED", "TYPE", "OUTCOME", "LAST STEP", "DURATION", "RUN ID", "SOURCE", "ERROR")
			for _, r := range rows {
				t.row(timestamp(r.StartTime), r.Type, r.Outcome, r.LastStep, humanDuration(msDuration(r.DurationMS)), r.RunID, r.Source, r.Error)
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
	row := historyRow{runRow: r, Outcome: r.Status, Source: sourceTemporal}
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
