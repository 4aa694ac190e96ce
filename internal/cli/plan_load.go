package cli

import (
	"context"
	"errors"
	"io/fs"

	"github.com/credstage/credstage/internal/plan"
)

// loadPlan reads, resolves and checks a plan file against Secrets Manager
// (metadata only): what `plan validate`, `rotate` and `schedule create`
// all do before anything starts, so a bad plan never reaches Temporal.
func (a *app) loadPlan(ctx context.Context, path string) (*plan.Resolved, error) {
	parsed, err := loadPlanFile(path)
	if err != nil {
		return nil, err
	}
	sm, err := a.secretsClient(ctx)
	if err != nil {
		return nil, err
	}
	resolved, err := parsed.Resolve(ctx, sm)
	if err != nil {
		return nil, err
	}
	if err := resolved.Check(ctx, sm); err != nil {
		return nil, err
	}
	if err := resolved.ValidateWorkflowPlan(); err != nil {
		return nil, err
	}
	return resolved, nil
}

// loadPlanFile reads and checks a plan file without asking AWS: a file
// that cannot be read is bad input, like an invalid plan.
func loadPlanFile(path string) (*plan.Parsed, error) {
	parsed, err := plan.Load(path)
	if err != nil && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)) {
		return nil, withCode(ExitBadInput, err)
	}
	return parsed, err
}
