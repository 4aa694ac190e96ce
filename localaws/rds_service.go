package localaws

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/credstage/credstage/localaws/internal/mycluster"
	"github.com/credstage/credstage/localaws/internal/pgcluster"
)

// rdsService emulates Amazon RDS for PostgreSQL, MariaDB and MySQL on the
// awsQuery protocol. Every DB instance is a real database server on its own
// 127.0.0.1 port (internal/pgcluster's PostgreSQL, internal/mycluster's
// MariaDB, rds_engines.go); instance records live in <dataDir>/rds.json,
// written after every change and before the cluster work that change
// starts, so a restart can finish or redo whatever was in flight (see
// rds_recover.go).
type rdsService struct {
	env *env
	sm  *secretsManager

	// pgOpts configure every cluster; pgErr is set when PostgreSQL cannot
	// be used here (no binaries, no unprivileged user): instance operations
	// then fail with that message while the other services keep working.
	pgOpts        pgcluster.Options
	pgErr         error
	engineVersion string
	// myOpts, myErr and mariadbVersion are the same for MariaDB, which
	// serves the mariadb and mysql engines.
	myOpts         mycluster.Options
	myErr          error
	mariadbVersion string
	// ca issues every instance's server certificate; caPath is its bundle.
	ca     *rdsCA
	caPath string

	// mu guards everything below it and the fields of every instance.
	mu          sync.Mutex
	instances   map[string]*rdsInstance
	paramGroups map[string]*rdsParamGroup
	closed      bool
	// Durations of the transient statuses: long enough for a poller to see
	// them, short enough for tests. Tests in this package shorten them.
	backupDelay time.Duration // backing-up after creating
	settleDelay time.Duration // modifying / resetting-master-credentials
	// minPageSize is the smallest MaxRecords accepted (20 on AWS).
	minPageSize int

	// bg tracks the goroutines doing cluster work; ctx ends their waits.
	bg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

func newRDS(e *env, sm *secretsManager) (*rdsService, error) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &rdsService{env: e, sm: sm, instances: map[string]*rdsInstance{}, paramGroups: map[string]*rdsParamGroup{},
		backupDelay: 500 * time.Millisecond, settleDelay: 500 * time.Millisecond, minPageSize: 20,
		ctx: ctx, cancel: cancel}
	r.pgOpts = pgcluster.Options{RunAs: e.pgUser, OwnRoot: e.rootDir, Logger: e.logger}
	if bin, err := pgcluster.FindBinDir(e.pgBinDir); err != nil {
		r.pgErr = err
	} else if v, err := pgcluster.Version(bin); err != nil {
		r.pgErr = err
	} else {
		r.pgOpts.BinDir, r.engineVersion = bin, v
	}
	r.myOpts = mycluster.Options{BinDir: e.myBinDir, RunAs: e.myUser, OwnRoot: e.rootDir, Logger: e.logger}
	if bins, err := mycluster.FindBinaries(e.myBinDir); err != nil {
		r.myErr = err
	} else if v, err := mycluster.Version(bins.Server); err != nil {
		r.myErr = err
	} else {
		r.mariadbVersion = v
	}
	ca, err := loadOrCreateCA(e.rootDir)
	if err != nil {
		cancel()
		return nil, err
	}
	r.ca, r.caPath = ca, filepath.Join(e.rootDir, CABundleFile)
	if err := r.load(); err != nil {
		cancel()
		return nil, err
	}
	return r, nil
}

func (r *rdsService) statePath() string { return filepath.Join(r.env.dataDir, "rds.json") }

func (r *rdsService) handle(ctx context.Context, c *Call) (any, error) {
	switch c.Op {
	case "CreateDBInstance":
		return r.createDBInstance(c.Form)
	case "DescribeDBInstances":
		return r.describeDBInstances(c.Form)
	case "ModifyDBInstance":
		return r.modifyDBInstance(ctx, c.Form)
	case "DeleteDBInstance":
		return r.deleteDBInstance(c.Form)
	case "StopDBInstance":
		return r.stopDBInstance(c.Form)
	case "StartDBInstance":
		return r.startDBInstance(c.Form)
	case "RebootDBInstance":
		return r.rebootDBInstance(c.Form)
	case "AddTagsToResource":
		return r.addTagsToResource(c.Form)
	case "ListTagsForResource":
		return r.listTagsForResource(c.Form)
	case "RemoveTagsFromResource":
		return r.removeTagsFromResource(c.Form)
	case "CreateDBParameterGroup":
		return r.createDBParameterGroup(c.Form)
	case "ModifyDBParameterGroup":
		return r.modifyDBParameterGroup(c.Form)
	case "DeleteDBParameterGroup":
		return r.deleteDBParameterGroup(c.Form)
	case "DescribeDBParameterGroups":
		return r.describeDBParameterGroups(c.Form)
	case "DescribeDBParameters":
		return r.describeDBParameters(c.Form)
	}
	return nil, unknownOperation(c)
}

