package localaws

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// AWS keeps every account's state, in every Region, apart: a secret made
// through a us-west-2 client is not the one of the same name in
// us-east-1, and each has its own ARN. localaws does the same by giving
// each (account, Region) pair its own services — a scope — so every
// service keeps one account and Region's state, as it always did, and
// builds its ARNs from its env.
//
// The default scope (Options.AccountID, Options.Region) keeps its state in
// DataDir itself, so state written before scopes existed loads into it;
// every other scope lives under DataDir/regions/<account>/<region>/ and
// is loaded at start (its instances come back) or made on its first call.

// DefaultAccountID is the account localaws answers for when IAM is not
// enforced, the one LocalStack users know.
const DefaultAccountID = "000000000000"

// DefaultRegion is the Region of a call that names none (unsigned).
const DefaultRegion = "us-east-1"

// scopesDir is the folder, under DataDir, of every non-default scope.
const scopesDir = "regions"

// regionPattern is the shape of every AWS Region name (us-east-1,
// us-gov-west-1, ap-southeast-4); it also keeps a client-chosen Region
// from naming a path outside the data folder.
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)

// validRegion reports whether name could be an AWS Region.
func validRegion(name string) bool { return len(name) <= 32 && regionPattern.MatchString(name) }

// ValidateAccountID explains what is wrong with an account id (AWS's are
// 12 digits), for Options.AccountID and --account-id.
func ValidateAccountID(id string) error {
	if !isAccountID(id) {
		return fmt.Errorf("account id %q must be 12 digits, like 000000000000", id)
	}
	return nil
}

// scopeKey names one account and Region.
type scopeKey struct{ account, region string }

// scope is one account and Region's services.
type scope struct {
	env *env
	sm  *secretsManager
	rds *rdsService
	cw  *cloudWatch
}

// scopes holds every scope made so far. Services are never removed: an
// RDS instance's cluster runs until Close.
type scopes struct {
	root *env // the default scope's; its dataDir is DataDir

	mu     sync.Mutex
	byKey  map[scopeKey]*scope
	closed bool
}

// newScope starts the services of one account and Region on e.
func newScope(e *env) (*scope, error) {
	sc := &scope{env: e}
	var err error
	if sc.sm, err = newSecretsManager(e); err != nil {
		return nil, err
	}
	if sc.cw, err = newCloudWatch(e); err != nil {
		return sc, err
	}
	if sc.rds, err = newRDS(e, sc.sm); err != nil {
		return sc, err
	}
	return sc, nil
}

func (sc *scope) close() error {
	var errs []error
	if sc.rds != nil {
		errs = append(errs, sc.rds.close())
	}
	if sc.cw != nil {
		errs = append(errs, sc.cw.close())
	}
	if sc.sm != nil {
		errs = append(errs, sc.sm.close())
	}
	return errors.Join(errs...)
}

// envFor is the env of a scope: the root's naming changed, its own folder.
func (ss *scopes) envFor(k scopeKey) *env {
	e := *ss.root
	e.accountID, e.region = k.account, k.region
	if k != ss.rootKey() {
		e.dataDir = filepath.Join(ss.root.dataDir, scopesDir, k.account, k.region)
	}
	return &e
}

func (ss *scopes) rootKey() scopeKey {
	return scopeKey{account: ss.root.accountID, region: ss.root.region}
}

// get returns the scope of k, making (or loading) it on first use.
func (ss *scopes) get(k scopeKey) (*scope, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if sc := ss.byKey[k]; sc != nil {
		return sc, nil
	}
	if ss.closed {
		return nil, errInternal("localaws is shutting down")
	}
	if !isAccountID(k.account) || !validRegion(k.region) {
		return nil, errInternal(fmt.Sprintf("no scope for account %q, Region %q", k.account, k.region))
	}
	e := ss.envFor(k)
	if err := os.MkdirAll(e.dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("localaws: make data dir %s: %w", e.dataDir, err)
	}
	sc, err := newScope(e)
	if err != nil {
		if sc != nil {
			_ = sc.close()
		}
		return nil, fmt.Errorf("localaws: state of account %s, Region %s: %w", k.account, k.region, err)
	}
	ss.byKey[k] = sc
	return sc, nil
}

