package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/credstage/credstage/activities"
)

func TestPlanValidateAcceptsAGoodPlan(t *testing.T) {
	p := twoStagePlan()
	p.Stages[0].MaxParallel = 0
	p.Stages[0].Bake = 10 * time.Minute
	p.Stages[0].Validators = append(p.Stages[0].Validators,
		activities.Validator{SQL: &activities.SQLProbe{Query: "SELECT 1"}},
		activities.Validator{Alarm: &activities.AlarmCheck{AlarmName: "orders-5xx"}, Timeout: time.Second})
	p.Stages[1].Targets = append(p.Stages[1].Targets, Target{SecretID: "rds!db-1", Strategy: activities.StrategyManagedMaster})
	assert.NoError(t, p.Validate())
}

func TestPlanValidateNamesEveryBadField(t *testing.T) {
	tests := []struct {
		name   string
		modify func(p *Plan)
		field  string
	}{
		{"no name", func(p *Plan) { p.Name = "" }, "name: required"},
		{"bad name", func(p *Plan) { p.Name = "my plan" }, "name: \"my plan\""},
		{"aws namespace", func(p *Plan) { p.MetricsNamespace = "AWS/RDS" }, "metricsNamespace:"},
		{"no stages", func(p *Plan) { p.Stages = nil }, "stages: a plan needs at least one stage"},
		{"empty stage name", func(p *Plan) { p.Stages[0].Name = "" }, "stages[0].name: required"},
		{"duplicate stage", func(p *Plan) { p.Stages[1].Name = "staging" }, "stages[1].name: stage \"staging\" is already stages[0]"},
		{"no targets", func(p *Plan) { p.Stages[1].Targets = nil }, "stages[1].targets: stage \"production\" has no targets"},
		{"empty secret", func(p *Plan) { p.Stages[0].Targets[1].SecretID = " " }, "stages[0].targets[1].secretId: required"},
		{"unknown strategy", func(p *Plan) { p.Stages[0].Targets[0].Strategy = "dual" }, "stages[0].targets[0].strategy: unknown strategy \"dual\""},
		{"empty strategy", func(p *Plan) { p.Stages[0].Targets[0].Strategy = "" }, "stages[0].targets[0].strategy"},
		{"secret twice", func(p *Plan) { p.Stages[1].Targets[0].SecretID = "staging/b" }, "stages[1].targets[0].secretId: secret \"staging/b\" is already listed at stages[0].targets[1]"},
		{"secret twice as ARN", func(p *Plan) {
			p.Stages[1].Targets[0].SecretID = "arn:aws:secretsmanager:us-east-1:123456789012:secret:staging/a-Xy12Zw"
		}, "is already listed at stages[0].targets[0]"},
		{"negative parallel", func(p *Plan) { p.Stages[0].MaxParallel = -1 }, "stages[0].maxParallel: must be ≥ 0"},
		{"negative bake", func(p *Plan) { p.Stages[0].Bake = -time.Second }, "stages[0].bake: must be ≥ 0"},
		{"two checks", func(p *Plan) {
			p.Stages[0].Validators[0].SQL = &activities.SQLProbe{Query: "SELECT 1"}
		}, "stages[0].validators[0]: validator \"health\" must set exactly one of sql, http, alarm (has 2)"},
		{"no check", func(p *Plan) { p.Stages[0].Validators[0].HTTP = nil }, "(has 0)"},
		{"bad url", func(p *Plan) { p.Stages[0].Validators[0].HTTP.URL = "localhost:8080" }, "stages[0].validators[0].http.url"},
		{"empty probe", func(p *Plan) { p.Stages[0].Targets[0].Probes = []activities.SQLProbe{{Name: "x"}} }, "stages[0].targets[0].probes[0].query: required"},
		{"empty alarm", func(p *Plan) {
			p.Stages[0].Validators = []activities.Validator{{Alarm: &activities.AlarmCheck{}}}
		}, "stages[0].validators[0].alarm.alarmName: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := twoStagePlan()
			tt.modify(&p)
			err := p.Validate()
			require.Error(t, err)
			var pe *PlanError
			require.True(t, errors.As(err, &pe))
			assert.Contains(t, err.Error(), tt.field)
		})
	}
}

func TestPlanValidateCollectsAllProblems(t *testing.T) {
	p := twoStagePlan()
	p.Name = ""
	p.Stages[0].MaxParallel = -2
	p.Stages[1].Targets[0].Strategy = "x"
	var pe *PlanError
	require.ErrorAs(t, p.Validate(), &pe)
	assert.Len(t, pe.Problems, 3)
}
