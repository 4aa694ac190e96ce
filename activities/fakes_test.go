package activities

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
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
