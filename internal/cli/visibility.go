package cli

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/credstage/credstage/workflows"
)

// Names of credstage's search attributes, for visibility queries.
var (
	saEnvironment = workflows.SearchAttrEnvironment.GetName()
	saSecret      = workflows.SearchAttrSecret.GetName()
	saStatus      = workflows.SearchAttrStatus.GetName()
)

// queryValue is the one kind of value credstage puts into visibility
// queries. Quotes and backslashes have no place in secret names or
// environments, and refusing them keeps a filter from rewriting the query.
var queryValue = regexp.MustCompile(`^[A-Za-z0-9/_+=.@!:,-]{1,512}$`)

func quoted(flag, v string) (string, error) {
	if !queryValue.MatchString(v) {
		return "", badInput("%s: invalid value %q (letters, digits and /_+=.@!:,- only)", flag, v)
	}
	return "'" + v + "'", nil
}

// runRow is one row of a visibility listing.
type runRow struct {
	WorkflowID  string     `json:"workflowId"`
	RunID       string     `json:"runId"`
	Type        string     `json:"type"`
	Status      string     `json:"status"`
	Execution   string     `json:"executionStatus"`
	Environment string     `json:"environment,omitempty"`
	Secret      string     `json:"secret,omitempty"`
	StartTime   time.Time  `json:"startTime"`
	CloseTime   *time.Time `json:"closeTime,omitempty"`
	DurationMS  int64      `json:"durationMs,omitempty"`
}

// listRuns pages through a visibility query up to limit rows.
func (a *app) listRuns(ctx context.Context, c client.Client, query string, limit int) ([]runRow, error) {
	var out []runRow
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace:     a.conn.Namespace,
			Query:         query,
			PageSize:      int32(min(limit, 1000)),
			NextPageToken: token,
		})
		if err != nil {
			return nil, a.temporalErr(err, runRef{})
		}
		for _, e := range resp.Executions {
			out = append(out, runOf(e))
			if len(out) >= limit {
				return out, nil
			}
		}
		if token = resp.NextPageToken; len(token) == 0 {
			return out, nil
		}
	}
}

func runOf(e *workflowpb.WorkflowExecutionInfo) runRow {
	r := runRow{
		WorkflowID:  e.Execution.WorkflowId,
		RunID:       e.Execution.RunId,
		Type:        e.Type.Name,
		Execution:   executionStatus(e.Status),
		Environment: searchAttr(e.SearchAttributes, saEnvironment),
		Secret:      searchAttr(e.SearchAttributes, saSecret),
		StartTime:   e.StartTime.AsTime(),
	}
	// credstage's own status says more than the execution's ("rolled-back"
	// rather than "completed"); runs that never set it fall back.
	r.Status = searchAttr(e.SearchAttributes, saStatus)
	if r.Status == "" || (r.Execution != "running" && r.Execution != "completed") {
		r.Status = r.Execution
	}
	if e.CloseTime != nil {
		t := e.CloseTime.AsTime()
		r.CloseTime = &t
		r.DurationMS = t.Sub(r.StartTime).Milliseconds()
	}
	return r
}

func searchAttr(sa *commonpb.SearchAttributes, name string) string {
	if sa == nil || sa.IndexedFields[name] == nil {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(sa.IndexedFields[name], &s); err != nil {
		var list []string // keyword lists decode as arrays
		if converter.GetDefaultDataConverter().FromPayload(sa.IndexedFields[name], &list) == nil {
			return strings.Join(list, ",")
		}
		return ""
	}
	return s
}

// typeClause restricts a query to the given workflow types.
func typeClause(types []string) string {
	var parts []string
	for _, t := range types {
		parts = append(parts, fmt.Sprintf("WorkflowType = '%s'", t))
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}
