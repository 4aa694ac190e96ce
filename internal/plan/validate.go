package plan

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/internal/yamlnode"
)

var (
	// Plan and stage names end up in workflow IDs, search attributes and
	// metric dimensions, so they are kept to characters that need no
	// quoting anywhere.
	namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)
	// Secrets Manager's rule for secret names, plus the "!" of the names RDS
	// gives the master secrets it manages (rds!db-...); ARNs are checked apart.
	secretNamePattern = regexp.MustCompile(`^[A-Za-z0-9/_+=.@!-]{1,512}$`)
	secretARNPattern  = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@!-]+$`)
)

const (
	maxParallelLimit = 100
	// batchSizeLimit keeps a batch's per-secret outcomes well inside a
	// Temporal payload.
	batchSizeLimit = 1000
	maxTimeout     = 10 * time.Minute
	// maxDrainTimeout keeps a set step's wait for consumers well inside
	// the attempt timeouts of a batch and a workflow.
	maxDrainTimeout = 2 * time.Hour
)

// DefaultStrategy applies when neither a target nor its stage names one:
// single-user needs no second database role, so it works for every
// secret.
const DefaultStrategy = activities.StrategySingleUser

// StrategyChoices is the list shown in errors about strategies.
const StrategyChoices = "single-user, alternating-users or rds-managed-master"

// validate checks everything that needs no AWS call, collecting every
// problem so one edit-and-retry fixes them all.
func (p *Parsed) validate() yamlnode.Errors {
	var errs yamlnode.Errors
	bad := func(path, format string, args ...any) {
		errs = append(errs, p.doc.Errorf(path, format, args...))
	}
	s := &p.Spec
	switch {
	case s.Name == "":
		bad("name", "required: the plan's name (runs are called staged/<name>/<time>)")
	case !namePattern.MatchString(s.Name):
		bad("name", "invalid name %q (letters, digits, '.', '_' and '-', at most 100)", s.Name)
	}
	if strings.HasPrefix(s.MetricsNamespace, "AWS/") || strings.HasPrefix(s.MetricsNamespace, ":") || len(s.MetricsNamespace) > 255 {
		bad("metricsNamespace", "invalid CloudWatch namespace %q (may not start with AWS/ or ':', at most 255 characters)", s.MetricsNamespace)
	}
	if len(s.Stages) == 0 {
		bad("stages", "a plan needs at least one stage")
	}
	errs = append(errs, p.validateAlarms()...)
	p.validateMaxAge("maxAge", s.MaxAge, bad)
	stageNames := map[string]string{}
	secrets := map[string]string{} // secret -> path where first listed
	for i, st := range s.Stages {
		sp := fmt.Sprintf("stages[%d]", i)
		switch {
		case st.Name == "":
			bad(sp+".name", "required: the stage's environment name (staging, production, ...)")
		case !namePattern.MatchString(st.Name):
			bad(sp+".name", "invalid name %q (letters, digits, '.', '_' and '-', at most 100)", st.Name)
		case stageNames[st.Name] != "":
			bad(sp+".name", "stage %q already defined at %s (line %d)", st.Name, stageNames[st.Name], p.doc.Line(stageNames[st.Name]))
		default:
			stageNames[st.Name] = sp + ".name"
		}
		if st.Strategy != "" && !activities.Strategy(st.Strategy).Valid() {
			bad(sp+".strategy", "unknown strategy %q (want %s)", st.Strategy, StrategyChoices)
		}
		if st.MaxParallel < 0 || st.MaxParallel > maxParallelLimit {
			bad(sp+".maxParallel", "must be between 1 and %d (0 or absent means 4), got %d", maxParallelLimit, st.MaxParallel)
		}
		p.validateMaxAge(sp+".maxAge", st.MaxAge, bad)
		if st.BatchSize < -1 || st.BatchSize > batchSizeLimit {
			bad(sp+".batchSize", "must be -1 (one workflow per secret), 0 (automatic) or a batch size up to %d, got %d", batchSizeLimit, st.BatchSize)
		}
		if d := st.Drain; d != nil {
			if !activities.DrainMode(d.Mode).Valid() {
				bad(sp+".drain.mode", "unknown drain mode %q (want warn, wait or fail)", d.Mode)
			}
			if d.Timeout.D() < 0 || d.Timeout.D() > maxDrainTimeout {
				bad(sp+".drain.timeout", "must be between 0 (10m) and %s, got %s", maxDrainTimeout, d.Timeout.D())
			}
		}
		if len(st.Targets) == 0 && st.Selector == nil {
			bad(sp, "stage %q has no targets and no selector", st.Name)
		}
		for j, t := range st.Targets {
			tp := fmt.Sprintf("%s.targets[%d]", sp, j)
			switch {
			case t.Secret == "":
				bad(tp+".secret", "required: the secret's name or ARN")
			case !secretNamePattern.MatchString(t.Secret) && !secretARNPattern.MatchString(t.Secret):
				bad(tp+".secret", "invalid secret name %q (letters, digits and /_+=.@- only, or a Secrets Manager ARN)", t.Secret)
			case secrets[t.Secret] != "":
				first := secrets[t.Secret]
				bad(tp+".secret", "secret %q is already listed at %s (line %d); a secret is rotated once per run", t.Secret, first, p.doc.Line(first))
			default:
				secrets[t.Secret] = tp + ".secret"
			}
			if t.Strategy != "" && !activities.Strategy(t.Strategy).Valid() {
				bad(tp+".strategy", "unknown strategy %q (want %s)", t.Strategy, StrategyChoices)
			}
			for k, pr := range t.Probes {
				if strings.TrimSpace(pr.Query) == "" {
					bad(fmt.Sprintf("%s.probes[%d].query", tp, k), "required: the SQL to run")
				}
			}
		}
		if sel := st.Selector; sel != nil {
			if len(sel.Tags) == 0 && sel.NamePrefix == "" {
				bad(sp+".selector", "a selector needs tags, namePrefix or both")
			}
			keys := make([]string, 0, len(sel.Tags))
			for k := range sel.Tags {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if strings.TrimSpace(k) == "" {
					bad(sp+".selector.tags", "tag keys may not be empty")
				}
			}
		}
		for k, v := range st.Validators {
			errs = append(errs, p.validateValidator(fmt.Sprintf("%s.validators[%d]", sp, k), v)...)
		}
	}
	return errs
}

// validateMaxAge refuses a maxAge written as zero: absent means no limit,
// and "0s" would make every secret overdue at once, which nobody means.
func (p *Parsed) validateMaxAge(path string, d Duration, bad func(path, format string, args ...any)) {
	if d.D() <= 0 && p.doc.Has(path) {
		bad(path, "must be positive (a Go duration such as 720h, or days such as 90d), got %s", d.D())
	}
}

func (p *Parsed) validateValidator(vp string, v ValidatorSpec) yamlnode.Errors {
	var errs yamlnode.Errors
	bad := func(path, format string, args ...any) {
		errs = append(errs, p.doc.Errorf(path, format, args...))
	}
	kinds := 0
	for _, set := range []bool{v.SQL != nil, v.HTTP != nil, v.Alarm != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		bad(vp, "a validator needs exactly one of sql, http and alarm, got %d", kinds)
	}
	if v.SQL != nil && strings.TrimSpace(v.SQL.Query) == "" {
		bad(vp+".sql.query", "required: the SQL to run")
	}
	if h := v.HTTP; h != nil {
		u, err := url.Parse(h.URL)
		if h.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(vp+".http.url", "want an http:// or https:// URL, got %q", h.URL)
		}
		if h.ExpectStatus != 0 && (h.ExpectStatus < 100 || h.ExpectStatus > 599) {
			bad(vp+".http.expectStatus", "want an HTTP status between 100 and 599, got %d", h.ExpectStatus)
		}
	}
	if v.Alarm != nil && v.Alarm.AlarmName == "" {
		bad(vp+".alarm.alarmName", "required: the CloudWatch alarm's name")
	}
	if v.Timeout.D() > maxTimeout {
		bad(vp+".timeout", "at most %s, got %s", maxTimeout, v.Timeout.D())
	}
	return errs
}
