package activities

import (
	"context"
)

// WaitInstanceAvailable polls DescribeDBInstances until the instance is
// available, sleeping between polls like the SDK's waiters (jittered
// exponential from MinDelay, default 2s, to MaxDelay, default 30s) and
// heartbeating the status, never in a hot loop. A state that waiting
// cannot fix (failed, incompatible-*, deleting, storage-full, ...) is a
// non-retryable ErrInstanceNotAvailable. It changes nothing, so a retry
// simply polls again.
func (a *Activities) WaitInstanceAvailable(ctx context.Context, in WaitInstanceInput) (InstanceInfo, error) {
	if err := validateInstanceID(in.Identifier); err != nil {
		return InstanceInfo{}, err
	}
	p := newPoller(in.MinDelay, in.MaxDelay)
	for {
		db, err := a.describeInstance(ctx, in.Identifier)
		if err != nil {
			return InstanceInfo{}, err
		}
		info := instanceInfo(db)
		switch {
		case terminalStatuses[info.Status]:
			return info, nonRetryable(ErrInstanceNotAvailable, "instance "+in.Identifier+" is "+info.Status+" and will not become available", info)
		case info.Status == "available" && info.Address != "":
			logger(ctx).Info("DB instance available", "instance", in.Identifier, "address", info.Address, "port", info.Port)
			return info, nil
		}
		if err := p.wait(ctx, info.Status); err != nil {
			return info, retryable("instance %s: waiting for available (last status %s): %v", in.Identifier, info.Status, err)
		}
	}
}
