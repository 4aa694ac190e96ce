package plan

import "github.com/credstage/credstage/internal/yamlnode"

// ValidateWorkflowPlan runs the workflow's own check of its input, the
// same one StagedRotation applies when it starts, so the CLI refuses what
// the workflow would refuse. Its errors carry no line, only the file.
func (r *Resolved) ValidateWorkflowPlan() error {
	if err := validateWorkflowPlan(r); err != nil {
		return yamlnode.Errors{{File: r.File(), Msg: err.Error()}}
	}
	return nil
}

// validateWorkflowPlan is replaced by a call to workflows.Plan.Validate
// once the workflows package provides it.
func validateWorkflowPlan(*Resolved) error { return nil }
