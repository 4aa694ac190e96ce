package tests

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/localaws"
	"github.com/credstage/credstage/workflows"
)

// awsFaultKind is one way an AWS call goes wrong.
type awsFaultKind struct {
	name  string
	fault localaws.Fault // Code and/or Latency
}

// The worker runs with --aws-timeout 2s, so a 3s stall is a timeout that
// the SDK cuts off and retries.
const faultAWSTimeout = 2 * time.Second

var (
	kindThrottle = awsFaultKind{"throttling", localaws.Fault{Code: "ThrottlingException", Message: "Rate exceeded"}}
	kind500      = awsFaultKind{"500", localaws.Fault{Code: "InternalFailure"}}
	kindLatency  = awsFaultKind{"latency", localaws.Fault{Latency: 700 * time.Millisecond}}
	kindTimeout  = awsFaultKind{"timeout", localaws.Fault{Latency: faultAWSTimeout + time.Second}}
	kindRefused  = awsFaultKind{"access-denied", localaws.Fault{Code: "AccessDeniedException", Message: "not authorized"}}

	transientKinds  = []awsFaultKind{kindThrottle, kind500, kindLatency, kindTimeout}
	persistentKinds = []awsFaultKind{kindThrottle, kind500, kindTimeout, kindRefused}
)

// persistentStepTimeout is the StepTimeout of rotations under a persistent
// fault: each step gives up after it (instead of the default 10 minutes)
// and the rotation rolls back.
const persistentStepTimeout = 8 * time.Second

// awsCase is one fault on one operation, on a rotation of its own.
type awsCase struct {
	service, op string
	kind        awsFaultKind
	persistent  bool
}

func (c awsCase) String() string {
	p := "transient"
	if c.persistent {
		p = "persistent"
	}
	return fmt.Sprintf("%s %s %s", p, c.kind.name, c.op)
}

