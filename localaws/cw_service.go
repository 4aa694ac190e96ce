package localaws

import (
	"context"
	"path/filepath"
	"sync"
	"time"
)

// cloudWatch emulates Amazon CloudWatch metrics, alarms and dashboards on the three
// protocols real clients use (RPC v2 CBOR, awsJson1_0, awsQuery). Every
// operation decodes its protocol into one input struct, runs one
// implementation under one lock, and lets the core encode the result.
type cloudWatch struct {
	env  *env
	path string

	mu     sync.Mutex
	clock  func() time.Time // replaced by tests to move time forward
	series map[string]*cwSeries
	alarms map[string]*cwAlarm
	// dashboards are keyed by name (see cw_dashboards.go).
	dashboards map[string]*cwDashboard
	cwSaver
}

func newCloudWatch(e *env) (*cloudWatch, error) {
	cw := &cloudWatch{
		env:    e,
		path:   filepath.Join(e.dataDir, "cloudwatch.json"),
		clock:  time.Now,
		series: map[string]*cwSeries{},
		alarms: map[string]*cwAlarm{},

		dashboards: map[string]*cwDashboard{},
	}
	if err := cw.load(); err != nil {
		return nil, err
	}
	return cw, nil
}

func (cw *cloudWatch) handle(ctx context.Context, c *Call) (any, error) {
	switch c.Op {
	case "PutMetricData":
		return cwServe(c, cw.putMetricData)
	case "GetMetricData":
		return cwServe(c, cw.getMetricData)
	case "GetMetricStatistics":
		return cwServe(c, cw.getMetricStatistics)
	case "ListMetrics":
		return cwServe(c, cw.listMetrics)
	case "PutMetricAlarm":
		return cwServe(c, cw.putMetricAlarm)
	case "DescribeAlarms":
		return cwServe(c, cw.describeAlarms)
	case "DescribeAlarmsForMetric":
		return cwServe(c, cw.describeAlarmsForMetric)
	case "TagResource":
		return cwServe(c, cw.tagResource)
	case "UntagResource":
		return cwServe(c, cw.untagResource)
	case "ListTagsForResource":
		return cwServe(c, cw.listTagsForResource)
	case "SetAlarmState":
		return cwServe(c, cw.setAlarmState)
	case "DeleteAlarms":
		return cwServe(c, cw.deleteAlarms)
	case "PutDashboard":
		return cwServe(c, cw.putDashboard)
	case "GetDashboard":
		return cwServe(c, cw.getDashboard)
	case "ListDashboards":
		return cwServe(c, cw.listDashboards)
	case "DeleteDashboards":
		return cwServe(c, cw.deleteDashboards)
	}
	return nil, unknownOperation(c)
}

// cwServe decodes the input, runs the operation and hands back its output.
// An operation without output returns a nil *struct{}, which encodes as the
// empty result.
func cwServe[In, Out any](c *Call, op func(*In) (*Out, *APIError)) (any, error) {
	var in In
	if err := cwDecodeInput(c, &in); err != nil {
		return nil, err
	}
	out, err := op(&in)
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, nil
	}
	return out, nil
}

// now is the emulator's clock; callers hold mu.
func (cw *cloudWatch) now() time.Time { return cw.clock() }

// setClock lets tests move time (alarm periods, retention) without sleeping.
func (cw *cloudWatch) setClock(clock func() time.Time) {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	cw.clock = clock
}

func (cw *cloudWatch) close() error { return cw.closeSaver() }
