package workflows

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/engine"
)

// namePattern keeps plan and stage names to characters that need no
// quoting in workflow IDs, search attributes and metric dimensions (the
// same rule the CLI's plan loader applies).
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// PlanError lists everything wrong with a plan, each problem naming its
// field (stages[1].targets[0].strategy), so one edit fixes them all.
type PlanError struct {
	Problems []string
}

func (e *PlanError) Error() string {
	return "invalid plan: " + strings.Join(e.Problems, "; ")
}

// Validate checks a plan without any I/O: at least one stage; stage names
// unique and well-formed; every stage with targets; known strategies; no
// secret listed twice in the plan (compared by SecretName, so a name and
// its ARN count as the same); maxParallel ≥ 0; bake ≥ 0; every validator
// with exactly one check. It returns nil or a *PlanError.
func (p Plan) Validate() error {
	var problems planProblems
	switch {
	case p.Name == "":
		problems.add("name", "required")
	case !namePattern.MatchString(p.Name):
		problems.add("name", "%q: letters, digits, '.', '_' and '-', at most 100, starting with a letter or digit", p.Name)
	}
	if ns := p.MetricsNamespace; strings.HasPrefix(ns, "AWS/") || strings.HasPrefix(ns, ":") || len(ns) > 255 {
		problems.add("metricsNamespace", "%q: may not start with AWS/ or ':', at most 255 characters", ns)
	}
	if p.OutageBudget < 0 {
		problems.add("outageBudget", "must be ≥ 0 (0 means %s), got %s", engine.DefaultOutageBudget, p.OutageBudget)
	}
	if len(p.Stages) == 0 {
		problems.add("stages", "a plan needs at least one stage")
	}
	stageAt := map[string]int{}
	secretAt := map[string]string{}
	for i, st := range p.Stages {
		sp := fmt.Sprintf("stages[%d]", i)
		switch first, dup := stageAt[st.Name]; {
		case st.Name == "":
			problems.add(sp+".name", "required")
		case !namePattern.MatchString(st.Name):
			problems.add(sp+".name", "%q: letters, digits, '.', '_' and '-', at most 100, starting with a letter or digit", st.Name)
		case dup:
			problems.add(sp+".name", "stage %q is already stages[%d]", st.Name, first)
		default:
			stageAt[st.Name] = i
		}
		if st.MaxParallel < 0 {
			problems.add(sp+".maxParallel", "must be ≥ 0 (0 means %d), got %d", defaultMaxParallel, st.MaxParallel)
		}
		if st.Bake < 0 {
			problems.add(sp+".bake", "must be ≥ 0, got %s", st.Bake)
		}
		checkStepTimeout(&problems, sp+".stepTimeout", st.StepTimeout)
		if st.BatchSize < BatchSizeNever {
			problems.add(sp+".batchSize", "must be -1 (one child per target), 0 (automatic) or a batch size, got %d", st.BatchSize)
		}
		if len(st.Targets) == 0 {
			problems.add(sp+".targets", "stage %q has no targets", st.Name)
		}
		for j, t := range st.Targets {
			tp := fmt.Sprintf("%s.targets[%d]", sp, j)
			checkTarget(&problems, tp, t)
			if t.SecretID == "" {
				continue
			}
			name := SecretName(t.SecretID)
			if first, dup := secretAt[name]; dup {
				problems.add(tp+".secretId", "secret %q is already listed at %s; a secret is rotated once per plan", t.SecretID, first)
				continue
			}
			secretAt[name] = tp
		}
		checkValidators(&problems, sp+".validators", st.Validators)
		checkDrain(&problems, sp+".drain", st.Drain, st.StepTimeout)
	}
	return problems.planError()
}

// planProblems collects field errors.
type planProblems []string

func (p *planProblems) add(field, format string, args ...any) {
	*p = append(*p, field+": "+fmt.Sprintf(format, args...))
}

func (p planProblems) planError() error {
	if len(p) == 0 {
		return nil
	}
	return &PlanError{Problems: p}
}

// err is the non-retryable InvalidInput a workflow fails with.
func (p planProblems) err(what string) error {
	if len(p) == 0 {
		return nil
	}
	return invalidInput("%s: %s", what, strings.Join(p, "; "))
}

