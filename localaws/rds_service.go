package localaws

import (
	"context"
	"net/http"
)

// rdsService emulates Amazon RDS for PostgreSQL. (Skeleton: replaced by the
// full implementation in rds_*.go.)
type rdsService struct {
	env *env
	sm  *secretsManager
}

func newRDS(e *env, sm *secretsManager) (*rdsService, error) { return &rdsService{env: e, sm: sm}, nil }

func (r *rdsService) handle(ctx context.Context, c *Call) (any, error) { return nil, unknownOperation(c) }

func (r *rdsService) registerAdmin(mux *http.ServeMux) {}

func (r *rdsService) close() error { return nil }
