package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/localaws"
	"github.com/credstage/credstage/tests/faultproxy"
	"github.com/credstage/credstage/workflows"
)

// TestFaultsProxy puts a TCP proxy between the worker and PostgreSQL, one
// per secret (its master connection and its logins both go through it),
// and breaks the network under rotations in flight, on both paths (a
// RotateSecret of its own, and a batched stage of a StagedRotation) and
// with both strategies:
//
//   - the reply to the set step's ALTER ROLE lost after the server
//     committed it, the network back at once: the retry finds the
//     password in place and the rotation succeeds;
//   - the same, then the database refused for longer than the outage
//     budget: the rotation rolls back, and the rollback must treat set as
//     done (the server acted although no reply came), so a single user's
//     old password is back and AWSCURRENT logs in;
//   - refused, or black-holed, for less than the budget in the set or
//     test step: waited out, the rotation succeeds;
//   - refused for longer than the budget right after promotion: verify
//     cannot reach the database and the run ends promoted-unverified,
//     with AWSCURRENT the new version, which logs in once the network is
//     back.
//
// With CREDSTAGE_SOAK=1 it also runs the 60 s outages (refused and
// black-holed) under a 90 s budget. Every case ends with the invariant
// for its secrets.
func TestFaultsProxy(t *testing.T) {
	t.Parallel() // mostly waiting (outages): runs beside the other waiting tests
	rng := faultRand(t)
	s := startE2EStack(t)
	ctx := testContext(t, 8*time.Minute)
	keepLogOnFailure(t, s)
	rep := newReport(t)

	in, _ := provisionInstance(ctx, t, s, "faults-proxy", "staging",
		[]activities.AppUser{{Name: "app", Strategy: activities.StrategySingleUser, Grants: []string{"readonly"}}})
	rep.add(0, 1)
	in.writeCanary(ctx, t)
	// Subtests run in parallel, after this function returns: the
	// instance-wide checks wait for them in a cleanup (run before the
	// report's and the stack's).
	t.Cleanup(func() {
		in.checkCanary(ctx, t, rep)
		assertMasterLogin(ctx, t, s, instance{id: in.id, master: in.masterARN})
		scanForLeaks(ctx, t, s, nil)
	})
	upstream := net.JoinHostPort(in.host, strconv.Itoa(in.port))
	// The instance forces TLS: the proxies end it with the instance's own
	// certificate, so the worker checks it as if it spoke to the instance.
	cert, err := s.aws.Server.InstanceTLSCertificate(in.id)
	if err != nil {
		t.Fatal(err)
	}
	// The proxies live as long as the test, not their subtest: the secrets
	// point at them.
	var proxiesMu sync.Mutex
	var proxies []*faultproxy.Proxy
	t.Cleanup(func() {
		for _, p := range proxies {
			p.Close()
		}
	})

	// Faults are drawn per subtest from one seeded source; subtests draw
	// in the order they are declared, before they start running.
	var rngMu sync.Mutex
	draw := func(n int) int {
		rngMu.Lock()
		defer rngMu.Unlock()
		return rng.IntN(n)
	}

	newUser := func(t *testing.T, role string, strategy activities.Strategy) *proxiedUser {
		t.Helper()
		p, err := faultproxy.NewTLS(upstream, cert)
		if err != nil {
			t.Fatal(err)
		}
		proxiesMu.Lock()
		proxies = append(proxies, p)
		proxiesMu.Unlock()
		u := &proxiedUser{role: role, master: in.master.Username, strategy: strategy, p: p}
		p.Watch(startupUser(in.master.Username))
		p.Watch(startupUser(role))
		p.Watch(startupUser(role + "_clone"))
		var m *secretsmanager.CreateSecretOutput
		value, _ := json.Marshal(map[string]any{"engine": "postgres", "host": p.Host(), "port": p.Port(),
			"username": in.master.Username, "password": in.master.Password, "dbname": in.db})
		m, err = s.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("staging/faults-proxy/master-" + role),
			SecretString: aws.String(string(value))})
		if err != nil {
			t.Fatal(err)
		}
		u.id = in.makeUserAt(ctx, t, s, "staging/faults-proxy/"+role, role, aws.ToString(m.ARN), p.Host(), p.Port())
		if strategy == activities.StrategyAlternatingUsers {
			// One clean rotation first: the clone exists, AWSCURRENT is
			// on it, and the next set step is an ALTER ROLE of role
			// itself, like every rotation after the first.
			out, err := rotateOne(ctx, t, s, workflows.RotateSecretInput{Target: workflows.Target{SecretID: u.id, Strategy: strategy},
				Environment: "staging", Validators: sqlCanary, OutageBudget: proxyBudget})
			rep.add(0, 1)
			if err != nil || out.Status != workflows.StatusSucceeded {
				t.Fatalf("%s: first rotation %s (%s): %v", u.id, out.Status, out.Error, err)
			}
		}
		u.before = labelsNow(ctx, t, s, u.id)
		return u
	}
	pair := func(t *testing.T, name string) []*proxiedUser {
		return []*proxiedUser{newUser(t, name+"_single", activities.StrategySingleUser), newUser(t, name+"_alt", activities.StrategyAlternatingUsers)}
	}

	// rotate starts the rotation of users on path p and returns a wait
	// for their outcomes.
	rotate := func(t *testing.T, p rotationPath, name string, users []*proxiedUser, budget time.Duration, probes []activities.SQLProbe) func() map[string]proxyOutcome {
		t.Helper()
		if p == pathDirect {
			runs := map[string]client.WorkflowRun{}
			for _, u := range users {
				run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SecretWorkflowID(u.id), TaskQueue: workflows.TaskQueue},
					workflows.RotateSecret, workflows.RotateSecretInput{Target: workflows.Target{SecretID: u.id, Strategy: u.strategy, Probes: probes},
						Environment: "staging", Validators: sqlCanary, PublishMetrics: true, OutageBudget: budget})
				if err != nil {
					t.Fatal(err)
				}
				rep.add(0, 1)
				runs[u.id] = run
			}
			return func() map[string]proxyOutcome {
				outs := map[string]proxyOutcome{}
				for id, run := range runs {
					out, err := outcomeOf(ctx, run)
					outs[id] = proxyOutcome{status: out.Status, step: out.LastStep, err: out.Error, runErr: err}
				}
				return outs
			}
		}
		st := workflows.Stage{Name: "staging", BatchSize: len(users), MaxParallel: len(users), Validators: sqlCanary}
		for _, u := range users {
			st.Targets = append(st.Targets, workflows.Target{SecretID: u.id, Strategy: u.strategy, Probes: probes})
		}
		if workflows.StageBatchSize(st) == 0 {
			t.Fatalf("stage %+v would not run in batches", st)
		}
		plan := workflows.Plan{Name: "proxy-" + name, OutageBudget: budget, Stages: []workflows.Stage{st}}
		run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "staged/" + plan.Name, TaskQueue: workflows.TaskQueue},
			workflows.StagedRotation, workflows.StagedRotationInput{Plan: plan})
		if err != nil {
			t.Fatal(err)
		}
		rep.add(0, 1)
		return func() map[string]proxyOutcome {
			var res workflows.StagedRotationResult
			err := run.Get(ctx, &res)
			var app *temporal.ApplicationError
			if errors.As(err, &app) && app.Type() == workflows.ErrRotationFailed && app.HasDetails() {
				_ = app.Details(&res)
			}
			t.Logf("staged run %s: %s", plan.Name, res.Summary)
			outs := map[string]proxyOutcome{}
			for _, sp := range res.Stages {
				for _, tp := range sp.Targets {
					outs[tp.SecretID] = proxyOutcome{status: tp.Status, step: tp.Step, err: tp.Error, runErr: err}
				}
			}
			return outs
		}
	}

	// wantSucceeded: an outage shorter than the budget is waited out; a
	// rollback here is a good rotation lost.
	wantSucceeded := func(t *testing.T, users []*proxiedUser, outs map[string]proxyOutcome) {
		t.Helper()
		for _, u := range users {
			o := outs[u.id]
			if o.status != workflows.StatusSucceeded {
				t.Errorf("%s: %s at %s (%s), want succeeded: the outage was shorter than the budget (run error: %v)", u.id, o.status, o.step, o.err, o.runErr)
				if o.status == workflows.StatusRolledBack {
					rep.goodRolledBack()
				}
			}
			if checkCredential(ctx, t, s, rep, u.id) && o.status == workflows.StatusSucceeded {
				if now := labelsNow(ctx, t, s, u.id); now.previous != u.before.current || now.current == u.before.current {
					rep.previousWrong()
					t.Errorf("%s succeeded but AWSCURRENT=%s AWSPREVIOUS=%s (AWSCURRENT before: %s)", u.id, now.current, now.previous, u.before.current)
				}
			}
			u.checkProxied(t)
		}
	}
	setPass := func(t *testing.T, users []*proxiedUser) {
		t.Helper()
		for _, u := range users {
			if err := u.p.Set(faultproxy.Pass); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitSwitched := func(t *testing.T, users []*proxiedUser, what string) {
		t.Helper()
		waitFor(soon(ctx, t), t, what, func() bool {
			for _, u := range users {
				if u.p.Armed() > 0 {
					return false
				}
			}
			return true
		})
		rep.add(len(users), 0)
	}
	slowProbe := []activities.SQLProbe{{Name: "slow", Query: "SELECT pg_sleep(1) IS NULL", Expect: "false"}}

	paths := []rotationPath{pathDirect, pathBatched}
	for _, p := range paths {
		t.Run("reply lost after ALTER ROLE/"+string(p), func(t *testing.T) {
			t.Parallel()
			users := pair(t, "lost_"+string(p))
			for _, u := range users {
				u.p.LoseReply(u.setStatement(), faultproxy.Pass)
			}
			outs := rotate(t, p, "lost-"+string(p), users, proxyBudget, nil)()
			for _, u := range users {
				if n := u.p.Stats().RepliesLost; n != 1 {
					t.Errorf("%s: %d replies lost, want 1: the set step's %q never went through the proxy", u.id, n, u.setStatement())
				}
			}
			rep.add(len(users), 0)
			wantSucceeded(t, users, outs)
		})
	}

	for _, p := range paths {
		t.Run("reply lost after ALTER ROLE then refused past the budget/"+string(p), func(t *testing.T) {
			t.Parallel()
			users := pair(t, "lostdown_"+string(p))
			for _, u := range users {
				u.p.LoseReply(u.setStatement(), faultproxy.Refuse)
			}
			wait := rotate(t, p, "lostdown-"+string(p), users, proxyBudget, nil)
			waitFor(soon(ctx, t), t, "the set steps' replies lost", func() bool {
				for _, u := range users {
					if u.p.Stats().RepliesLost == 0 {
						return false
					}
				}
				return true
			})
			rep.add(len(users), 0)
			time.Sleep(proxyBudget + 5*time.Second)
			setPass(t, users)
			outs := wait()
			for _, u := range users {
				o := outs[u.id]
				if o.status != workflows.StatusRolledBack {
					t.Errorf("%s: %s at %s (%s), want rolled-back: the database stayed away past the budget (run error: %v)", u.id, o.status, o.step, o.err, o.runErr)
				} else if !strings.Contains(o.err, "outage budget") {
					t.Errorf("%s: error %q does not name the outage", u.id, o.err)
				}
				if n := u.p.Stats().RepliesLost; n != 1 {
					t.Errorf("%s: %d replies lost, want 1", u.id, n)
				}
				checkRolledBack(ctx, t, s, rep, u.id, u.before)
				u.checkProxied(t)
				t.Logf("%s: %s at %s: %s", u.id, o.status, o.step, o.err)
			}
		})
	}

	// Where a short refusal lands is drawn: the set step (at its first
	// read of pg_authid, the SCRAM check before the ALTER ROLE) or the
	// test step (at the probe).
	for _, p := range paths {
		at := []string{"set", "test"}[draw(2)]
		t.Run("refused 5s in "+at+"/"+string(p), func(t *testing.T) {
			t.Parallel()
			users := pair(t, "refuse_"+string(p))
			pattern := "pg_catalog.pg_authid"
			if at == "test" {
				pattern = "pg_sleep"
			}
			for _, u := range users {
				u.p.SwitchOn(pattern, faultproxy.Refuse)
			}
			wait := rotate(t, p, "refuse-"+string(p), users, proxyBudget, slowProbe)
			waitSwitched(t, users, "the refusals in the "+at+" step")
			time.Sleep(5 * time.Second)
			setPass(t, users)
			wantSucceeded(t, users, wait())
		})
	}

	// The black-hole starts either as the probe is sent (the statement is
	// held) or while it runs (the reply is held): drawn.
	for _, p := range paths {
		during := draw(2) == 1
		name := "black-holed 5s at the probe/" + string(p)
		if during {
			name = "black-holed 5s under the probe/" + string(p)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			users := pair(t, "hole_"+string(p))
			for _, u := range users {
				u.p.Watch("pg_sleep")
				if !during {
					u.p.SwitchOn("pg_sleep", faultproxy.BlackHole)
				}
			}
			wait := rotate(t, p, "hole-"+string(p), users, proxyBudget, slowProbe)
			if during {
				waitFor(soon(ctx, t), t, "the probes running", func() bool {
					for _, u := range users {
						if u.p.Seen("pg_sleep") == 0 {
							return false
						}
					}
					return true
				})
				time.Sleep(300 * time.Millisecond) // inside pg_sleep(1)
				for _, u := range users {
					_ = u.p.Set(faultproxy.BlackHole)
				}
				rep.add(len(users), 0)
			} else {
				waitSwitched(t, users, "the black-holes at the probe")
			}
			time.Sleep(5 * time.Second)
			setPass(t, users)
			wantSucceeded(t, users, wait())
		})
	}

	for _, p := range paths {
		t.Run("refused past the budget after promotion/"+string(p), func(t *testing.T) {
			t.Parallel()
			users := pair(t, "unverified_"+string(p))
			faults := map[*proxiedUser]string{}
			for _, u := range users {
				faults[u] = s.aws.Server.Faults().Add(workerFault(localaws.Fault{Service: "secretsmanager", Op: "UpdateSecretVersionStage",
					Resource: u.id, Latency: 2 * time.Second, Count: 1}))
			}
			wait := rotate(t, p, "unverified-"+string(p), users, proxyBudget, nil)
			// The database goes away while the promotion is in flight,
			// so verify meets the outage and nothing after it reaches
			// the database until the run has ended.
			waitFor(soon(ctx, t), t, "the promotions in flight", func() bool {
				all := true
				for u, f := range faults {
					if hitsOf(s, f) > 0 {
						_ = u.p.Set(faultproxy.Refuse)
					} else {
						all = false
					}
				}
				return all
			})
			rep.add(len(users), 0)
			outs := wait()
			setPass(t, users)
			for _, u := range users {
				o := outs[u.id]
				if o.status != workflows.StatusPromotedUnverified {
					t.Errorf("%s: %s at %s (%s), want %s: verify met an outage past the budget after promotion (run error: %v)",
						u.id, o.status, o.step, o.err, workflows.StatusPromotedUnverified, o.runErr)
				}
				now := labelsNow(ctx, t, s, u.id)
				if now.current == u.before.current || now.previous != u.before.current {
					t.Errorf("%s: AWSCURRENT=%s AWSPREVIOUS=%s, want the new version current and %s previous", u.id, now.current, now.previous, u.before.current)
				}
				checkCredential(ctx, t, s, rep, u.id)
				u.checkProxied(t)
				t.Logf("%s: %s at %s: %s", u.id, o.status, o.step, o.err)
			}
		})
	}

	// The long outages of a real reboot or failover, under a budget that
	// covers them.
	for _, mode := range []faultproxy.Mode{faultproxy.Refuse, faultproxy.BlackHole} {
		for _, p := range paths {
			t.Run(fmt.Sprintf("%s 60s in the test step/%s", mode, p), func(t *testing.T) {
				if !soak() {
					t.Skip("soak only (CREDSTAGE_SOAK=1, make soak): a 60 s outage under a 90 s budget")
				}
				t.Parallel()
				const long, budget = 60 * time.Second, 90 * time.Second
				tag := map[faultproxy.Mode]string{faultproxy.Refuse: "longrefuse", faultproxy.BlackHole: "longhole"}[mode]
				users := pair(t, tag+"_"+string(p))
				for _, u := range users {
					u.p.SwitchOn("pg_sleep", mode)
				}
				wait := rotate(t, p, tag+"-"+string(p), users, budget, slowProbe)
				waitSwitched(t, users, "the long outages")
				time.Sleep(long)
				setPass(t, users)
				wantSucceeded(t, users, wait())
			})
		}
	}
}

