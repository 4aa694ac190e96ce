package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// searchAttrs are the Credstage* search attributes of a run; an empty
// value leaves that attribute as it is.
type searchAttrs struct {
	Environment string
	Secret      string
	Status      string
}

// upsertSearchAttrs sets the attributes that differ from the run's
// current ones. Children started by StagedRotation already carry theirs,
// so they add no history event for them; a failure is logged, never
// fatal: search attributes help people find runs, they are not state.
func upsertSearchAttrs(ctx workflow.Context, sa searchAttrs) {
	current := workflow.GetTypedSearchAttributes(ctx)
	var updates []temporal.SearchAttributeUpdate
	add := func(key temporal.SearchAttributeKeyKeyword, value string) {
		if value == "" {
			return
		}
		if have, ok := current.GetKeyword(key); ok && have == value {
			return
		}
		updates = append(updates, key.ValueSet(value))
	}
	add(SearchAttrEnvironment, sa.Environment)
	add(SearchAttrSecret, sa.Secret)
	add(SearchAttrStatus, sa.Status)
	if len(updates) == 0 {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("search attributes not updated", "error", err)
	}
}

// startSearchAttrs are the attributes a child starts with.
func startSearchAttrs(sa searchAttrs) temporal.SearchAttributes {
	var updates []temporal.SearchAttributeUpdate
	if sa.Environment != "" {
		updates = append(updates, SearchAttrEnvironment.ValueSet(sa.Environment))
	}
	if sa.Secret != "" {
		updates = append(updates, SearchAttrSecret.ValueSet(sa.Secret))
	}
	if sa.Status != "" {
		updates = append(updates, SearchAttrStatus.ValueSet(sa.Status))
	}
	return temporal.NewSearchAttributes(updates...)
}
