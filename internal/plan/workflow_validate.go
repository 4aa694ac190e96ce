package plan

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/credstage/credstage/internal/yamlnode"
	"github.com/credstage/credstage/workflows"
)

// ValidateWorkflowPlan runs the workflow's own check of its input
// (workflows.Plan.Validate), the one StagedRotation applies when it
// starts, so the CLI refuses exactly what the workflow would refuse. The
// checks in this package come first and cover the same ground with line
// numbers; this one is the safety net, its problems placed on the line of
// the target or stage they name.
func (r *Resolved) ValidateWorkflowPlan() error {
	err := r.Plan.Validate()
	if err == nil {
		return nil
	}
	problems := []string{err.Error()}
	var pe *workflows.PlanError
	if errors.As(err, &pe) {
		problems = pe.Problems
	}
	var errs yamlnode.Errors
	for _, prob := range problems {
		field, msg, found := strings.Cut(prob, ": ")
		if !found {
			field, msg = "", prob
		}
		errs = append(errs, &yamlnode.Error{File: r.File(), Line: r.line(field), Path: field, Msg: msg})
	}
	return errs
}

var targetPath = regexp.MustCompile(`^stages\[(\d+)\]\.targets\[(\d+)\]`)

// line finds where the field a workflow problem names was written: a
// target added by a selector lives on the selector's line.
func (r *Resolved) line(field string) int {
	if m := targetPath.FindStringSubmatch(field); m != nil {
		i, _ := strconv.Atoi(m[1])
		j, _ := strconv.Atoi(m[2])
		if i < len(r.Origins) && j < len(r.Origins[i]) {
			return r.Origins[i][j].Line
		}
	}
	return r.parsed.doc.Line(field)
}
