package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/credstage/credstage/workflows"
)

// DefaultPollInterval is how often --wait asks a run for its progress: a
// query is cheap, and a person watching wants changes within a second.
const DefaultPollInterval = time.Second

// follow shows a staged run's progress until the run ends and returns the
// exit code its outcome deserves: a redrawn table on a terminal, one line
// per change otherwise, JSON lines with --output json.
func (a *app) follow(ctx context.Context, c client.Client, ref runRef, interval time.Duration) error {
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	type outcome struct {
		res workflows.StagedRotationResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		o.err = c.GetWorkflow(ctx, ref.WorkflowID, ref.RunID).Get(ctx, &o.res)
		if res, ok := resultInFailure(o.err); ok {
			o.res = res
		}
		done <- o
	}()
	v := a.newProgressView(ref)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if p, ok := a.queryProgress(ctx, c, ref.WorkflowID, interval*5); ok {
			v.show(p)
		}
		select {
		case o := <-done:
			if ctx.Err() != nil {
				return failed("stopped waiting; the run goes on: credstage status %s", ref.WorkflowID)
			}
			// The final answer of the query, when a worker still serves
			// it, has the last steps; the result has the same stages.
			p, ok := a.queryProgress(ctx, c, ref.WorkflowID, 3*time.Second)
			if !ok && o.err == nil {
				p = workflows.Progress{Plan: o.res.Plan, Status: o.res.Status, Stages: o.res.Stages}
			}
			if ok || o.err == nil {
				v.show(p)
			}
			return v.finish(o.res, o.err)
		case <-tick.C:
		case <-ctx.Done():
			return failed("stopped waiting; the run goes on: credstage status %s", ref.WorkflowID)
		}
	}
}

// queryProgress asks the run for its progress; false when it could not
// answer in time (no worker, or the run is gone).
func (a *app) queryProgress(ctx context.Context, c client.Client, workflowID string, timeout time.Duration) (workflows.Progress, bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var p workflows.Progress
	v, err := c.QueryWorkflow(ctx, workflowID, "", workflows.QueryProgress)
	if err != nil || v.Get(&p) != nil {
		return p, false
	}
	return p, true
}

// progressView renders successive snapshots of one run.
type progressView struct {
	a       *app
	w       io.Writer
	ref     runRef
	mode    string // tty, plain or json
	width   int
	drawn   int // lines drawn last time (tty)
	last    workflows.Progress
	lastRaw string
	started time.Time
}

func (a *app) newProgressView(ref runRef) *progressView {
	v := &progressView{a: a, w: a.stdout, ref: ref, mode: "plain", started: time.Now()}
	if a.jsonOutput() {
		v.mode = "json"
	} else if width, ok := a.terminalWidth(a.stdout); ok {
		v.mode, v.width = "tty", width
	}
	return v
}

func (v *progressView) show(p workflows.Progress) {
	raw, _ := json.Marshal(p)
	changed := string(raw) != v.lastRaw
	switch v.mode {
	case "json":
		if changed {
			_ = writeJSON(v.w, map[string]any{"type": "progress", "workflowId": v.ref.WorkflowID, "progress": p})
		}
	case "plain":
		for _, line := range progressEvents(v.last, p) {
			fmt.Fprintf(v.w, "[+%s] %s\n", time.Since(v.started).Round(time.Second), line)
		}
	case "tty":
		// Redraw every tick (bake countdowns move) in place of the old
		// block: cursor up over it, clear to the end of the screen.
		if v.drawn > 0 {
			fmt.Fprintf(v.w, "\x1b[%dA\x1b[J", v.drawn)
		}
		lines := append([]string{headline(p)}, progressLines(p, v.ref.WorkflowID, time.Now())...)
		for _, l := range lines {
			if v.width > 1 && len(l) >= v.width {
				l = l[:v.width-1]
			}
			fmt.Fprintln(v.w, l)
		}
		v.drawn = len(lines)
	}
	v.last, v.lastRaw = p, string(raw)
}

// finish prints the outcome and picks the exit code: 0 only when every
// stage succeeded.
func (v *progressView) finish(res workflows.StagedRotationResult, runErr error) error {
	status, summary := res.Status, res.Summary
	if runErr != nil && status == "" {
		status, summary = workflows.StatusFailed, failureMessage(runErr)
	}
	if v.mode == "json" {
		out := map[string]any{"type": "result", "workflowId": v.ref.WorkflowID, "status": status}
		if runErr != nil {
			out["error"] = failureMessage(runErr)
		}
		if res.Status != "" {
			out["result"] = res
		}
		_ = writeJSON(v.w, out)
	} else {
		// The workflow's summary already reads "plan X: status after D"
		// followed by one line per stage; without it, say the same.
		line := strings.TrimSpace(summary)
		if line == "" || runErr != nil && res.Status == "" {
			line = fmt.Sprintf("plan %s %s", firstNonEmpty(res.Plan, v.last.Plan), status)
			if res.DurationMS > 0 {
				line += " in " + humanDuration(msDuration(res.DurationMS))
			}
			if summary != "" {
				line += ": " + strings.TrimSpace(summary)
			}
		}
		fmt.Fprintln(v.w, line)
	}
	if status == workflows.StatusSucceeded {
		return nil
	}
	return withCode(ExitFailed, errSilent)
}

// resultInFailure recovers the result a StagedRotation attaches to its
// failure (status failed: a rollback failed), so the stages still show.
func resultInFailure(err error) (workflows.StagedRotationResult, bool) {
	var res workflows.StagedRotationResult
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.HasDetails() && appErr.Details(&res) == nil && res.Status != "" {
		return res, true
	}
	return res, false
}
