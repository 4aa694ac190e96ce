package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/credstage/credstage/engine"
)

// The dashboard reads the Environment-only roll-ups (engine/vocabulary.go):
// a per-secret series per widget line would grow with the fleet, and the
// roll-ups are what the alarms watch, so the dashboard and the alarms
// agree on what they show.

// dashboardSpec is everything the body depends on; the same spec always
// gives the same bytes, so an apply that changes nothing can tell.
type dashboardSpec struct {
	Namespace    string
	Region       string
	Environments []string
	// PeriodSeconds of every graph; CloudWatch's default is 300.
	PeriodSeconds int
}

type dashboardWidget struct {
	Type       string         `json:"type"`
	X          int            `json:"x"`
	Y          int            `json:"y"`
	Width      int            `json:"width"`
	Height     int            `json:"height"`
	Properties map[string]any `json:"properties"`
}

type dashboardDoc struct {
	Start          string            `json:"start"`
	PeriodOverride string            `json:"periodOverride"`
	Widgets        []dashboardWidget `json:"widgets"`
}

// dashboardGraph is one metric widget before layout.
type dashboardGraph struct {
	title   string
	stat    string
	stacked bool
	metrics []any
	yLabel  string
}

// dashboardBody builds the dashboard credstage applies. Layout: a text
// header across the grid, then graphs two to a row (12 of the 24 columns
// each, 6 high).
func dashboardBody(s dashboardSpec) ([]byte, error) {
	if s.Namespace == "" || s.Region == "" {
		return nil, fmt.Errorf("dashboard: namespace and region are required")
	}
	period := s.PeriodSeconds
	if period <= 0 {
		period = 300
	}
	header := fmt.Sprintf("# credstage\nNamespace `%s`, environments: %s. Written by `credstage dashboard apply`: "+
		"edits made in the console are replaced by the next apply.", s.Namespace, dashboardEnvList(s.Environments))
	doc := dashboardDoc{Start: "-PT24H", PeriodOverride: "inherit", Widgets: []dashboardWidget{{
		Type: "text", X: 0, Y: 0, Width: 24, Height: 2, Properties: map[string]any{"markdown": header},
	}}}
	for i, g := range dashboardGraphs(s) {
		props := map[string]any{
			"title": g.title, "region": s.Region, "view": "timeSeries", "stacked": g.stacked,
			"stat": g.stat, "period": period, "metrics": g.metrics,
		}
		if g.yLabel != "" {
			props["yAxis"] = map[string]any{"left": map[string]any{"label": g.yLabel, "showUnits": false, "min": 0}}
		}
		doc.Widgets = append(doc.Widgets, dashboardWidget{
			Type: "metric", X: (i % 2) * 12, Y: 2 + (i/2)*6, Width: 12, Height: 6, Properties: props,
		})
	}
	return json.MarshalIndent(doc, "", "  ")
}

func dashboardEnvList(envs []string) string {
	if len(envs) == 0 {
		return "none found yet"
	}
	return strings.Join(envs, ", ")
}

// dashboardGraphs lists the graphs: outcomes per environment, then the
// fleet-wide ones with a line per environment.
func dashboardGraphs(s dashboardSpec) []dashboardGraph {
	line := func(metric, env string, opts map[string]any) []any {
		return []any{s.Namespace, metric, engine.DimEnvironment, env, opts}
	}
	var graphs []dashboardGraph
	for _, env := range s.Environments {
		var m []any
		for _, o := range []struct{ metric, label, color string }{
			{engine.MetricRotationSucceeded, "succeeded", "#2ca02c"},
			{engine.MetricRotationRolledBack, "rolled back", "#ff7f0e"},
			{engine.MetricRotationFailed, "failed", "#d62728"},
			{engine.MetricRotationUnverified, "promoted, unverified", "#9467bd"},
		} {
			m = append(m, line(o.metric, env, map[string]any{"label": o.label, "color": o.color}))
		}
		graphs = append(graphs, dashboardGraph{title: "Rotations by outcome: " + env, stat: "Sum", stacked: true, metrics: m, yLabel: "rotations"})
	}
	perEnv := func(metric, stat, suffix string) []any {
		m := []any{} // never null: CloudWatch wants an array
		for _, env := range s.Environments {
			opts := map[string]any{"label": env + suffix}
			if stat != "" {
				opts["stat"] = stat
			}
			m = append(m, line(metric, env, opts))
		}
		return m
	}
	graphs = append(graphs,
		dashboardGraph{title: "Rotation duration (average, p90)", stat: "Average", yLabel: "ms",
			metrics: append(perEnv(engine.MetricRotationDuration, "", " average"), perEnv(engine.MetricRotationDuration, "p90", " p90")...)},
		dashboardGraph{title: "Stage duration (average)", stat: "Average", yLabel: "ms", metrics: perEnv(engine.MetricStageDuration, "", "")},
		dashboardGraph{title: "Validation failures", stat: "Sum", yLabel: "failures", metrics: perEnv(engine.MetricValidationFailed, "", "")},
		dashboardGraph{title: "Oldest secret age", stat: "Maximum", yLabel: "seconds", metrics: perEnv(engine.MetricOldestSecretAge, "", "")},
		dashboardGraph{title: "Overdue and managed secrets", stat: "Maximum", yLabel: "secrets",
			metrics: append(perEnv(engine.MetricOverdueSecrets, "", " overdue"), perEnv(engine.MetricManagedSecrets, "", " managed")...)},
		dashboardGraph{title: "Provisioning outcomes", stat: "Sum", stacked: true, yLabel: "instances",
			metrics: append(perEnv(engine.MetricProvisionSucceeded, "", " succeeded"), perEnv(engine.MetricProvisionFailed, "", " failed")...)},
		dashboardGraph{title: "Provisioning duration (average)", stat: "Average", yLabel: "ms", metrics: perEnv(engine.MetricProvisionDuration, "", "")},
	)
	return graphs
}