// soon bounds a wait for a fault to fire: one that never does fails the
// subtest in seconds, not at the test's deadline.
func soon(ctx context.Context, t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// proxyBudget is the outage budget of the proxy faults: short, so a fault
// past it costs seconds.
const proxyBudget = 10 * time.Second

type rotationPath string

const (
	pathDirect  rotationPath = "rotatesecret"
	pathBatched rotationPath = "rotatebatch"
)

type proxyOutcome struct {
	status, step, err string
	runErr            error
}

// proxiedUser is an application secret whose endpoint is a proxy in front
// of the instance, as is its master's: every connection the worker makes
// for it goes through p.
type proxiedUser struct {
	id, role string
	master   string // the master's user name
	strategy activities.Strategy
	p        *faultproxy.Proxy
	before   labelPair // labels before the faulted rotation
}

// startupUser is how a login's startup message names its user.
func startupUser(name string) string { return "user\x00" + name + "\x00" }

// setStatement is the start of the set step's ALTER ROLE: the pending role
// is the role itself (single user, or alternating after a first rotation).
func (u *proxiedUser) setStatement() string {
	return `ALTER ROLE "` + u.role + `" PASSWORD`
}

// checkProxied fails the test when the worker's master or application
// logins bypassed the proxy.
func (u *proxiedUser) checkProxied(t *testing.T) {
	t.Helper()
	st := u.p.Stats()
	master := u.p.Seen(startupUser(u.master))
	app := u.p.Seen(startupUser(u.role)) + u.p.Seen(startupUser(u.role+"_clone"))
	if st.Forwarded == 0 || master == 0 || app == 0 {
		t.Errorf("%s: the proxy forwarded %d connections, %d master logins, %d application logins: the traffic bypassed it",
			u.id, st.Forwarded, master, app)
	}
}
