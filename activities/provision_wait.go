package activities

import (
	"context"
	"time"
)

// WaitInstanceAvailable waits until the instance is available, reading
// its state through the worker's instance watch (instance_watch.go): one
// DescribeDBInstances per tick for every instance this worker waits on,
// each instance answered at least as often as a poller of its own would
// poll it (jittered exponential from MinDelay, default 2s, to MaxDelay,
// default 30s), never in a hot loop. It heartbeats the last status while
// it waits. A state that waiting cannot fix (failed, incompatible-*,
// deleting, storage-full, ...) or an instance RDS does not know is a
// non-retryable ErrInstanceNotAvailable; a failed call is classified as
// any RDS call (transient ones are retried by Temporal). It changes
// nothing, so a retry simply waits again.
func (a *Activities) WaitInstanceAvailable(ctx context.Context, in WaitInstanceInput) (InstanceInfo, error) {
	if err := validateInstanceID(in.Identifier); err != nil {
		return InstanceInfo{}, err
	}
	if a.opts.PollEachInstance {
		return a.pollInstanceAvailable(ctx, in)
	}
	w := a.watch.register(in.Identifier, in.MinDelay, in.MaxDelay)
	defer a.watch.unregister(w)
	beat := time.NewTicker(heartbeatEvery)
	defer beat.Stop()
	var info InstanceInfo
	for {
		select {
		case <-ctx.Done():
			return info, retryable("instance %s: waiting for available (last status %s): %v", in.Identifier, info.Status, ctx.Err())
		case <-beat.C:
			heartbeat(ctx, info.Status)
		case ans := <-w.answers:
			if ans.err != nil {
				return InstanceInfo{}, ans.err
			}
			info = instanceInfo(ans.db)
			if done, err := instanceReady(ctx, in.Identifier, info); done {
				return info, err
			}
			heartbeat(ctx, info.Status)
		}
	}
}

// pollInstanceAvailable is WaitInstanceAvailable polling its instance on
// its own, one DescribeDBInstances per poll: the design before the watch,
// kept for comparison (Options.PollEachInstance).
func (a *Activities) pollInstanceAvailable(ctx context.Context, in WaitInstanceInput) (InstanceInfo, error) {
	p := newPoller(in.MinDelay, in.MaxDelay)
	for {
		db, err := a.describeInstance(ctx, in.Identifier)
		if err != nil {
			return InstanceInfo{}, err
		}
		info := instanceInfo(db)
		if done, err := instanceReady(ctx, in.Identifier, info); done {
			return info, err
		}
		if err := p.wait(ctx, info.Status); err != nil {
			return info, retryable("instance %s: waiting for available (last status %s): %v", in.Identifier, info.Status, err)
		}
	}
}

// instanceReady tells whether a wait is over: the instance is available
// with an endpoint (nil error), or in a state waiting cannot fix.
func instanceReady(ctx context.Context, id string, info InstanceInfo) (bool, error) {
	switch {
	case terminalStatuses[info.Status]:
		return true, nonRetryable(ErrInstanceNotAvailable, "instance "+id+" is "+info.Status+" and will not become available", info)
	case info.Status == "available" && info.Address != "":
		logger(ctx).Info("DB instance available", "instance", id, "address", info.Address, "port", info.Port)
		return true, nil
	}
	return false, nil
}
