package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/engine"
)

// Steps of ProvisionDatabase, as its progress query shows them.
const (
	StepCreateInstance = "create-instance"
	StepWaitInstance   = "wait-available"
	StepCreateUser     = "create-user"
	StepVerifyUser     = "verify-user"
	StepCompensate     = "compensate"
)

// ProvisionProgress answers ProvisionDatabase's progress query.
type ProvisionProgress struct {
	Identifier string `json:"identifier"`
	Step       string `json:"step"`
	// User is the application user the step is about, if any.
	User   string `json:"user,omitempty"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// ProvisionDatabase provisions an RDS PostgreSQL instance and its
// application users: CreateDBInstance (RDS generates the
// master password and keeps it in its own secret), WaitInstanceAvailable,
// CreateAppUser for each user in order, a fresh login as each user, then
// metrics. Input is validated first, so bad input fails at once with
// InvalidInput naming the field and creates nothing.
//
// Everything the run creates carries its mark, the run id before any
// reset (docs/architecture.md, "Provisioning and ownership"), so a retry
// after a lost reply knows its own work and compensation deletes exactly
// that. A failure (or cancellation) compensates in reverse, in a
// disconnected context: DeleteAppUser for each user this run tried, then
// DeleteDBInstance unless the instance is known to have existed before;
// each deletes only what carries the mark and reports what it kept. The
// run then fails with the cause's error type (ErrProvisionFailed if it
// had none, ErrCompensationFailed if undoing failed too), naming what was
// undone, kept or left behind. Runs from before marks
// (changeProvisionOwnership) compensate as they did: only users whose
// CreateAppUser succeeded, and only an instance whose CreateDBInstance
// succeeded.
func ProvisionDatabase(ctx workflow.Context, req activities.ProvisionRequest) (ProvisionDatabaseResult, error) {
	if err := validateProvisionRequest(req); err != nil {
		return ProvisionDatabaseResult{}, err
	}
	p := &provisioning{req: req, started: workflow.Now(ctx)}
	if workflow.GetVersion(ctx, changeProvisionOwnership, workflow.DefaultVersion, provisionOwnershipV1) >= provisionOwnershipV1 {
		p.req.Run = originalRunID(ctx) // the ownership mark
	}
	p.progress = ProvisionProgress{Identifier: req.Identifier, Status: StatusRunning}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (ProvisionProgress, error) { return p.progress, nil }); err != nil {
		return ProvisionDatabaseResult{}, err
	}
	upsertSearchAttrs(ctx, searchAttrs{Environment: req.Environment, Status: StatusRunning})
	if err := p.provision(ctx); err != nil {
		return ProvisionDatabaseResult{}, p.compensate(ctx, err)
	}

	now := workflow.Now(ctx)
	res := ProvisionDatabaseResult{Instance: p.info, DurationMS: now.Sub(p.started).Milliseconds(),
		Adopted: p.instance.Adopted, Outcome: p.instance.Outcome}
	res.Changed = p.instance.Outcome == activities.OutcomeCreated
	for _, u := range p.users {
		res.Users = append(res.Users, u.result)
		res.Changed = res.Changed || userChanged(u.result)
	}
	p.progress.Step, p.progress.User, p.progress.Status = "", "", StatusSucceeded
	upsertSearchAttrs(ctx, searchAttrs{Status: StatusSucceeded})
	publishMetrics(ctx, DefaultMetricsNamespace, []activities.MetricDatum{
		datum(MetricProvisionSucceeded, 1, unitCount, now, p.dims()...),
		datum(MetricProvisionDuration, float64(res.DurationMS), unitMilliseconds, now, p.dims()...),
	})
	return res, nil
}

type provisioning struct {
	req      activities.ProvisionRequest
	started  time.Time
	progress ProvisionProgress
	// instance is nil until CreateDBInstance succeeded.
	instance *activities.CreateInstanceResult
	info     activities.InstanceInfo
	users    []provisionedUser
}

type provisionedUser struct {
	user   activities.AppUser
	result activities.AppUserResult
	// done: CreateAppUser succeeded and result is known.
	done bool
}

// owned says the run marks what it creates (changeProvisionOwnership).
func (p *provisioning) owned() bool { return p.req.Run != "" }

// userChanged: provisioning the user wrote something. It decides only
// the workflow's result, no command, and results recorded before
// ResourcePolicy existed lack it, so replays compute what they did.
func userChanged(r activities.AppUserResult) bool {
	return r.Secret == activities.OutcomeCreated || r.Role == activities.OutcomeCreated || len(r.Grants.Granted) > 0 ||
		r.ResourcePolicy == activities.PolicyAttached
}

func (p *provisioning) dims() []activities.Dimension {
	return []activities.Dimension{{Name: engine.DimDBInstanceID, Value: p.req.Identifier}, {Name: engine.DimEnvironment, Value: p.req.Environment}}
}

func (p *provisioning) userInput(u activities.AppUser) activities.AppUserInput {
	return activities.AppUserInput{Instance: p.info, User: u, Environment: p.req.Environment, Tags: p.req.Tags, Run: p.req.Run}
}

func (p *provisioning) provision(ctx workflow.Context) error {
	var a *activities.Activities
	p.progress.Step = StepCreateInstance
	var created activities.CreateInstanceResult
	if err := workflow.ExecuteActivity(withProvisionOptions(ctx), a.CreateDBInstance, p.req).Get(ctx, &created); err != nil {
		if p.owned() && !refusedBeforeActing(err) {
			// It may have been created before the failure: compensation
			// looks for this run's mark.
			p.instance = &activities.CreateInstanceResult{}
		}
		return err
	}
	p.instance = &created

	p.progress.Step = StepWaitInstance
	wait := activities.WaitInstanceInput{Identifier: p.req.Identifier, MinDelay: p.req.WaitMinDelay, MaxDelay: p.req.WaitMaxDelay}
	if err := workflow.ExecuteActivity(withWaitInstanceOptions(ctx, p.req.WaitMaxDelay), a.WaitInstanceAvailable, wait).Get(ctx, &p.info); err != nil {
		return err
	}

	for _, u := range p.req.Users {
		p.progress.Step, p.progress.User = StepCreateUser, u.Name
		var res activities.AppUserResult
		err := workflow.ExecuteActivity(withProvisionOptions(ctx), a.CreateAppUser, p.userInput(u)).Get(ctx, &res)
		if err != nil && !p.owned() {
			return err
		}
		// Recorded even when it failed: it may have created its secret
		// and roles first, which compensation finds by their mark (and
		// DeleteAppUser keeps whatever is not this run's).
		p.users = append(p.users, provisionedUser{user: u, result: res, done: err == nil})
		if err != nil {
			return err
		}
	}
	for _, u := range p.users {
		p.progress.Step, p.progress.User = StepVerifyUser, u.user.Name
		login := activities.LoginCheckInput{SecretID: u.result.SecretARN}
		if err := workflow.ExecuteActivity(withLoginOptions(ctx), a.VerifyLogin, login).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// compensate undoes, in reverse, what this run created, and returns the
// run's error.
func (p *provisioning) compensate(ctx workflow.Context, cause error) error {
	failedStep := p.progress.Step
	if p.progress.User != "" {
		failedStep += " " + p.progress.User
	}
	msg, errType := describeError(cause)
	p.progress.Error = msg
	workflow.GetLogger(ctx).Warn("provisioning failed; compensating", "instance", p.req.Identifier, "step", failedStep, "error", cause)

	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	uctx := withUndoOptions(dctx)
	var a *activities.Activities
	var undone, kept, left []string
	p.progress.Step, p.progress.User = StepCompensate, ""
	for k := len(p.users) - 1; k >= 0; k-- {
		u := p.users[k]
		if u.done && u.result.Adopted {
			continue // it all existed before this run: not ours to delete
		}
		var r activities.UndoResult
		if err := workflow.ExecuteActivity(uctx, a.DeleteAppUser, p.userInput(u.user)).Get(dctx, &r); err != nil {
			m, _ := describeError(err)
			left = append(left, "app user "+u.user.Name+" ("+m+")")
			continue
		}
		if !p.owned() {
			r.Deleted = []string{"app user " + u.user.Name}
		}
		undone, kept = append(undone, r.Deleted...), append(kept, r.Kept...)
	}
	// An adopted user's password handover must not outlive the run, even
	// if the run failed before it reached that user: DeleteAppUser finds
	// nothing of this run for it and drops the handover.
	for _, u := range p.untriedHandovers() {
		if err := workflow.ExecuteActivity(uctx, a.DeleteAppUser, p.userInput(u)).Get(dctx, nil); err != nil {
			m, _ := describeError(err)
			left = append(left, "password handover of "+u.Name+" ("+m+")")
		}
	}
	if p.instance != nil && !p.instance.Adopted {
		del := activities.DeleteInstanceInput{Identifier: p.req.Identifier, Run: p.req.Run}
		var r activities.UndoResult
		if err := workflow.ExecuteActivity(uctx, a.DeleteDBInstance, del).Get(dctx, &r); err != nil {
			m, _ := describeError(err)
			left = append(left, "instance "+p.req.Identifier+" ("+m+")")
		} else {
			if !p.owned() {
				r.Deleted = []string{"instance " + p.req.Identifier}
			}
			undone, kept = append(undone, r.Deleted...), append(kept, r.Kept...)
		}
	}

	p.progress.Status = StatusFailed
	upsertSearchAttrs(ctx, searchAttrs{Status: StatusFailed})
	publishMetrics(ctx, DefaultMetricsNamespace, []activities.MetricDatum{
		datum(MetricProvisionFailed, 1, unitCount, workflow.Now(ctx), p.dims()...),
	})

	text := "provision " + p.req.Identifier + ": " + failedStep + " failed: " + msg
	if len(undone) > 0 {
		text += "; undone: " + strings.Join(undone, ", ")
	}
	if len(kept) > 0 {
		text += "; kept (not this run's): " + strings.Join(kept, ", ")
	}
	if errType == "" {
		errType = ErrProvisionFailed
	}
	if len(left) > 0 {
		text += "; COMPENSATION FAILED, left behind: " + strings.Join(left, ", ")
		errType = ErrCompensationFailed
		workflow.GetLogger(ctx).Error("COMPENSATION FAILED: provisioning left resources behind", "instance", p.req.Identifier, "left", left)
	}
	return temporal.NewNonRetryableApplicationError(text, errType, cause)
}

// untriedHandovers are the users with a password handover whose
// CreateAppUser was never tried (it drops the handover itself).
func (p *provisioning) untriedHandovers() []activities.AppUser {
	if !p.owned() {
		return nil
	}
	tried := map[string]bool{}
	for _, u := range p.users {
		tried[u.user.Name] = true
	}
	var out []activities.AppUser
	for _, u := range p.req.Users {
		if u.PasswordFrom != "" && !tried[u.Name] {
			out = append(out, u)
		}
	}
	return out
}

// refusedBeforeActing: CreateDBInstance refused its input before it
// created anything (bad input, or an instance that is not this run's),
// so there is nothing of this run to look for.
func refusedBeforeActing(err error) bool {
	_, errType := describeError(err)
	return errType == activities.ErrInvalidInput || errType == activities.ErrNotCredstages
}
