package bench

import (
	"context"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"
)

// actions is what a run cost Temporal, read back from the histories of
// the run and every child it started (continue-as-new chains followed).
// Activities counts attempts (a retried activity is one history entry
// but several tasks); workflow tasks count every one started.
type actions struct {
	Workflows       int `json:"workflows"`
	WorkflowTasks   int `json:"workflow_tasks"`
	Activities      int `json:"activities"`
	LocalActivities int `json:"local_activities"`
	Events          int `json:"history_events"`
	HistoryBytes    int `json:"history_bytes"`
}

func (a actions) total() int { return a.WorkflowTasks + a.Activities + a.LocalActivities }

func (a *actions) add(b actions) {
	a.Workflows += b.Workflows
	a.WorkflowTasks += b.WorkflowTasks
	a.Activities += b.Activities
	a.LocalActivities += b.LocalActivities
	a.Events += b.Events
	a.HistoryBytes += b.HistoryBytes
}

type execution struct{ id, runID string }

// countActions walks the histories of a run and its descendants.
func countActions(ctx context.Context, c client.Client, id, runID string) (actions, error) {
	var (
		mu    sync.Mutex
		total actions
		first error
		wg    sync.WaitGroup
	)
	sem := make(chan struct{}, 8)
	var visit func(e execution)
	visit = func(e execution) {
		defer wg.Done()
		sem <- struct{}{}
		got, children, err := countOne(ctx, c, e)
		<-sem
		mu.Lock()
		total.add(got)
		if err != nil && first == nil {
			first = err
		}
		mu.Unlock()
		for _, ch := range children {
			wg.Add(1)
			go visit(ch)
		}
	}
	wg.Add(1)
	visit(execution{id, runID})
	wg.Wait()
	return total, first
}

// countOne reads one history; it returns the children it started and the
// run it continued as, if any.
func countOne(ctx context.Context, c client.Client, e execution) (actions, []execution, error) {
	a := actions{Workflows: 1}
	var next []execution
	it := c.GetWorkflowHistory(ctx, e.id, e.runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return a, next, err
		}
		a.Events++
		a.HistoryBytes += proto.Size(ev)
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			a.WorkflowTasks++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			a.Activities += max(1, int(ev.GetActivityTaskStartedEventAttributes().GetAttempt()))
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if ev.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity" {
				a.LocalActivities++
			}
		case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
			we := ev.GetChildWorkflowExecutionStartedEventAttributes().GetWorkflowExecution()
			next = append(next, execution{we.GetWorkflowId(), we.GetRunId()})
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
			next = append(next, execution{e.id, ev.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()})
		}
	}
	return a, next, nil
}

// activitySpan is the time from the first event closing an activity of
// type from (failed, completed or timed out) to the completion of the
// first activity of type to after it, in one history: B5 reads the time
// from the failed Verify to the completed Rollback this way.
func activitySpan(ctx context.Context, c client.Client, id, runID, from, to string) (time.Duration, bool, error) {
	names := map[int64]string{}
	var fromAt, toAt time.Time
	it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return 0, false, err
		}
		at := ev.GetEventTime().AsTime()
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			names[ev.GetEventId()] = ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED, enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			name := names[scheduledID(ev)]
			switch {
			case name == from && fromAt.IsZero():
				fromAt = at
			case name == to && !fromAt.IsZero() && toAt.IsZero() && ev.GetEventType() == enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
				toAt = at
			}
		}
	}
	if fromAt.IsZero() || toAt.IsZero() {
		return 0, false, nil
	}
	return toAt.Sub(fromAt), true, nil
}

func scheduledID(ev *historypb.HistoryEvent) int64 {
	switch {
	case ev.GetActivityTaskFailedEventAttributes() != nil:
		return ev.GetActivityTaskFailedEventAttributes().GetScheduledEventId()
	case ev.GetActivityTaskTimedOutEventAttributes() != nil:
		return ev.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId()
	case ev.GetActivityTaskCompletedEventAttributes() != nil:
		return ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()
	}
	return 0
}