// loadSaved brings back every scope a previous run left under
// DataDir/regions, so their instances run again without waiting for a call.
func (ss *scopes) loadSaved() error {
	accounts, err := os.ReadDir(filepath.Join(ss.root.dataDir, scopesDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, a := range accounts {
		if !a.IsDir() || !isAccountID(a.Name()) {
			continue
		}
		regions, err := os.ReadDir(filepath.Join(ss.root.dataDir, scopesDir, a.Name()))
		if err != nil {
			return err
		}
		for _, r := range regions {
			if r.IsDir() && validRegion(r.Name()) {
				if _, err := ss.get(scopeKey{account: a.Name(), region: r.Name()}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// all lists the scopes made so far, the default one first.
func (ss *scopes) all() []*scope {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	keys := make([]scopeKey, 0, len(ss.byKey))
	for k := range ss.byKey {
		keys = append(keys, k)
	}
	root := ss.rootKey()
	sort.Slice(keys, func(i, j int) bool {
		if (keys[i] == root) != (keys[j] == root) {
			return keys[i] == root
		}
		return keys[i].account+"/"+keys[i].region < keys[j].account+"/"+keys[j].region
	})
	out := make([]*scope, len(keys))
	for i, k := range keys {
		out[i] = ss.byKey[k]
	}
	return out
}

// closeAll stops every scope's services; no scope is made afterwards.
func (ss *scopes) closeAll() error {
	ss.mu.Lock()
	ss.closed = true
	ss.mu.Unlock()
	var errs []error
	for _, sc := range ss.all() {
		errs = append(errs, sc.close())
	}
	return errors.Join(errs...)
}

// callScope is the one place that picks a call's account and Region: the
// credential scope's Region (the default one when unsigned) and the
// authenticated principal's account (the default one when IAM is not
// enforced). Quotas, CloudTrail events and IAM's aws:RequestedRegion all
// use it.
func (s *Server) callScope(c *Call) scopeKey {
	k := scopeKey{account: c.account, region: c.Region}
	if k.account == "" {
		k.account = s.env.accountID
	}
	if k.region == "" {
		k.region = s.env.region
	}
	return k
}

// stateScope is where the state a call reads or changes lives: its own
// scope, except that dashboards are global (one set per account, whatever
// the Region), and that a secret named by the ARN of another account in
// the call's Region is that account's (cross-account access through a
// resource policy, which IAM checks; without IAM no other account has
// state, and the ARN is not found in the caller's). An ARN of another
// Region is looked up in the call's scope, where it names nothing, as on
// AWS.
func (s *Server) stateScope(c *Call) scopeKey {
	k := s.callScope(c)
	switch {
	case c.Service == svcCloudWatch && strings.Contains(c.Op, "Dashboard"):
		k.region = s.env.region
	case c.Service == svcSecretsManager && s.iam != nil:
		if account, region, ok := arnAccountRegion(c.Resource, svcSecretsManager); ok && region == k.region {
			k.account = account
		}
	}
	return k
}

// scopeOf returns the services that serve c.
func (s *Server) scopeOf(c *Call) (*scope, error) { return s.scopes.get(s.stateScope(c)) }

// arnAccountRegion splits arn:aws:<service>:<region>:<account>:...
func arnAccountRegion(arn, service string) (account, region string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != service || !isAccountID(parts[4]) {
		return "", "", false
	}
	return parts[4], parts[3], true
}

// arn is the one place ARNs are built: every resource names its scope's
// Region and account.
func (e *env) arn(service, resource string) string {
	return "arn:aws:" + service + ":" + e.region + ":" + e.accountID + ":" + resource
}

// globalARN is the ARN of a resource that is one per account, not per
// Region (a dashboard): the Region field is empty.
func (e *env) globalARN(service, resource string) string {
	return "arn:aws:" + service + "::" + e.accountID + ":" + resource
}

// checkCallRegion refuses a call signed for a Region no AWS Region is
// named like, as AWS does (IAM's checkScope says the same when enforced).
func checkCallRegion(c *Call) *APIError {
	if c.Region == "" || validRegion(c.Region) {
		return nil
	}
	return iamError(c, failSignature, fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", truncate(c.Region, 32)))
}

// adminScope is the scope an admin endpoint names with its query
// parameters region and account, each defaulting to the server's. An
// unknown pair is an empty scope, where every resource is not found.
func (s *Server) adminScope(r *http.Request) (*scope, error) {
	k := scopeKey{account: r.URL.Query().Get("account"), region: r.URL.Query().Get("region")}
	if k.account == "" {
		k.account = s.env.accountID
	}
	if k.region == "" {
		k.region = s.env.region
	}
	if err := ValidateAccountID(k.account); err != nil {
		return nil, errBadRequest("InvalidParameterValue", err.Error())
	}
	if !validRegion(k.region) {
		return nil, errBadRequest("InvalidParameterValue", fmt.Sprintf("region %q is not an AWS Region name, like us-east-1", k.region))
	}
	return s.scopes.get(k)
}
