package activities

import "context"

// Temporary until the grants branch lands.
type GrantReport struct {
	Granted []string `json:"granted,omitempty"`
	Skipped []string `json:"skipped,omitempty"`
	Future  []string `json:"future,omitempty"`
}

func ensureGrants(ctx context.Context, q Querier, dbName, role string, grants []string) (GrantReport, error) {
	stmts, err := grantStatements(dbName, role, grants)
	if err != nil {
		return GrantReport{}, err
	}
	var r GrantReport
	for _, stmt := range stmts {
		if _, err := q.Exec(ctx, stmt); err != nil {
			return r, err
		}
		r.Granted = append(r.Granted, stmt)
	}
	return r, nil
}