// close waits for in-flight cluster work (its waits are cut short), then
// stops every cluster. State stays on disk: instances that were available
// come back on the next start.
func (r *rdsService) close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.bg.Wait()

	r.mu.Lock()
	var clusters []dbServer
	for _, in := range r.instances {
		if in.cluster != nil {
			clusters = append(clusters, in.cluster)
		}
	}
	r.mu.Unlock()
	var (
		wg   sync.WaitGroup
		emu  sync.Mutex
		errs []error
	)
	for _, c := range clusters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Stop(); err != nil {
				emu.Lock()
				errs = append(errs, err)
				emu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// saveLocked writes rds.json; the caller holds r.mu.
func (r *rdsService) saveLocked() error {
	st := rdsState{Instances: make([]*rdsInstance, 0, len(r.instances))}
	for _, id := range r.sortedIDsLocked() {
		st.Instances = append(st.Instances, r.instances[id])
	}
	for _, name := range slices.Sorted(maps.Keys(r.paramGroups)) {
		st.ParameterGroups = append(st.ParameterGroups, r.paramGroups[name])
	}
	if err := saveJSON(r.statePath(), st); err != nil {
		return fmt.Errorf("rds: save state: %w", err)
	}
	return nil
}

// saveOrLog is for background work, where no caller can receive the error.
func (r *rdsService) saveOrLog() {
	if err := r.saveLocked(); err != nil {
		r.env.logger.Error("localaws: rds state not saved", "err", err)
	}
}

func (r *rdsService) sortedIDsLocked() []string {
	ids := make([]string, 0, len(r.instances))
	for id := range r.instances {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func errInstanceNotFound(id string) *APIError {
	return errNotFound("DBInstanceNotFound", "DBInstance "+id+" not found.")
}

func errInstanceState(msg string) *APIError { return errBadRequest("InvalidDBInstanceState", msg) }

// lookupLocked finds an instance by identifier or ARN.
func (r *rdsService) lookupLocked(idOrARN string) (*rdsInstance, *APIError) {
	id, err := r.instanceID(idOrARN)
	if err != nil {
		return nil, err
	}
	in, ok := r.instances[id]
	if !ok {
		return nil, errInstanceNotFound(idOrARN)
	}
	return in, nil
}

// instanceID resolves how a call names an instance, its identifier (in
// any case) or its ARN, to the identifier it is stored under. Authorization
// and the operations both resolve through it, so a policy is evaluated on
// the instance the call acts on, however its name is spelt.
func (r *rdsService) instanceID(idOrARN string) (string, *APIError) {
	if !strings.HasPrefix(idOrARN, "arn:") {
		return strings.ToLower(idOrARN), nil
	}
	return r.idFromARN(idOrARN)
}

// idFromARN extracts the identifier of arn:aws:rds:<region>:<account>:db:<id>.
// An ARN of another region or account names no instance of this one.
func (r *rdsService) idFromARN(arn string) (string, *APIError) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "rds" || parts[6] == "" {
		return "", errInvalidValue("Invalid resource name: " + arn)
	}
	if parts[5] != "db" {
		return "", errInvalidValue("localaws supports DB instance resources only: " + arn)
	}
	if parts[1] != "aws" || parts[3] != r.env.region || parts[4] != r.env.accountID {
		return "", errInstanceNotFound(arn)
	}
	return strings.ToLower(parts[6]), nil
}

// async runs cluster work in the background, tracked so close can wait.
// It refuses once the service is closing; caller holds r.mu.
func (r *rdsService) asyncLocked(fn func()) error {
	if r.closed {
		return errInternal("localaws is shutting down")
	}
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		fn()
	}()
	return nil
}

// sleep waits d, or less when the service is closing.
func (r *rdsService) sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.ctx.Done():
	}
}

// settleLocked moves an instance from a transient status back to available
// after settleDelay, unless something else changed the status meanwhile.
// If the process dies first, recovery does the same.
func (r *rdsService) settleLocked(in *rdsInstance, from string) {
	delay := r.settleDelay
	_ = r.asyncLocked(func() {
		r.sleep(delay)
		r.mu.Lock()
		defer r.mu.Unlock()
		if in.Status == from {
			in.Status = statusAvailable
			r.saveOrLog()
		}
	})
}

// newCluster makes the handle for an instance's server folder, of the
// server its engine runs on.
func (r *rdsService) newCluster(in *rdsInstance) (dbServer, error) {
	if err := r.serverErr(in.Engine); err != nil {
		return nil, err
	}
	sec, err := r.securityLocked(in)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(r.env.dataDir, in.ClusterDir)
	if engineOf(in.Engine).usesPostgres {
		opts := r.pgOpts
		opts.Security = pgcluster.Security{CertPEM: sec.CertPEM, KeyPEM: sec.KeyPEM, ForceSSL: sec.ForceSSL, HostAuth: sec.HostAuth}
		c, err := pgcluster.New(dir, in.Port, opts)
		if err != nil {
			return nil, err
		}
		return pgServer{c}, nil
	}
	opts := r.myOpts
	opts.Security = mycluster.Security{CertPEM: sec.CertPEM, KeyPEM: sec.KeyPEM, ForceSSL: sec.ForceSSL}
	c, err := mycluster.New(dir, in.Port, opts)
	if err != nil {
		return nil, err
	}
	return myServer{c}, nil
}

// workContext bounds synchronous cluster work started by a request. It is
// detached from the request: a client that hangs up must not leave a
// password change half-applied.
func workContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}
