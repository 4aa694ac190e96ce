package activities

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// fakeCloudWatch records PutMetricData calls and fails the first failN
// (or all, when failN < 0) with err.
type fakeCloudWatch struct {
	mu    sync.Mutex
	calls []int // datums per call
	failN int
	err   error
}

func (f *fakeCloudWatch) PutMetricData(_ context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, len(in.MetricData))
	if f.failN < 0 || len(f.calls) <= f.failN {
		return nil, f.err
	}
	return &cloudwatch.PutMetricDataOutput{}, nil
}

func (f *fakeCloudWatch) DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	return &cloudwatch.DescribeAlarmsOutput{}, nil
}

// fakePasswords answers GetRandomPassword with a fixed password and
// records the request; every other call panics (not used).
type fakePasswords struct {
	SecretsManagerAPI
	password string
	got      *secretsmanager.GetRandomPasswordInput
}

func (f *fakePasswords) GetRandomPassword(_ context.Context, in *secretsmanager.GetRandomPasswordInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetRandomPasswordOutput, error) {
	f.got = in
	return &secretsmanager.GetRandomPasswordOutput{RandomPassword: aws.String(f.password)}, nil
}

// fakeRDS answers DescribeDBInstances from a table of instance statuses,
// in pages of pageSize (0: one page), and records every call. fail, when
// set, may fail call n (counted from 0); block, when set, holds every
// call until it is closed or the call's context ends. Every other RDS
// call panics (not used).
type fakeRDS struct {
	RDSAPI
	mu       sync.Mutex
	status   map[string]string // identifier -> status; absent: not found
	pageSize int
	fail     func(n int) error
	block    chan struct{}
	calls    []fakeDescribe
}

// fakeDescribe is one recorded DescribeDBInstances.
type fakeDescribe struct {
	at     time.Time
	ids    []string // the db-instance-id filter's values, or DBInstanceIdentifier
	marker string
}

func newFakeRDS(status string, ids ...string) *fakeRDS {
	f := &fakeRDS{status: map[string]string{}}
	for _, id := range ids {
		f.status[id] = status
	}
	return f
}

func (f *fakeRDS) set(status string, ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		f.status[id] = status
	}
}

// recorded is a copy of the calls so far.
func (f *fakeRDS) recorded() []fakeDescribe {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeRDS) DescribeDBInstances(ctx context.Context, in *rds.DescribeDBInstancesInput, _ ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error) {
	var ids []string
	for _, flt := range in.Filters {
		if aws.ToString(flt.Name) == "db-instance-id" {
			ids = append(ids, flt.Values...)
		}
	}
	if in.DBInstanceIdentifier != nil {
		ids = []string{aws.ToString(in.DBInstanceIdentifier)}
	}
	f.mu.Lock()
	n := len(f.calls)
	f.calls = append(f.calls, fakeDescribe{at: time.Now(), ids: ids, marker: aws.ToString(in.Marker)})
	fail, block := f.fail, f.block
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail != nil {
		if err := fail(n); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var matches []types.DBInstance
	for _, id := range slices.Sorted(slices.Values(ids)) {
		st, ok := f.status[strings.ToLower(id)]
		if !ok {
			continue
		}
		db := types.DBInstance{DBInstanceIdentifier: aws.String(strings.ToLower(id)), DBInstanceStatus: aws.String(st),
			DBInstanceArn: aws.String("arn:aws:rds:us-east-1:000000000000:db:" + strings.ToLower(id))}
		if st == "available" {
			db.Endpoint = &types.Endpoint{Address: aws.String(id + ".example"), Port: aws.Int32(5432)}
		}
		matches = append(matches, db)
	}
	if in.DBInstanceIdentifier != nil && len(matches) == 0 {
		return nil, &smithy.GenericAPIError{Code: "DBInstanceNotFound", Message: "DBInstance " + ids[0] + " not found."}
	}
	from, _ := strconv.Atoi(aws.ToString(in.Marker))
	out := &rds.DescribeDBInstancesOutput{DBInstances: matches[min(from, len(matches)):]}
	if f.pageSize > 0 && len(out.DBInstances) > f.pageSize {
		out.DBInstances = out.DBInstances[:f.pageSize]
		out.Marker = aws.String(strconv.Itoa(from + f.pageSize))
	}
	return out, nil
}
