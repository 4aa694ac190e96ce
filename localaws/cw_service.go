package localaws

import "context"

// cloudWatch emulates Amazon CloudWatch metrics and alarms. (Skeleton:
// replaced by the full implementation in cw_*.go.)
type cloudWatch struct{ env *env }

func newCloudWatch(e *env) (*cloudWatch, error) { return &cloudWatch{env: e}, nil }

func (cw *cloudWatch) handle(ctx context.Context, c *Call) (any, error) { return nil, unknownOperation(c) }

func (cw *cloudWatch) close() error { return nil }
