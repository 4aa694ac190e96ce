package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/workflows"
)

// Availability waits: the worker's shared DescribeDBInstances per tick,
// or (--poll-each-instance) one poller per instance, the design before.
const (
	waitCoalesced   = "coalesced"
	waitPerInstance = "per-instance"
)

// provisionResult is one fleet provisioning: K ProvisionDatabase runs
// started at once, and the RDS calls the worker made for them, read from
// localaws's request log.
type provisionResult struct {
	Wait             string         `json:"wait"`
	Instances        int            `json:"instances"`
	WallS            float64        `json:"wall_s"`
	ProvisionSP50    float64        `json:"provision_s_p50"`
	ProvisionSMax    float64        `json:"provision_s_max"`
	RDSCalls         map[string]int `json:"rds_calls"`
	RDSCallsPerInst  float64        `json:"rds_calls_per_instance"`
	DescribePerInst  float64        `json:"describe_calls_per_instance"`
	PeakRDSCallsPerS int            `json:"peak_rds_calls_per_s"`
	PeakDescribePerS int            `json:"peak_describe_calls_per_s"`
	WaitMinDelayS    float64        `json:"wait_min_delay_s"`
	WaitMaxDelayS    float64        `json:"wait_max_delay_s"`
}

var provisionRuns int

// provisionFleet provisions c.ProvisionInstances instances at once through
// ProvisionDatabase on a fresh worker, measures, then deletes them (not
// measured) so later runs meet the same machine.
func provisionFleet(ctx context.Context, s *benchStack, c config, wait string) (provisionResult, error) {
	provisionRuns++
	k := c.ProvisionInstances
	res := provisionResult{Wait: wait, Instances: k, WaitMinDelayS: c.ProvisionWaitMin.Seconds(), WaitMaxDelayS: c.ProvisionWaitMax.Seconds()}
	if wait == waitPerInstance {
		s.restartWorker("--poll-each-instance")
	} else {
		s.restartWorker()
	}
	defer s.restartWorker()
	ids := make([]string, k)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-prov-%d-%02d", provisionRuns, i)
	}
	defer deleteInstances(ctx, s, ids)
	s.resetAWSCalls()
	start := time.Now()
	durations := make([]time.Duration, k)
	err := parallelDo(ctx, k, k, func(ctx context.Context, i int) error {
		req := activities.ProvisionRequest{Identifier: ids[i], Environment: "bench", DBName: dbName,
			Users:        []activities.AppUser{{Name: "app", Strategy: activities.StrategySingleUser, Grants: []string{"readwrite"}}},
			WaitMinDelay: c.ProvisionWaitMin, WaitMaxDelay: c.ProvisionWaitMax}
		run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "provision/" + ids[i], TaskQueue: workflows.TaskQueue},
			workflows.ProvisionDatabase, req)
		if err != nil {
			return err
		}
		var out workflows.ProvisionDatabaseResult
		if err := run.Get(ctx, &out); err != nil {
			return fmt.Errorf("provision %s: %w", ids[i], err)
		}
		durations[i] = time.Duration(out.DurationMS) * time.Millisecond
		return nil
	})
	res.WallS = time.Since(start).Seconds()
	if err != nil {
		return res, err
	}
	res.ProvisionSP50 = percentile(durations, 50) / 1000
	res.ProvisionSMax = slices.Max(durations).Seconds()
	var all, describes []time.Time
	res.RDSCalls = map[string]int{}
	for _, e := range s.aws.Server.Requests().Entries() {
		if e.AccessKey != workerAccessKey || e.Service != "rds" {
			continue
		}
		res.RDSCalls[e.Op]++
		all = append(all, e.Time)
		if e.Op == "DescribeDBInstances" {
			describes = append(describes, e.Time)
		}
	}
	res.RDSCallsPerInst = float64(len(all)) / float64(k)
	res.DescribePerInst = float64(len(describes)) / float64(k)
	res.PeakRDSCallsPerS, res.PeakDescribePerS = peakPerSecond(all), peakPerSecond(describes)
	return res, nil
}

// peakPerSecond is the most calls in any one-second window.
func peakPerSecond(times []time.Time) int {
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	peak, j := 0, 0
	for i := range times {
		for times[i].Sub(times[j]) >= time.Second {
			j++
		}
		peak = max(peak, i-j+1)
	}
	return peak
}

// deleteInstances deletes the fleet's instances and waits until they are
// gone, so their clusters stop using the machine.
func deleteInstances(ctx context.Context, s *benchStack, ids []string) {
	cfg, err := awsConfig(s)
	if err != nil {
		return
	}
	rc := rds.NewFromConfig(cfg)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := rc.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
				return
			}
			_ = rds.NewDBInstanceDeletedWaiter(rc, func(o *rds.DBInstanceDeletedWaiterOptions) {
				o.MinDelay, o.MaxDelay = 200*time.Millisecond, time.Second
			}).Wait(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)}, 2*time.Minute)
		}()
	}
	wg.Wait()
}
