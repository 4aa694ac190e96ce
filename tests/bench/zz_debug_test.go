package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

func dumpHistory(t *testing.T, c client.Client, id, run string) {
	it := c.GetWorkflowHistory(context.Background(), id, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var first time.Time
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		at := ev.GetEventTime().AsTime()
		if first.IsZero() {
			first = at
		}
		name := ""
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			name = a.GetActivityType().GetName()
		}
		if a := ev.GetStartChildWorkflowExecutionInitiatedEventAttributes(); a != nil {
			name = a.GetWorkflowId()
		}
		fmt.Printf("%s %6.0fms %s %s\n", id, float64(at.Sub(first).Microseconds())/1000, ev.GetEventType(), name)
	}
}

func TestDebugB1(t *testing.T) {
	c := smallConfig(t.TempDir())
	c.AppRate = 0
	s := startBenchStack(t, workerBin)
	ctx := context.Background()
	f, err := setupFleet(ctx, s, c)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 3 {
		d, err := latencyRun(ctx, s, f, k, 0)
		fmt.Println("B1", k, d, err)
	}
	dumpHistory(t, s.client(), "bench-b1-2", "")
	dumpHistory(t, s.client(), "rotate/"+f.pools[poolB1][1], "")
}
