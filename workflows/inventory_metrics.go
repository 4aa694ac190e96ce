package workflows

import (
	"time"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/engine"
	"github.com/credstage/credstage/internal/inventory"
)

const unitSeconds = "Seconds"

// inventoryDatums are the roll-ups, one series per environment and metric.
// OverdueSecrets is published even when 0, so an alarm on it has data;
// OldestSecretAge only where some age is known.
func inventoryDatums(totals inventory.Totals, ts time.Time) []activities.MetricDatum {
	var out []activities.MetricDatum
	for _, e := range totals {
		env := activities.Dimension{Name: engine.DimEnvironment, Value: e.Environment}
		out = append(out,
			datum(engine.MetricManagedSecrets, float64(e.Managed), unitCount, ts, env),
			datum(engine.MetricOverdueSecrets, float64(e.Overdue), unitCount, ts, env))
		if e.Managed > e.Unknown {
			out = append(out, datum(engine.MetricOldestSecretAge, float64(e.OldestAgeSeconds), unitSeconds, ts, env))
		}
	}
	return out
}

// secretAgeDatums are the per-secret series (InventoryInput.PerSecretMetrics).
func secretAgeDatums(rows []inventory.Row, ts time.Time) []activities.MetricDatum {
	var out []activities.MetricDatum
	for _, r := range rows {
		if r.Error != "" || r.CurrentCreated.IsZero() {
			continue
		}
		out = append(out, datum(engine.MetricSecretAge, float64(r.AgeSeconds), unitSeconds, ts,
			activities.Dimension{Name: engine.DimEnvironment, Value: r.Environment},
			activities.Dimension{Name: engine.DimSecretName, Value: r.Name}))
	}
	return out
}
