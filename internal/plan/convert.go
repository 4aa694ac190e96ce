package plan

import (
	"fmt"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/workflows"
)

// Origin says where a target of the resolved plan came from, so errors
// found later (a secret that does not exist) point at the right line.
type Origin struct {
	Path     string // field path of the target's secret, or of the selector
	Line     int
	Selected bool // added by the stage's selector
	// Secret is what DescribeSecret said; nil until Check ran.
	Secret *SecretInfo
}

// Resolved is a plan with its selectors expanded: the exact workflow
// input, plus where each target came from.
type Resolved struct {
	Plan    workflows.Plan
	Origins [][]Origin // [stage][target], parallel to Plan.Stages[i].Targets
	parsed  *Parsed
}

// File is the path of the plan file.
func (r *Resolved) File() string { return r.parsed.File() }

// stagePlan converts one stage without its selector's targets. The plan's
// maxAge is folded into each stage that sets none, so a schedule's action
// carries each secret's limit as it is.
func stagePlan(i int, st StageSpec, planMaxAge Duration, line func(string) int) (workflows.Stage, []Origin) {
	maxAge := st.MaxAge
	if maxAge == 0 {
		maxAge = planMaxAge
	}
	stage := workflows.Stage{
		Name:            st.Name,
		MaxAge:          maxAge.D(),
		MaxParallel:     st.MaxParallel,
		BatchSize:       st.BatchSize,
		Bake:            st.Bake.D(),
		RequireApproval: st.RequireApproval,
	}
	if st.Drain != nil {
		stage.Drain = &activities.Drain{Mode: activities.DrainMode(st.Drain.Mode), Timeout: st.Drain.Timeout.D()}
	}
	var origins []Origin
	for j, t := range st.Targets {
		path := fmt.Sprintf("stages[%d].targets[%d].secret", i, j)
		target := workflows.Target{SecretID: t.Secret, Strategy: strategyOf(t.Strategy, st.Strategy)}
		for _, pr := range t.Probes {
			target.Probes = append(target.Probes, activities.SQLProbe{Name: pr.Name, Query: pr.Query, Expect: pr.Expect})
		}
		stage.Targets = append(stage.Targets, target)
		origins = append(origins, Origin{Path: path, Line: line(path)})
	}
	for _, v := range st.Validators {
		stage.Validators = append(stage.Validators, validatorOf(v))
	}
	return stage, origins
}

func strategyOf(target, stage string) activities.Strategy {
	switch {
	case target != "":
		return activities.Strategy(target)
	case stage != "":
		return activities.Strategy(stage)
	}
	return DefaultStrategy
}

// validatorOf names unnamed validators after what they check, so progress
// and errors say "http http://…/healthz" rather than "validator 2".
func validatorOf(v ValidatorSpec) activities.Validator {
	out := activities.Validator{Name: v.Name, Timeout: v.Timeout.D()}
	switch {
	case v.SQL != nil:
		out.SQL = &activities.SQLProbe{Name: v.SQL.Name, Query: v.SQL.Query, Expect: v.SQL.Expect}
		if out.Name == "" {
			out.Name = "sql " + v.SQL.Query
		}
	case v.HTTP != nil:
		out.HTTP = &activities.HTTPCheck{URL: v.HTTP.URL, ExpectStatus: v.HTTP.ExpectStatus, BodyContains: v.HTTP.BodyContains}
		if out.Name == "" {
			out.Name = "http " + v.HTTP.URL
		}
	case v.Alarm != nil:
		out.Alarm = &activities.AlarmCheck{AlarmName: v.Alarm.AlarmName}
		if out.Name == "" {
			out.Name = "alarm " + v.Alarm.AlarmName
		}
	}
	return out
}
