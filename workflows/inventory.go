package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/engine"
	"github.com/credstage/credstage/internal/inventory"
)

// DefaultInventoryRows bounds the rows an inventory run returns.
const DefaultInventoryRows = 200

// inventoryPagesPerRun bounds one run's history (each page is an activity
// with up to 100 rows, about 30 KB): 200 pages are 20,000 secrets, after
// which the run continues as new with its totals.
const inventoryPagesPerRun = 200

// InventoryInput is an inventory run (the action of the credstage-inventory
// schedule, or `credstage inventory run`).
type InventoryInput struct {
	// DefaultMaxAge applies to secrets no schedule's plan gives a maxAge;
	// 0: none, so such a secret is never overdue.
	DefaultMaxAge time.Duration `json:"defaultMaxAge,omitempty"`
	// PerSecretMetrics publishes SecretAge for every secret too: one
	// custom metric per secret, so off by default.
	PerSecretMetrics bool   `json:"perSecretMetrics,omitempty"`
	MetricsNamespace string `json:"metricsNamespace,omitempty"`
	// MaxRows bounds Rows in the result (default DefaultInventoryRows).
	MaxRows int `json:"maxRows,omitempty"`
	// Resume carries a run across continue-as-new; nil on a fresh start.
	Resume *InventoryResume `json:"resume,omitempty"`
}

// InventoryResume is where a continued run picks up.
type InventoryResume struct {
	Now    time.Time        `json:"now"`
	Cursor inventory.Cursor `json:"cursor"`
	Totals inventory.Totals `json:"totals"`
	Rows   []inventory.Row  `json:"rows,omitempty"`
}

// InventoryResult is what the Web UI shows of a run: the roll-ups of every
// environment, and the rows that matter most (those overdue or whose last
// rotation failed, then the oldest), at most MaxRows of them; RowsOmitted
// says how many more secrets the totals count. `credstage report` lists
// them all.
type InventoryResult struct {
	Now          time.Time        `json:"now"`
	Environments inventory.Totals `json:"environments"`
	Managed      int              `json:"managed"`
	Overdue      int              `json:"overdue"`
	Rows         []inventory.Row  `json:"rows"`
	RowsOmitted  int              `json:"rowsOmitted,omitempty"`
}

// Inventory measures the age of every managed secret's AWSCURRENT version,
// page by page (activities.Inventory.InventoryPage), and publishes per
// environment OldestSecretAge, OverdueSecrets (0 included: an alarm needs
// data) and ManagedSecrets, plus SecretAge per secret when asked
// (docs/architecture.md, The inventory). It changes nothing. A page that
// keeps failing fails the run before anything is published, so a partial
// picture never reaches an alarm; the next scheduled run starts afresh.
func Inventory(ctx workflow.Context, in InventoryInput) (InventoryResult, error) {
	st := InventoryResume{Now: workflow.Now(ctx).UTC().Truncate(time.Second)}
	if in.Resume != nil {
		st = *in.Resume
	}
	maxRows := in.MaxRows
	if maxRows <= 0 {
		maxRows = DefaultInventoryRows
	}
	actx := withInventoryOptions(ctx)
	var inv *activities.Inventory
	for pages := 0; !st.Cursor.Done(); pages++ {
		if pages == inventoryPagesPerRun {
			next := in
			next.Resume = &st
			return InventoryResult{}, workflow.NewContinueAsNewError(ctx, Inventory, next)
		}
		var page inventory.Page
		err := workflow.ExecuteActivity(actx, inv.InventoryPage, activities.InventoryPageInput{
			Cursor: st.Cursor, DefaultMaxAge: in.DefaultMaxAge, Now: st.Now}).Get(actx, &page)
		if err != nil {
			return InventoryResult{}, err
		}
		st.Totals = st.Totals.Add(page.Rows...)
		st.Rows = inventory.Keep(st.Rows, page.Rows, maxRows)
		if in.PerSecretMetrics {
			publishMetrics(ctx, in.MetricsNamespace, secretAgeDatums(page.Rows, st.Now))
		}
		st.Cursor = page.Next
	}
	publishMetrics(ctx, in.MetricsNamespace, inventoryDatums(st.Totals, st.Now))
	res := InventoryResult{Now: st.Now, Environments: st.Totals, Rows: st.Rows}
	for _, e := range st.Totals {
		res.Managed += e.Managed
		res.Overdue += e.Overdue
	}
	res.RowsOmitted = res.Managed - len(res.Rows)
	return res, nil
}

// withInventoryOptions: a page reads at most 100 secrets at the Source's
// rates (about 4 s), heartbeating after each; transient failures retry
// with the engine's backoff, a dozen times, after which the run fails and
// the next one tries again.
func withInventoryOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: engine.RetryInitial, BackoffCoefficient: engine.RetryCoefficient,
			MaximumInterval: engine.RetryMax, MaximumAttempts: 12},
	})
}