// TestFaultsAWS injects throttling, 500s, latency and timeouts into each
// Secrets Manager, RDS and CloudWatch operation the worker uses during a
// rotation, one operation and one kind at a time, each case on its own
// secret (cases whose operation names no resource run one after another):
// a transient fault (two failing calls) is retried and the rotation
// succeeds; a persistent one (every call, until the step gives up) ends in
// a clean rollback whose error names the operation. CloudWatch down for a
// whole rotation does not fail it: the lost metrics are logged and
// counted.
func TestFaultsAWS(t *testing.T) {
	s := startE2EStackWith(t, e2eOptions{workerArgs: []string{"--aws-timeout", faultAWSTimeout.String()}})
	ctx := testContext(t, 12*time.Minute)
	keepLogOnFailure(t, s)
	rep := newReport(t)

	in, _ := provisionInstance(ctx, t, s, "faults-aws", "staging",
		[]activities.AppUser{{Name: "app", Strategy: activities.StrategySingleUser}})
	rdsIn, _ := provisionInstance(ctx, t, s, "faults-aws-rds", "staging",
		[]activities.AppUser{{Name: "app", Strategy: activities.StrategySingleUser}})
	rep.add(0, 2)
	in.writeCanary(ctx, t)

	var mu sync.Mutex
	var secrets []string
	n := 0
	newSecret := func(t *testing.T) string {
		mu.Lock()
		n++
		i := n
		mu.Unlock()
		id := in.makeUser(ctx, t, s, fmt.Sprintf("staging/faults-aws/c%03d", i), fmt.Sprintf("faws_c%03d", i), "")
		mu.Lock()
		secrets = append(secrets, id)
		mu.Unlock()
		return id
	}

	var scoped, unscoped []awsCase
	for _, op := range []string{"DescribeSecret", "GetSecretValue", "PutSecretValue", "UpdateSecretVersionStage"} {
		for _, k := range transientKinds {
			scoped = append(scoped, awsCase{"secretsmanager", op, k, false})
		}
		for _, k := range persistentKinds {
			scoped = append(scoped, awsCase{"secretsmanager", op, k, true})
		}
	}
	for _, k := range transientKinds {
		scoped = append(scoped, awsCase{"monitoring", "DescribeAlarms", k, false}, awsCase{"monitoring", "PutMetricData", k, false})
		unscoped = append(unscoped, awsCase{"secretsmanager", "GetRandomPassword", k, false})
	}
	for _, k := range persistentKinds {
		scoped = append(scoped, awsCase{"monitoring", "DescribeAlarms", k, true})
		unscoped = append(unscoped, awsCase{"secretsmanager", "GetRandomPassword", k, true})
	}

	// runCase rotates a fresh secret under the case's fault.
	runCase := func(t *testing.T, c awsCase, resource string) {
		id := newSecret(t)
		before := versionWith(ctx, t, s.sm, id, "AWSCURRENT")
		rin := workflows.RotateSecretInput{Target: workflows.Target{SecretID: id, Strategy: activities.StrategySingleUser},
			Environment: "staging", Validators: sqlCanary}
		if c.persistent {
			rin.StepTimeout = persistentStepTimeout
		}
		switch c.op {
		case "DescribeAlarms":
			alarm := "faults-aws-" + strings.ReplaceAll(id, "/", "-")
			if _, err := s.cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
				AlarmName: aws.String(alarm), Namespace: aws.String("Orders"), MetricName: aws.String("5xx"),
				Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
				Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
			}); err != nil {
				t.Fatal(err)
			}
			rin.Validators = append(rin.Validators, activities.Validator{Name: "no-5xx", Alarm: &activities.AlarmCheck{AlarmName: alarm}})
			resource = alarm
		case "PutMetricData":
			rin.PublishMetrics, rin.MetricsNamespace = true, "FaultsAWS/"+strings.ReplaceAll(id, "/", "-")
			resource = rin.MetricsNamespace
		case "GetRandomPassword":
		default:
			resource = id
		}
		f := c.kind.fault
		f.Service, f.Op, f.Resource = c.service, c.op, resource
		switch {
		case !c.persistent:
			f.Count = 2
		case c.kind.name == kindRefused.name:
			// A refusal is never retried: one is the whole fault, and the
			// rollback meets a healthy AWS (see "label changes refused
			// through the rollback" for one that stays).
			f.Count = 1
		}
		fid := s.aws.Server.Faults().Add(workerFault(f))
		defer s.aws.Server.Faults().Remove(fid)

		run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SecretWorkflowID(id), TaskQueue: workflows.TaskQueue},
			workflows.RotateSecret, rin)
		if err != nil {
			t.Fatal(err)
		}
		if c.persistent {
			// The fault lasts until the step has given up; the rollback
			// then finds AWS healthy again.
			waitFor(ctx, t, c.String()+" step giving up", func() bool {
				if progressStep(ctx, s.client(), run.GetID()) == activities.StepRollback {
					return true
				}
				desc, err := s.client().DescribeWorkflow(ctx, run.GetID(), run.GetRunID())
				return err == nil && desc.RawResponse.WorkflowExecutionInfo.CloseTime != nil
			})
			s.aws.Server.Faults().Remove(fid)
		}
		out, err := outcomeOf(ctx, run)
		hits := hitsOf(s, fid)
		rep.add(hits, 1)
		if hits == 0 {
			t.Errorf("%s: the fault was never hit", c)
		}
		switch {
		case c.persistent && c.op == "PutMetricData":
		case c.persistent:
			if out.Status != workflows.StatusRolledBack {
				t.Errorf("%s: status %q, want rolled-back: %s (%v)", c, out.Status, out.Error, err)
			}
			if want := strings.Fields(c.op)[0]; !strings.Contains(out.Error, want) {
				t.Errorf("%s: error %q does not name %s", c, out.Error, want)
			}
			if got := versionWith(ctx, t, s.sm, id, "AWSCURRENT"); got != before {
				t.Errorf("%s: AWSCURRENT %s, want %s after the rollback", c, got, before)
			}
		default:
			if out.Status != workflows.StatusSucceeded {
				t.Errorf("%s: status %q, want succeeded: %s (%v)", c, out.Status, out.Error, err)
			}
			if prev := versionWith(ctx, t, s.sm, id, "AWSPREVIOUS"); prev != before {
				t.Errorf("%s: AWSPREVIOUS %s, want %s", c, prev, before)
			}
		}
		if c.op == "PutMetricData" && out.Status == workflows.StatusSucceeded {
			waitFor(ctx, t, "metrics of "+id, func() bool {
				m, err := s.cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String(rin.MetricsNamespace)})
				return err == nil && len(m.Metrics) > 0
			})
		}
		checkCredential(ctx, t, s, rep, id)
		t.Logf("%s: %d hits, %s at %s %s", c, hits, out.Status, out.LastStep, out.Error)
	}

	// The scoped cases run side by side (each fault names its own secret,
	// alarm or namespace), and so does the chain of RDS cases (its own
	// instance); t.Parallel would hold them to -parallel (GOMAXPROCS).
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t.Run("rds, one case after another on a managed master", func(t *testing.T) {
			rdsCases(ctx, t, s, rep, rdsIn)
		})
	}()
	t.Run("secretsmanager and cloudwatch, one case per secret", func(t *testing.T) {
		var cwg sync.WaitGroup
		sem := make(chan struct{}, 12)
		for _, c := range scoped {
			cwg.Add(1)
			go func() {
				defer cwg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				t.Run(c.String(), func(t *testing.T) { runCase(t, c, "") })
			}()
		}
		cwg.Wait()
	})
	t.Run("GetRandomPassword, one case after another", func(t *testing.T) {
		for _, c := range unscoped {
			t.Run(c.String(), func(t *testing.T) { runCase(t, c, "") })
		}
	})
	t.Run("label changes refused through the rollback", func(t *testing.T) {
		// Promotion is refused, and so is every label change after it:
		// the rollback cannot remove AWSPENDING, but it gives the role its
		// old password back first, so AWSCURRENT keeps logging in. Once
		// Secrets Manager accepts again, a rerun clears the leftover.
		id := newSecret(t)
		before := versionWith(ctx, t, s.sm, id, "AWSCURRENT")
		fid := s.aws.Server.Faults().Add(workerFault(localaws.Fault{Service: "secretsmanager", Op: "UpdateSecretVersionStage",
			Resource: id, Code: "AccessDeniedException", Message: "not authorized"}))
		out, err := rotateOne(ctx, t, s, workflows.RotateSecretInput{Target: workflows.Target{SecretID: id, Strategy: activities.StrategySingleUser},
			Environment: "staging", Validators: sqlCanary})
		s.aws.Server.Faults().Remove(fid)
		rep.add(hitsOf(s, fid), 1)
		if out.Status != workflows.StatusFailed || !strings.Contains(out.Error, "ROLLBACK FAILED") || !strings.Contains(out.Error, "AccessDeniedException") {
			t.Errorf("status %q (%s, %v): want failed, naming the refusal", out.Status, out.Error, err)
		}
		cur, err := readSecret(ctx, s.sm, id, "AWSCURRENT", "")
		if err == nil {
			err = s.login(ctx, cur)
		}
		if err != nil {
			rep.badCredential()
			t.Errorf("AWSCURRENT does not log in after the refused rollback: %s", redact(err.Error(), cur.Password))
		}
		if got := versionWith(ctx, t, s.sm, id, "AWSCURRENT"); got != before {
			t.Errorf("AWSCURRENT %s, want %s", got, before)
		}
		again, err := rotateOne(ctx, t, s, workflows.RotateSecretInput{Target: workflows.Target{SecretID: id, Strategy: activities.StrategySingleUser},
			Environment: "staging", Validators: sqlCanary})
		rep.add(0, 1)
		if err != nil || again.Status != workflows.StatusSucceeded || again.StaleCleared != out.VersionID {
			t.Errorf("rerun: %s %s stale %q (%v): want succeeded, clearing %s", again.Status, again.Error, again.StaleCleared, err, out.VersionID)
		}
		checkCredential(ctx, t, s, rep, id)
	})
	t.Run("cloudwatch down for a whole rotation", func(t *testing.T) {
		id := newSecret(t)
		fid := s.aws.Server.Faults().Add(workerFault(localaws.Fault{Service: "monitoring", Code: "ServiceUnavailable", Message: "CloudWatch is down"}))
		defer s.aws.Server.Faults().Remove(fid)
		before := versionWith(ctx, t, s.sm, id, "AWSCURRENT")
		ns := "FaultsAWS/cloudwatch-down"
		out, err := rotateOne(ctx, t, s, workflows.RotateSecretInput{Target: workflows.Target{SecretID: id, Strategy: activities.StrategyAlternatingUsers},
			Environment: "staging", Validators: sqlCanary, PublishMetrics: true, MetricsNamespace: ns})
		s.aws.Server.Faults().Remove(fid)
		hits := hitsOf(s, fid)
		rep.add(hits, 1)
		if err != nil || out.Status != workflows.StatusSucceeded {
			t.Fatalf("rotation with CloudWatch down: %s %s (%v)", out.Status, out.Error, err)
		}
		if prev := versionWith(ctx, t, s.sm, id, "AWSPREVIOUS"); prev != before {
			t.Errorf("AWSPREVIOUS %s, want %s", prev, before)
		}
		if hits < 2 {
			t.Errorf("CloudWatch was called %d times during the outage: PutMetricData was not retried", hits)
		}
		// Logged by the activity (each batch) and the workflow (the count
		// of PublishResult.Failed), in the worker's log.
		if l := s.logLine(`"msg":"metrics not published"`, `"namespace":"`+ns+`"`, "ServiceUnavailable"); l == "" {
			t.Error("the worker log has no warning from PublishMetrics about the lost metrics")
		}
		// Six datums of the rotation and their six per-environment roll-ups.
		if l := s.logLine(`"msg":"some metrics not published"`, `"namespace":"`+ns+`"`, `"failed":12`); l == "" {
			t.Error("the worker log does not count the lost metrics (PublishResult.Failed)")
		}
		m, err := s.cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String(ns)})
		if err != nil || len(m.Metrics) != 0 {
			t.Errorf("metrics reached CloudWatch while it was down: %v %v", m, err)
		}
		checkCredential(ctx, t, s, rep, id)
	})

	wg.Wait()
	for _, id := range secrets {
		checkCredential(ctx, t, s, rep, id)
	}
	in.checkCanary(ctx, t, rep)
	scanForLeaks(ctx, t, s, nil)
}

