package cli

import (
	"fmt"
	"sort"
	"time"

	"github.com/spf13/cobra"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

type scheduleRow struct {
	Name    string     `json:"name"`
	Spec    string     `json:"spec"`
	Plan    string     `json:"plan,omitempty"`
	Paused  bool       `json:"paused"`
	Note    string     `json:"note,omitempty"`
	NextRun *time.Time `json:"nextRun,omitempty"`
	LastRun *time.Time `json:"lastRun,omitempty"`
}

func newScheduleListCmd(a *app) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the schedules that run plans",
		Long: `List the schedules that start staged rotations (--all: every schedule of
the namespace), with their timing, plan, state and next action. The list
comes from Temporal visibility, which may lag a second behind a change.`,
		Example: `  credstage schedule list
  credstage schedule list --output json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			c, err := a.client(ctx)
			if err != nil {
				return err
			}
			it, err := c.ScheduleClient().List(ctx, client.ScheduleListOptions{PageSize: 100})
			if err != nil {
				return a.temporalErr(err, runRef{})
			}
			var rows []scheduleRow
			for it.HasNext() {
				e, err := it.Next()
				if err != nil {
					return a.temporalErr(err, runRef{})
				}
				if !all && e.WorkflowType.Name != wfStagedRotation {
					continue
				}
				rows = append(rows, scheduleRowOf(e))
			}
			sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
			if a.jsonOutput() {
				for _, r := range rows {
					if err := writeJSON(a.stdout, r); err != nil {
						return err
					}
				}
				return nil
			}
			if len(rows) == 0 {
				fmt.Fprintf(a.stdout, "No schedules in namespace %s.\n", a.conn.Namespace)
				return nil
			}
			t := newTable(a.stdout, "NAME", "SPEC", "PLAN", "STATE", "NEXT RUN", "LAST RUN", "NOTE")
			for _, r := range rows {
				state := "active"
				if r.Paused {
					state = "paused"
				}
				t.row(r.Name, r.Spec, r.Plan, state, timePtr(r.NextRun), timePtr(r.LastRun), r.Note)
			}
			t.flush()
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include schedules that do not run credstage plans")
	return cmd
}

func scheduleRowOf(e *client.ScheduleListEntry) scheduleRow {
	r := scheduleRow{
		Name:   e.ID,
		Spec:   memoString(e.Memo, memoSpec),
		Plan:   memoString(e.Memo, memoPlan),
		Paused: e.Paused,
		Note:   e.Note,
	}
	if r.Spec == "" {
		r.Spec = specSummary(e.Spec)
	}
	if len(e.NextActionTimes) > 0 {
		r.NextRun = &e.NextActionTimes[0]
	}
	if n := len(e.RecentActions); n > 0 {
		r.LastRun = &e.RecentActions[n-1].ActualTime
	}
	return r
}

// specSummary describes a spec the CLI did not create (no memo).
func specSummary(s *client.ScheduleSpec) string {
	switch {
	case s == nil:
		return ""
	case len(s.CronExpressions) > 0:
		return "cron " + s.CronExpressions[0]
	case len(s.Intervals) > 0:
		return "every " + s.Intervals[0].Every.String()
	case len(s.Calendars) > 0:
		return "calendar"
	}
	return ""
}

func memoString(m *commonpb.Memo, key string) string {
	if m == nil || m.Fields[key] == nil {
		return ""
	}
	var s string
	_ = converter.GetDefaultDataConverter().FromPayload(m.Fields[key], &s)
	return s
}

func timePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return timestamp(*t)
}
