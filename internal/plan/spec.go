// Package plan reads credstage rotation plans: YAML files that list, stage
// by stage, which secrets to rotate, how, and what to check afterwards.
//
// A plan is checked in three passes, each with errors of the form
// "plan.yaml:12: stages[1].targets[0].strategy: cause":
//
//  1. Load parses the YAML and checks everything that needs no AWS call
//     (unknown fields, durations, strategies, duplicates, empty stages).
//  2. Resolve expands tag selectors through ListSecrets.
//  3. Check asks DescribeSecret about every target, so a plan naming a
//     secret that does not exist fails before any run starts.
//
// Only secret metadata is ever read: nothing in this package can fetch a
// secret value (the interfaces it accepts lack GetSecretValue).
package plan

import "time"

// Spec is a rotation plan file. Example:
//
//	name: nightly
//	metricsNamespace: Credstage
//	outageBudget: 5m
//	maxAge: 90d
//	stages:
//	  - name: staging
//	    strategy: alternating-users
//	    maxParallel: 4
//	    bake: 10m
//	    targets:
//	      - secret: staging/orders/app
//	      - secret: staging/orders/reporting
//	        strategy: single-user
//	        probes: [{query: "SELECT count(*) >= 0 FROM pg_tables", expect: "true"}]
//	    selector: {tags: {team: orders}}
//	    validators:
//	      - sql: {query: "SELECT 1", expect: "1"}
//	      - http: {url: "http://127.0.0.1:8080/healthz", expectStatus: 200}
//	      - alarm: {alarmName: orders-5xx}
//	        timeout: 10s
//	  - name: production
//	    requireApproval: true
//	    maxAge: 30d
//	    targets:
//	      - secret: production/orders/app
type Spec struct {
	// Name identifies the plan; runs get the workflow ID
	// staged/<name>/<start time>. Required: letters, digits, '.', '_', '-'.
	Name string `yaml:"name"`
	// MetricsNamespace is the CloudWatch namespace of the run's metrics.
	// Optional, default Credstage.
	MetricsNamespace string `yaml:"metricsNamespace"`
	// OutageBudget is how long each rotation step waits out a database
	// that cannot be reached (a reboot takes 30-60 s, a Multi-AZ failover
	// 60-120 s) before it fails: before promotion the rotation then rolls
	// back, after it the secret is left promoted-unverified. Optional,
	// default 5m.
	OutageBudget Duration `yaml:"outageBudget"`
	// MaxAge is how old a secret's AWSCURRENT version may grow before the
	// inventory counts it overdue (metric OverdueSecrets, `credstage
	// report`), for every stage that sets none of its own. It is read from
	// the plans of credstage's schedules, so it takes effect once the plan
	// is scheduled; a plan only ever run by hand leaves no trace of it.
	// A Go duration or days (90d, 1d12h). Optional: no limit, unless the
	// inventory schedule gives a default (`credstage inventory apply
	// --max-age`).
	MaxAge Duration `yaml:"maxAge"`
	// Stages run in the order written; a stage starts only after the one
	// before it succeeded, baked and (when asked) was approved. At least one.
	Stages []StageSpec `yaml:"stages"`
	// Alarms says whom the CloudWatch alarms of the plan's environments
	// tell (`credstage alarms apply --plan`): {actions: [SNS topic ARNs]
	// told on ALARM, okActions: [...] told on the way back to OK}.
	// Optional.
	Alarms *AlarmsSpec `yaml:"alarms"`
}

// AlarmsSpec is a plan's alarm actions.
type AlarmsSpec struct {
	// Actions are SNS topic ARNs notified when an alarm goes to ALARM.
	Actions []string `yaml:"actions"`
	// OKActions are SNS topic ARNs notified when it returns to OK.
	OKActions []string `yaml:"okActions"`
}