// invalidPlan wraps a Validate error for the workflow's failure.
func invalidPlan(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), activities.ErrInvalidInput, nil)
}

// Secrets Manager's limits on a SecretId (name or ARN) and on a name; they
// also keep the lock's workflow ID, rotate/<name>, within Temporal's.
const (
	maxSecretIDLen   = 2048
	maxSecretNameLen = 512
)

// minStepTimeout keeps a StepTimeout above the time one attempt of a
// healthy step needs (a login costs tens of milliseconds, a busy server
// more).
const minStepTimeout = time.Second

func checkStepTimeout(p *planProblems, path string, d time.Duration) {
	if d != 0 && d < minStepTimeout {
		p.add(path, "must be 0 (the defaults) or at least %s, got %s", minStepTimeout, d)
	}
}

func checkTarget(p *planProblems, path string, t Target) {
	switch {
	case strings.TrimSpace(t.SecretID) == "":
		p.add(path+".secretId", "required")
	case len(t.SecretID) > maxSecretIDLen:
		p.add(path+".secretId", "%d characters; a Secrets Manager secret id has at most %d", len(t.SecretID), maxSecretIDLen)
	case len(SecretName(t.SecretID)) > maxSecretNameLen:
		p.add(path+".secretId", "names a secret of %d characters; Secrets Manager names have at most %d", len(SecretName(t.SecretID)), maxSecretNameLen)
	case t.SecretID != strings.TrimSpace(t.SecretID):
		p.add(path+".secretId", "%q has leading or trailing spaces", t.SecretID)
	}
	if !t.Strategy.Valid() {
		p.add(path+".strategy", "unknown strategy %q (want %s, %s or %s)", t.Strategy,
			activities.StrategySingleUser, activities.StrategyAlternatingUsers, activities.StrategyManagedMaster)
	}
	for k, pr := range t.Probes {
		if strings.TrimSpace(pr.Query) == "" {
			p.add(fmt.Sprintf("%s.probes[%d].query", path, k), "required")
		}
	}
	if t.Strategy == activities.StrategyManagedMaster && len(t.Probes) > 0 {
		p.add(path+".probes", "an rds-managed-master rotation runs no probes (RDS sets the password)")
	}
}

// checkDrain: a known mode, a timeout ≥ 0, and a wait that the stage's
// step timeout does not cut short.
func checkDrain(p *planProblems, path string, d *activities.Drain, stepTimeout time.Duration) {
	if d == nil {
		return
	}
	if !d.Mode.Valid() {
		p.add(path+".mode", "unknown drain mode %q (want %s, %s or %s)", d.Mode, activities.DrainWarn, activities.DrainWait, activities.DrainFail)
	}
	if d.Timeout < 0 {
		p.add(path+".timeout", "must be ≥ 0 (0 means %s), got %s", engine.DefaultDrainTimeout, d.Timeout)
	}
	if w := drainWait(d); stepTimeout > 0 && w >= stepTimeout {
		p.add(path+".timeout", "the wait (%s) must be shorter than the stage's stepTimeout (%s), which bounds the set step", w, stepTimeout)
	}
}

func checkValidators(p *planProblems, path string, validators []activities.Validator) {
	for k, v := range validators {
		vp := fmt.Sprintf("%s[%d]", path, k)
		kinds := 0
		if v.SQL != nil {
			kinds++
			if strings.TrimSpace(v.SQL.Query) == "" {
				p.add(vp+".sql.query", "required")
			}
		}
		if v.HTTP != nil {
			kinds++
			if u, err := url.Parse(v.HTTP.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				p.add(vp+".http.url", "%q is not an http(s) URL", v.HTTP.URL)
			}
			if s := v.HTTP.ExpectStatus; s != 0 && (s < 100 || s > 599) {
				p.add(vp+".http.expectStatus", "%d is not an HTTP status", s)
			}
		}
		if v.Alarm != nil {
			kinds++
			if strings.TrimSpace(v.Alarm.AlarmName) == "" {
				p.add(vp+".alarm.alarmName", "required")
			}
		}
		if kinds != 1 {
			p.add(vp, "validator %q must set exactly one of sql, http, alarm (has %d)", v.Name, kinds)
		}
		if v.Timeout < 0 {
			p.add(vp+".timeout", "must be ≥ 0, got %s", v.Timeout)
		}
	}
}
