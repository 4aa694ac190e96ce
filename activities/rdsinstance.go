package activities

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go/waiter"
)

func instanceSubject(id string) string { return "instance " + id }

// describeInstance reads one instance; a missing one is a non-retryable
// ErrInstanceNotAvailable.
func (a *Activities) describeInstance(ctx context.Context, id string) (types.DBInstance, error) {
	out, err := a.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		return types.DBInstance{}, awsError(ctx, instanceSubject(id), "DescribeDBInstances", err)
	}
	if len(out.DBInstances) == 0 {
		return types.DBInstance{}, nonRetryable(ErrInstanceNotAvailable, "instance "+id+" not found")
	}
	return out.DBInstances[0], nil
}

// terminalStatuses are instance states that never become available by
// waiting.
var terminalStatuses = map[string]bool{
	"failed": true, "deleting": true, "storage-full": true, "incompatible-network": true,
	"incompatible-option-group": true, "incompatible-parameters": true, "incompatible-restore": true,
	"incompatible-credentials": true, "inaccessible-encryption-credentials": true,
	"inaccessible-encryption-credentials-recoverable": true, "restore-error": true, "stopped": true,
	"stopping": true, "deleted": true,
}

func instanceInfo(db types.DBInstance) InstanceInfo {
	info := InstanceInfo{
		Identifier:     aws.ToString(db.DBInstanceIdentifier),
		ARN:            aws.ToString(db.DBInstanceArn),
		DBName:         aws.ToString(db.DBName),
		MasterUsername: aws.ToString(db.MasterUsername),
		Status:         aws.ToString(db.DBInstanceStatus),
	}
	if db.Endpoint != nil {
		info.Address, info.Port = aws.ToString(db.Endpoint.Address), aws.ToInt32(db.Endpoint.Port)
	}
	if db.MasterUserSecret != nil {
		info.MasterSecretARN = aws.ToString(db.MasterUserSecret.SecretArn)
	}
	return info
}

// poller spaces the polls of a wait like the SDK's waiters do (jittered
// exponential between min and max) and heartbeats while it sleeps, so a
// heartbeat timeout shorter than the max delay still holds.
type poller struct {
	min, max time.Duration
	attempt  int64
}

func newPoller(minDelay, maxDelay time.Duration) *poller {
	minDelay, maxDelay = pollDelays(minDelay, maxDelay)
	return &poller{min: minDelay, max: maxDelay}
}

// pollDelays applies the defaults of a wait's MinDelay and MaxDelay (2s
// and 30s) and keeps max ≥ min.
func pollDelays(minDelay, maxDelay time.Duration) (time.Duration, time.Duration) {
	if minDelay <= 0 {
		minDelay = 2 * time.Second
	}
	if maxDelay <= 0 {
		maxDelay = 30 * time.Second
	}
	return minDelay, max(minDelay, maxDelay)
}

const heartbeatEvery = 5 * time.Second

// wait sleeps before the next poll, recording details as heartbeats.
func (p *poller) wait(ctx context.Context, details ...any) error {
	p.attempt++
	// A day of remaining time keeps ComputeDelay from shrinking delays
	// towards zero near a deadline; the activity's context bounds the wait.
	d, err := waiter.ComputeDelay(p.attempt, p.min, p.max, 24*time.Hour)
	if err != nil {
		d = p.min
	}
	heartbeat(ctx, details...)
	for d > 0 {
		step := min(d, heartbeatEvery)
		t := time.NewTimer(step)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		d -= step
		heartbeat(ctx, details...)
	}
	return nil
}
