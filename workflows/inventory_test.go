package workflows

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/engine"
	"github.com/credstage/credstage/internal/inventory"
)

// fakeInventoryPage serves two pages: staging (one secret overdue, one
// not) and production (one whose last rotation failed), ages measured
// from the run's time as the real Source does.
func fakeInventoryPage(_ context.Context, in activities.InventoryPageInput) (inventory.Page, error) {
	row := func(name, env string, age, maxAge time.Duration, last string) inventory.Row {
		return inventory.Row{Name: name, Environment: env, Strategy: "single-user", CurrentCreated: in.Now.Add(-age),
			AgeSeconds: int64(age / time.Second), MaxAgeSeconds: int64(maxAge / time.Second),
			Overdue: inventory.Overdue(in.Now.Add(-age), maxAge, in.Now), LastStatus: last}
	}
	if in.Cursor.Phase == "" {
		return inventory.Page{Rows: []inventory.Row{
			row("staging/a", "staging", 100*time.Hour, 50*time.Hour, engine.StatusSucceeded),
			row("staging/b", "staging", 10*time.Hour, in.DefaultMaxAge, ""),
		}, Next: inventory.Cursor{Phase: "planned"}}, nil
	}
	return inventory.Page{Rows: []inventory.Row{row("production/c", "production", 5*time.Hour, 0, engine.StatusFailed)},
		Next: inventory.Cursor{Phase: "done"}}, nil
}

func TestInventoryPublishesRollUpsAndBoundsRows(t *testing.T) {
	f := newFake()
	env := newTestEnv(t, f, nil)
	var inv *activities.Inventory
	env.OnActivity(inv.InventoryPage, mock.Anything, mock.Anything).Return(fakeInventoryPage)
	env.ExecuteWorkflow(Inventory, InventoryInput{DefaultMaxAge: 24 * time.Hour, MaxRows: 2})
	require.NoError(t, env.GetWorkflowError())
	var res InventoryResult
	require.NoError(t, env.GetWorkflowResult(&res))

	require.Equal(t, 3, res.Managed)
	require.Equal(t, 1, res.Overdue)
	require.Equal(t, 1, res.RowsOmitted)
	// Attention first (overdue staging/a, failed production/c), then age.
	require.Equal(t, []string{"staging/a", "production/c"}, []string{res.Rows[0].Name, res.Rows[1].Name})

	got := map[string]float64{}
	for _, c := range f.called("PublishMetrics") {
		for _, d := range c.Arg.(activities.PublishInput).Datums {
			require.NotEqual(t, engine.MetricSecretAge, d.Name, "per-secret series only when asked")
			got[d.Name+"/"+d.Dimensions[0].Value] = d.Value
		}
	}
	require.Equal(t, map[string]float64{
		"ManagedSecrets/staging": 2, "OverdueSecrets/staging": 1, "OldestSecretAge/staging": 100 * 3600,
		"ManagedSecrets/production": 1, "OverdueSecrets/production": 0, "OldestSecretAge/production": 5 * 3600,
	}, got)
}

func TestInventoryPerSecretMetricsWhenAsked(t *testing.T) {
	f := newFake()
	env := newTestEnv(t, f, nil)
	var inv *activities.Inventory
	env.OnActivity(inv.InventoryPage, mock.Anything, mock.Anything).Return(fakeInventoryPage)
	env.ExecuteWorkflow(Inventory, InventoryInput{PerSecretMetrics: true})
	require.NoError(t, env.GetWorkflowError())
	ages := map[string]float64{}
	for _, c := range f.called("PublishMetrics") {
		for _, d := range c.Arg.(activities.PublishInput).Datums {
			if d.Name == engine.MetricSecretAge {
				require.Len(t, d.Dimensions, 2)
				ages[d.Dimensions[1].Value] = d.Value
			}
		}
	}
	require.Equal(t, map[string]float64{"staging/a": 100 * 3600, "staging/b": 10 * 3600, "production/c": 5 * 3600}, ages)
}

// TestInventoryContinuesAsNewWithItsTotals: past inventoryPagesPerRun
// pages a run hands its cursor, totals and kept rows to the next.
func TestInventoryContinuesAsNewWithItsTotals(t *testing.T) {
	f := newFake()
	env := newTestEnv(t, f, nil)
	var inv *activities.Inventory
	env.OnActivity(inv.InventoryPage, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.InventoryPageInput) (inventory.Page, error) {
			n := len(in.Cursor.Token)
			return inventory.Page{Rows: []inventory.Row{{Name: fmt.Sprintf("s/%d", n), Environment: "staging", CurrentCreated: in.Now, AgeSeconds: int64(n)}},
				Next: inventory.Cursor{Token: in.Cursor.Token + "x"}}, nil
		})
	env.ExecuteWorkflow(Inventory, InventoryInput{MaxRows: 3})
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, env.GetWorkflowError(), &can)
	var next InventoryInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.Resume)
	require.Equal(t, inventoryPagesPerRun, len(next.Resume.Cursor.Token))
	require.Equal(t, inventory.Totals{{Environment: "staging", Managed: inventoryPagesPerRun, OldestAgeSeconds: inventoryPagesPerRun - 1}}, next.Resume.Totals)
	require.Len(t, next.Resume.Rows, 3)
	require.Equal(t, 3, next.MaxRows)
	require.Empty(t, f.called("PublishMetrics"), "nothing is published before the last page")
}

// TestInventoryPayloadsAreBounded: a page, the result and the state
// handed over by continue-as-new stay far under Temporal's payload limit
// however large the fleet, with secret names at Secrets Manager's
// longest (512 characters).
func TestInventoryPayloadsAreBounded(t *testing.T) {
	row := func(i int) inventory.Row {
		name := fmt.Sprintf("%05d/%s", i, strings.Repeat("n", 506))
		return inventory.Row{Name: name, Environment: "production", Strategy: "alternating-users", CurrentCreated: time.Now(),
			AgeSeconds: 1 << 30, MaxAgeSeconds: 1 << 30, Overdue: true, LastStatus: engine.StatusPromotedUnverified,
			LastRun: time.Now(), NextRun: time.Now(), Schedules: []string{"nightly", "weekly"}}
	}
	var page inventory.Page
	for i := range inventory.PageSize {
		page.Rows = append(page.Rows, row(i))
	}
	kept := inventory.Keep(nil, append(page.Rows, page.Rows...), DefaultInventoryRows)
	for name, v := range map[string]any{
		"page":   page,
		"result": InventoryResult{Rows: kept, Environments: inventory.Totals{{Environment: "production"}}},
		"resume": InventoryInput{Resume: &InventoryResume{Rows: kept, Cursor: inventory.Cursor{Token: strings.Repeat("t", 4096)}}},
	} {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		require.Less(t, len(b), temporalBlobLimit/4, "%s: %d bytes", name, len(b))
	}
}
