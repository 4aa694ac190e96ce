// Package scheduled reads what credstage's schedules say about secrets:
// the plan each schedule's action carries (the StagedRotation input the
// schedule was created with, selectors already resolved), its stages'
// maxAge and the schedule's next action. The inventory and `credstage
// report` take each secret's maxAge and next run from it. It lives apart
// from package inventory because it imports workflows, which imports
// inventory.
package scheduled

import (
	"context"
	"errors"
	"fmt"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/credstage/credstage/internal/inventory"
	"github.com/credstage/credstage/workflows"
)

// Schedules is an inventory.PlanSource over a Temporal client. It reads
// schedules only (ListSchedules, DescribeSchedule), never changes one.
type Schedules struct {
	Client client.Client
	// DataConverter decodes the actions' arguments: the client's own, so
	// that encrypted payloads (internal/codec) are read with its keys.
	// nil is the SDK's default.
	DataConverter converter.DataConverter
}

var _ inventory.PlanSource = Schedules{}

// Index lists every schedule that starts a StagedRotation and indexes the
// secrets its plan names. A schedule deleted between the listing and its
// description is left out; one whose plan cannot be decoded is an error,
// since leaving it out would silently drop its secrets' maxAge.
func (s Schedules) Index(ctx context.Context) (inventory.Index, error) {
	dc := s.DataConverter
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	sc := s.Client.ScheduleClient()
	it, err := sc.List(ctx, client.ScheduleListOptions{PageSize: 100})
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	ix := inventory.Index{}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("list schedules: %w", err)
		}
		if e.WorkflowType.Name != workflows.StagedRotationType {
			continue
		}
		d, err := sc.GetHandle(ctx, e.ID).Describe(ctx)
		var nf *serviceerror.NotFound
		switch {
		case errors.As(err, &nf):
			continue
		case err != nil:
			return nil, fmt.Errorf("describe schedule %s: %w", e.ID, err)
		}
		in, ok, err := planOf(d, dc)
		if err != nil {
			return nil, fmt.Errorf("schedule %s: %w", e.ID, err)
		}
		if !ok {
			continue
		}
		var next time.Time // none while paused
		if n := d.Info.NextActionTimes; len(n) > 0 && (d.Schedule.State == nil || !d.Schedule.State.Paused) {
			next = n[0]
		}
		for _, st := range in.Plan.Stages {
			for _, t := range st.Targets {
				ix.Add(t.SecretID, e.ID, st.Name, string(t.Strategy), st.MaxAge, next)
			}
		}
	}
	return ix, nil
}

// planOf decodes the staged rotation a schedule starts; ok is false when
// its action is not a workflow with an argument.
func planOf(d *client.ScheduleDescription, dc converter.DataConverter) (workflows.StagedRotationInput, bool, error) {
	var in workflows.StagedRotationInput
	act, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction)
	if !ok || len(act.Args) == 0 {
		return in, false, nil
	}
	p, ok := act.Args[0].(*commonpb.Payload)
	if !ok {
		return in, false, nil
	}
	if err := dc.FromPayload(p, &in); err != nil {
		return in, false, fmt.Errorf("decode its plan: %w", err)
	}
	return in, true, nil
}
