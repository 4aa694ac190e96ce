package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
)

func newSchedulePauseCmd(a *app) *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:     "pause NAME",
		Short:   "Stop a schedule from taking actions until unpaused",
		Example: `  credstage schedule pause nightly --note "freeze until Monday"`,
		Args:    exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, _, err := a.schedule(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := h.Pause(cmd.Context(), client.SchedulePauseOptions{Note: firstNonEmpty(note, "paused by "+a.approver())}); err != nil {
				return a.scheduleErr(err, args[0])
			}
			fmt.Fprintf(a.stdout, "Paused schedule %s.\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "why, shown with the schedule")
	return cmd
}

func newScheduleUnpauseCmd(a *app) *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:     "unpause NAME",
		Short:   "Let a paused schedule take actions again",
		Example: `  credstage schedule unpause nightly`,
		Args:    exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, _, err := a.schedule(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := h.Unpause(cmd.Context(), client.ScheduleUnpauseOptions{Note: firstNonEmpty(note, "unpaused by "+a.approver())}); err != nil {
				return a.scheduleErr(err, args[0])
			}
			fmt.Fprintf(a.stdout, "Unpaused schedule %s.\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "why, shown with the schedule")
	return cmd
}

func newScheduleTriggerCmd(a *app) *cobra.Command {
	var overlap string
	cmd := &cobra.Command{
		Use:   "trigger NAME",
		Short: "Start a run of a schedule's plan now",
		Long: `Start a run of the schedule's plan now, outside its timing (a paused
schedule too). The schedule's overlap policy applies unless --overlap says
otherwise.`,
		Example: `  credstage schedule trigger nightly
  credstage schedule trigger nightly --overlap allow-all`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			policy, err := parseOverlap(overlap)
			if err != nil {
				return err
			}
			h, _, err := a.schedule(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := h.Trigger(cmd.Context(), client.ScheduleTriggerOptions{Overlap: policy}); err != nil {
				return a.scheduleErr(err, args[0])
			}
			fmt.Fprintf(a.stdout, "Triggered schedule %s; see its run with: credstage schedule describe %s\n", args[0], args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&overlap, "overlap", "", "overlap policy for this run: "+overlapChoices())
	return cmd
}

func newScheduleDeleteCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "delete NAME",
		Short:   "Delete a schedule (runs it started go on)",
		Example: `  credstage schedule delete nightly`,
		Args:    exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, _, err := a.schedule(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := h.Delete(cmd.Context()); err != nil {
				return a.scheduleErr(err, args[0])
			}
			fmt.Fprintf(a.stdout, "Deleted schedule %s.\n", args[0])
			return nil
		},
	}
}

func newScheduleBackfillCmd(a *app) *cobra.Command {
	var start, end, overlap string
	cmd := &cobra.Command{
		Use:   "backfill NAME --start TIME --end TIME",
		Short: "Take the actions a schedule would have taken in a past window",
		Long: `Take, now, the actions the schedule would have taken between --start and
--end (RFC 3339 times, e.g. 2026-01-01T00:00:00Z), as if it had been
running then. --overlap defaults to allow-all so every missed action runs.`,
		Example: `  credstage schedule backfill nightly --start 2026-01-01T00:00:00Z --end 2026-01-03T00:00:00Z`,
		Args:    exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			from, err := parseTimeFlag("--start", start)
			if err != nil {
				return err
			}
			to, err := parseTimeFlag("--end", end)
			if err != nil {
				return err
			}
			if !to.After(from) {
				return badInput("--end (%s) must be after --start (%s)", end, start)
			}
			policy, err := parseOverlap(overlap)
			if err != nil {
				return err
			}
			h, _, err := a.schedule(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			err = h.Backfill(cmd.Context(), client.ScheduleBackfillOptions{Backfill: []client.ScheduleBackfill{{Start: from, End: to, Overlap: policy}}})
			if err != nil {
				return a.scheduleErr(err, args[0])
			}
			fmt.Fprintf(a.stdout, "Backfilling schedule %s from %s to %s.\n", args[0], timestamp(from), timestamp(to))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&start, "start", "", "start of the window, RFC 3339 (required)")
	fl.StringVar(&end, "end", "", "end of the window, RFC 3339 (required)")
	fl.StringVar(&overlap, "overlap", "allow-all", "overlap policy for the backfilled runs: "+overlapChoices())
	return cmd
}

func parseTimeFlag(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, badInput("%s is required (an RFC 3339 time such as 2026-01-01T00:00:00Z)", flag)
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, badInput("%s: want an RFC 3339 time such as 2026-01-01T00:00:00Z, got %q", flag, v)
	}
	return t, nil
}