// StageSpec is one environment's part of a plan.
type StageSpec struct {
	// Name is the environment (staging, production, ...): the Environment
	// dimension of metrics and the CredstageEnvironment search attribute.
	// Required, unique within the plan.
	Name string `yaml:"name"`
	// Strategy is the default for the stage's targets: single-user,
	// alternating-users or rds-managed-master. Optional, default single-user
	// (the one that needs no extra database role).
	Strategy string `yaml:"strategy"`
	// MaxParallel bounds how many of the stage's secrets rotate at once.
	// Optional, default 4.
	MaxParallel int `yaml:"maxParallel"`
	// BatchSize says how a large stage rotates: 0 or absent (automatic)
	// gives each secret its own rotate/<secret> workflow up to 20 targets
	// and batches of 100 secrets above; -1 always one workflow per secret;
	// N > 0 batches of N. A batch keeps every guarantee of a workflow per
	// secret (one rotation per secret at a time, rollback of exactly what
	// was done) at a fraction of the orchestration cost.
	BatchSize int `yaml:"batchSize"`
	// Bake is how long to wait after the stage succeeded before the next
	// one starts, as a Go duration (90s, 10m, 1h30m). Optional, default 0.
	Bake Duration `yaml:"bake"`
	// RequireApproval makes the stage wait, before it starts, for
	// `credstage approve` (or `credstage abort`). Optional, default false.
	RequireApproval bool `yaml:"requireApproval"`
	// MaxAge overrides the plan's maxAge for the stage's secrets (a
	// production stage may allow less than staging). Optional.
	MaxAge Duration `yaml:"maxAge"`
	// Targets are the secrets to rotate, in order.
	Targets []TargetSpec `yaml:"targets"`
	// Selector adds every secret whose tags match, in name order, with the
	// stage's strategy. It is resolved when the plan is validated, started
	// or scheduled. A stage needs targets, a selector, or both.
	Selector *SelectorSpec `yaml:"selector"`
	// Validators run after each of the stage's secrets is promoted; a
	// failure rolls the stage back.
	Validators []ValidatorSpec `yaml:"validators"`
	// Drain says what an alternating-users rotation does when clients
	// still log in as the role it is about to change (the one AWSPREVIOUS
	// holds): {mode: warn|wait|fail, timeout: 10m}. warn (the default)
	// proceeds and reports the sessions; fail stops before anything
	// changes, naming the clients; wait polls until they are gone, for
	// up to timeout (default 10m), then fails as fail does.
	Drain *DrainSpec `yaml:"drain"`
}

// DrainSpec is a stage's consumer drain policy.
type DrainSpec struct {
	// Mode is warn, wait or fail. Optional, default warn.
	Mode string `yaml:"mode"`
	// Timeout bounds wait. Optional, default 10m.
	Timeout Duration `yaml:"timeout"`
}

// TargetSpec is one secret to rotate.
type TargetSpec struct {
	// Secret is the Secrets Manager secret name or ARN. Required.
	Secret string `yaml:"secret"`
	// Strategy overrides the stage's strategy for this secret. Optional.
	Strategy string `yaml:"strategy"`
	// Probes are extra SQL checks run over a fresh login with the new
	// credentials before they are promoted: {name, query, expect}, where
	// expect (optional) is the first column of the first row, as text.
	Probes []ProbeSpec `yaml:"probes"`
}

// ProbeSpec is an SQL query run over a login.
type ProbeSpec struct {
	// Name labels the probe in progress and errors. Optional.
	Name string `yaml:"name"`
	// Query is the SQL to run. Required.
	Query string `yaml:"query"`
	// Expect is the first column of the first row, as text. Optional.
	Expect string `yaml:"expect"`
}

// SelectorSpec picks secrets by their Secrets Manager tags (ListSecrets
// tag filters). A secret matches when it has every listed tag with
// exactly the listed value and, if set, its name starts with NamePrefix.
type SelectorSpec struct {
	// Tags are tag key/value pairs that must all be present.
	Tags map[string]string `yaml:"tags"`
	// NamePrefix narrows the match to names starting with it. Optional.
	NamePrefix string `yaml:"namePrefix"`
}

// ValidatorSpec is one check run after promotion. Exactly one of sql, http
// and alarm is set.
type ValidatorSpec struct {
	// Name labels the check in progress and errors. Optional.
	Name string `yaml:"name"`
	// SQL runs a query over a login with the new current credentials.
	SQL *ProbeSpec `yaml:"sql"`
	// HTTP calls a health URL: {url, expectStatus (default 200),
	// bodyContains (optional)}.
	HTTP *HTTPSpec `yaml:"http"`
	// Alarm requires a CloudWatch alarm not to be in ALARM: {alarmName}.
	Alarm *AlarmSpec `yaml:"alarm"`
	// Timeout bounds the check, as a Go duration. Optional, default 10s.
	Timeout Duration `yaml:"timeout"`
}

// HTTPSpec is a health URL check.
type HTTPSpec struct {
	// URL is an http or https URL. Required.
	URL string `yaml:"url"`
	// ExpectStatus is the HTTP status the URL must answer. Default 200.
	ExpectStatus int `yaml:"expectStatus"`
	// BodyContains, when set, must appear in the response body.
	BodyContains string `yaml:"bodyContains"`
}

// AlarmSpec names a CloudWatch alarm.
type AlarmSpec struct {
	// AlarmName is the alarm that must not be in ALARM. Required.
	AlarmName string `yaml:"alarmName"`
}

// Duration is a time.Duration written as a Go duration string ("10m"),
// or as days ("90d", "1d12h").
type Duration time.Duration