// rdsCases rotates an RDS-managed master secret under faults on
// DescribeDBInstances and ModifyDBInstance, one case after another (one
// instance, one lock). Transient faults are retried; a refusal ends the
// run rolled back (RDS was never asked); a persistent fault on the
// rotation request is reported as failed, since credstage cannot tell
// whether RDS began rotating (its message says so), and a rerun succeeds.
func rdsCases(ctx context.Context, t *testing.T, s *e2eStack, rep *faultReport, in faultInstance) {
	master := in.masterARN
	rotateMaster := func(stepTimeout time.Duration) (workflows.TargetOutcome, error) {
		return rotateOne(ctx, t, s, workflows.RotateSecretInput{Target: workflows.Target{SecretID: master, Strategy: activities.StrategyManagedMaster},
			Environment: "staging", StepTimeout: stepTimeout})
	}
	var cases []awsCase
	for _, op := range []string{"DescribeDBInstances", "ModifyDBInstance"} {
		for _, k := range transientKinds {
			cases = append(cases, awsCase{"rds", op, k, false})
		}
		cases = append(cases, awsCase{"rds", op, kindRefused, true}, awsCase{"rds", op, kindThrottle, true})
	}
	for _, c := range cases {
		before := versionWith(ctx, t, s.sm, master, "AWSCURRENT")
		f := c.kind.fault
		f.Service, f.Op, f.Resource = c.service, c.op, in.id
		if !c.persistent {
			f.Count = 2
		}
		fid := s.aws.Server.Faults().Add(workerFault(f))
		var stepTimeout time.Duration
		if c.persistent {
			stepTimeout = persistentStepTimeout
		}
		out, err := rotateMaster(stepTimeout)
		s.aws.Server.Faults().Remove(fid)
		hits := hitsOf(s, fid)
		rep.add(hits, 1)
		if hits == 0 {
			t.Errorf("%s: the fault was never hit", c)
		}
		after := versionWith(ctx, t, s.sm, master, "AWSCURRENT")
		switch {
		case !c.persistent:
			if out.Status != workflows.StatusSucceeded || after == before {
				t.Errorf("%s: status %q (%s, %v), AWSCURRENT %s -> %s: want a rotation", c, out.Status, out.Error, err, before, after)
			}
		case c.kind.name == kindRefused.name:
			if out.Status != workflows.StatusRolledBack || after != before || !strings.Contains(out.Error, "AccessDeniedException") {
				t.Errorf("%s: status %q (%s), AWSCURRENT %s -> %s: want rolled back, nothing rotated", c, out.Status, out.Error, before, after)
			}
		default:
			if out.Status == workflows.StatusSucceeded || !strings.Contains(out.Error, c.op) {
				t.Errorf("%s: status %q (%s): want a failure naming %s", c, out.Status, out.Error, c.op)
			}
			// Resumable: with RDS healthy again a rerun completes.
			again, err := rotateMaster(0)
			rep.add(0, 1)
			if err != nil || again.Status != workflows.StatusSucceeded {
				t.Errorf("%s: rerun after the fault: %s %s (%v)", c, again.Status, again.Error, err)
			}
		}
		in.refreshMaster(ctx, t, s)
		if err := s.login(ctx, in.master); err != nil {
			rep.badCredential()
			t.Errorf("%s: the master secret does not log in: %s", c, redact(err.Error(), in.master.Password))
		}
		t.Logf("%s: %d hits, %s %s", c, hits, out.Status, out.Error)
	}
}
