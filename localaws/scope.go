package localaws

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
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

// scopesDir is the folder, under DataDir, of every non-default scope.
const scopesDir = "regions"

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
