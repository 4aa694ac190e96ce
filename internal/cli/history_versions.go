package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/engine"
	"github.com/credstage/credstage/internal/plan"
)

// Where a history row comes from.
const (
	sourceTemporal = "temporal"
	sourceVersions = "secrets-manager"
)

// runIDsPerQuery bounds the RunId IN (...) list of one visibility query.
const runIDsPerQuery = 50

// versionRows are the rotations Secrets Manager remembers of a secret
// that its Temporal runs do not show (docs/architecture.md, "Where
// outcomes live"): every version a credstage run made, found by its
// token, with its creation date, the labels it holds and the outcome
// recorded in the credstage:outcomes tag. A batched rotation is one of
// these (its run is the staged run, whose ID the token carries), and so
// is every rotation whose run Temporal's retention has dropped. The runs
// still in Temporal are found with one visibility query per 50 runs.
// Only metadata is read, never a value.
func (a *app) versionRows(ctx context.Context, c client.Client, secret string, shown map[string]bool) ([]historyRow, error) {
	sm, err := a.secretsClient(ctx)
	if err != nil {
		return nil, err
	}
	desc, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secret)})
	if err != nil {
		return nil, &plan.AWSError{Op: "DescribeSecret " + secret, Err: err}
	}
	var outcomes []engine.Outcome
	for _, t := range desc.Tags {
		if aws.ToString(t.Key) == engine.TagOutcomes {
			outcomes = engine.ParseOutcomes(aws.ToString(t.Value))
		}
	}
	var rows []historyRow
	var runs []string
	p := secretsmanager.NewListSecretVersionIdsPaginator(sm, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(secret), IncludeDeprecated: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, &plan.AWSError{Op: "ListSecretVersionIds " + secret, Err: err}
		}
		for _, v := range page.Versions {
			id := aws.ToString(v.VersionId)
			run, ok := engine.TokenRun(id)
			if !ok || shown[run] {
				continue
			}
			row := historyRow{runRow: runRow{RunID: run, Secret: secret, Type: "rotation"}, VersionID: id,
				Labels: v.VersionStages, Source: sourceVersions, Outcome: versionOutcome(id, v.VersionStages, outcomes)}
			if v.CreatedDate != nil {
				row.StartTime = *v.CreatedDate
			}
			rows = append(rows, row)
			runs = append(runs, run)
		}
	}
	found, err := a.runsByID(ctx, c, runs)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		if r, ok := found[rows[i].RunID]; ok {
			rows[i].WorkflowID, rows[i].Type, rows[i].Status, rows[i].Execution = r.WorkflowID, r.Type, r.Status, r.Execution
			if r.Type == wfStagedRotation {
				rows[i].Type = wfStagedRotation + " (batch)"
			}
		}
	}
	return rows, nil
}

// versionOutcome is how the rotation that made a version ended: as the
// tag recorded it, else what its labels still say.
func versionOutcome(versionID string, labels []string, outcomes []engine.Outcome) string {
	for _, o := range outcomes {
		if o.Matches(versionID) {
			return o.Status
		}
	}
	switch {
	case slices.Contains(labels, "AWSCURRENT"):
		return "current"
	case slices.Contains(labels, "AWSPREVIOUS"):
		return "previous"
	case slices.Contains(labels, "AWSPENDING"):
		return "pending"
	}
	return "unknown (older than the recorded outcomes)"
}

// runsByID finds the runs Temporal still has among ids.
func (a *app) runsByID(ctx context.Context, c client.Client, ids []string) (map[string]runRow, error) {
	out := map[string]runRow{}
	for batch := range slices.Chunk(ids, runIDsPerQuery) {
		quotedIDs := make([]string, len(batch))
		for i, id := range batch {
			q, err := quoted("run id", id)
			if err != nil {
				return nil, err
			}
			quotedIDs[i] = q
		}
		rows, err := a.listRuns(ctx, c, fmt.Sprintf("RunId IN (%s)", strings.Join(quotedIDs, ", ")), len(batch))
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.RunID] = r
		}
	}
	return out, nil
}
