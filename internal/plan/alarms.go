package plan

import (
	"fmt"

	"github.com/credstage/credstage/internal/alarms"
	"github.com/credstage/credstage/internal/yamlnode"
)

// validateAlarms checks that every alarm action is an SNS topic ARN.
func (p *Parsed) validateAlarms() yamlnode.Errors {
	a := p.Spec.Alarms
	if a == nil {
		return nil
	}
	var errs yamlnode.Errors
	check := func(field string, arns []string) {
		for i, arn := range arns {
			if err := (alarms.Actions{Alarm: []string{arn}}).Validate(); err != nil {
				errs = append(errs, p.doc.Errorf(fmt.Sprintf("alarms.%s[%d]", field, i), "%v", err))
			}
		}
	}
	check("actions", a.Actions)
	check("okActions", a.OKActions)
	return errs
}

// AlarmActions are the plan's alarm actions (none without an alarms
// section).
func (s *Spec) AlarmActions() alarms.Actions {
	if s.Alarms == nil {
		return alarms.Actions{}
	}
	return alarms.Actions{Alarm: s.Alarms.Actions, OK: s.Alarms.OKActions}
}
