package workflows

// Workflows lists every workflow function, for a worker to register by
// function (their names are the function names) and for the replayer:
//
//	for _, wf := range workflows.Workflows() { w.RegisterWorkflow(wf) }
func Workflows() []any {
	return []any{RotateSecret, StagedRotation, RollbackSecret, RevokeSecret, ProvisionDatabase, Inventory}
}
