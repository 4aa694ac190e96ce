package activities

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

const (
	// watchCallTimeout bounds one DescribeDBInstances of a tick, the SDK's
	// own retries included; the waiters heartbeat meanwhile.
	watchCallTimeout = time.Minute
	// describeFilterLimit is the most values RDS accepts in one filter.
	describeFilterLimit = 100
	// describeMaxPages bounds the pages of one filtered call.
	describeMaxPages = 100
)

// tick describes every instance waited on, in calls of up to
// describeFilterLimit identifiers, and hands each waiter its answer: the
// instance's record; not found (the non-retryable ErrInstanceNotAvailable,
// as describeInstance says it) when the answer lacks it; or, when a call
// fails, that error classified as describeInstance would, for every waiter
// the tick had not answered yet. Waiters who registered during the tick
// are answered by the next one.
func (w *instanceWatch) tick() {
	w.mu.Lock()
	byKey := map[string][]*instanceWaiter{}
	for wt := range w.waiters {
		byKey[wt.key] = append(byKey[wt.key], wt)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w.cancelCall = cancel
	start := time.Now()
	w.mu.Unlock()

	answers, failed := w.describe(ctx, byKey)

	w.mu.Lock()
	defer w.mu.Unlock()
	w.cancelCall = nil
	for key, a := range answers {
		for _, wt := range byKey[key] {
			if _, waiting := w.waiters[wt]; waiting {
				wt.deliver(a)
			}
		}
	}
	w.sched.called(start, failed && ctx.Err() == nil, w.waiters)
}

// describe answers every key of byKey; failed reports a failed call.
func (w *instanceWatch) describe(ctx context.Context, byKey map[string][]*instanceWaiter) (map[string]instanceAnswer, bool) {
	keys := slices.Sorted(maps.Keys(byKey))
	subject := func(key string) string { return instanceSubject(byKey[key][0].id) }
	answers := make(map[string]instanceAnswer, len(keys))
	for from := 0; from < len(keys); from += describeFilterLimit {
		chunk := keys[from:min(from+describeFilterLimit, len(keys))]
		failed := false
		w.describeChunk(ctx, chunk, func(db types.DBInstance) {
			answers[strings.ToLower(aws.ToString(db.DBInstanceIdentifier))] = instanceAnswer{db: db}
		}, func(pageCtx context.Context, err error) {
			failed = true
			for _, key := range keys[from:] {
				if _, ok := answers[key]; !ok {
					answers[key] = instanceAnswer{err: awsError(pageCtx, subject(key), "DescribeDBInstances", err)}
				}
			}
		})
		if failed {
			return answers, true
		}
		for _, key := range chunk {
			if _, ok := answers[key]; !ok {
				answers[key] = instanceAnswer{err: nonRetryable(ErrInstanceNotAvailable, subject(key)+" not found")}
			}
		}
	}
	return answers, false
}

// describeChunk pages through one filtered DescribeDBInstances, passing
// each asked-for instance to found; on a failed page it calls fail, with
// that page's context still live so the error classifies as it happened.
func (w *instanceWatch) describeChunk(ctx context.Context, chunk []string, found func(types.DBInstance), fail func(context.Context, error)) {
	asked := make(map[string]bool, len(chunk))
	for _, key := range chunk {
		asked[key] = true
	}
	in := &rds.DescribeDBInstancesInput{Filters: []types.Filter{{Name: aws.String("db-instance-id"), Values: chunk}}}
	// A Marker that repeats, or pages without end, is a fault of the
	// server, not an answer: the loop must stay bounded.
	for range describeMaxPages {
		out, err := w.page(ctx, in, fail)
		if err != nil {
			return
		}
		for _, db := range out.DBInstances {
			if asked[strings.ToLower(aws.ToString(db.DBInstanceIdentifier))] {
				found(db)
			}
		}
		next := aws.ToString(out.Marker)
		if next == "" {
			return
		}
		if next == aws.ToString(in.Marker) {
			break
		}
		in.Marker = out.Marker
	}
	fail(ctx, errors.New("DescribeDBInstances kept returning a Marker"))
}

func (w *instanceWatch) page(ctx context.Context, in *rds.DescribeDBInstancesInput, fail func(context.Context, error)) (*rds.DescribeDBInstancesOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, watchCallTimeout)
	defer cancel()
	out, err := w.rds.DescribeDBInstances(ctx, in)
	if err != nil {
		fail(ctx, err)
	}
	return out, err
}
