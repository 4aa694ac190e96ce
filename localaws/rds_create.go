package localaws

import (
	"crypto/rand"
	"encoding/base32"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/credstage/credstage/localaws/internal/dbhost"
)

// createDBInstance validates the request, records the instance as creating
// (with the hash of its master password, never the plaintext),
// creates the managed secret if asked, and starts the cluster work in the
// background, so the first DescribeDBInstances sees "creating" as on AWS.
func (r *rdsService) createDBInstance(form url.Values) (any, error) {
	id, aerr := instanceIdentifier(form, "DBInstanceIdentifier")
	if aerr != nil {
		return nil, aerr
	}
	in := &rdsInstance{Identifier: id, Status: statusCreating, op: &sync.Mutex{},
		ClusterDir: filepath.Join("rds", id), CreateTime: time.Now().UTC()}
	if in.InstanceClass = form.Get("DBInstanceClass"); in.InstanceClass == "" {
		return nil, errMissing("DBInstanceClass")
	}
	if in.Engine = strings.ToLower(form.Get("Engine")); in.Engine == "" {
		return nil, errMissing("Engine")
	}
	engine, known := engines[in.Engine]
	if !known {
		return nil, errInvalidValue("Invalid DB engine: " + form.Get("Engine") + " (localaws runs postgres, mariadb and mysql only)")
	}
	if err := r.serverErr(in.Engine); err != nil {
		return nil, errInternal(err.Error())
	}
	in.EngineVersion = r.engineVersionOf(in.Engine)
	if v := form.Get("EngineVersion"); v != "" && !sameMajor(in.Engine, v, in.EngineVersion) {
		return nil, errCombination("Cannot find version " + v + " for " + in.Engine + " (localaws runs " + engine.server + " " + in.EngineVersion + ")")
	}
	in.MasterUsername = form.Get("MasterUsername")
	if aerr := validateMasterUsername(in.MasterUsername); aerr != nil {
		return nil, aerr
	}
	if len(in.MasterUsername) > engine.maxMasterUser {
		return nil, errInvalidValue("MasterUsername " + in.MasterUsername + " is not valid: it must be 1 to " + strconv.Itoa(engine.maxMasterUser) + " letters, digits or underscores for " + in.Engine + ".")
	}
	password := form.Get("MasterUserPassword")
	manage, _, aerr := boolParam(form, "ManageMasterUserPassword")
	if aerr != nil {
		return nil, aerr
	}
	switch {
	case manage && password != "":
		return nil, errCombination("You can't specify MasterUserPassword when ManageMasterUserPassword is turned on.")
	case !manage && password == "":
		return nil, errCombination("Specify MasterUserPassword, or set ManageMasterUserPassword to have RDS manage the master user password in Secrets Manager.")
	case !manage:
		if aerr := validateMasterPassword(password); aerr != nil {
			return nil, aerr
		}
	}
	if in.DBName = form.Get("DBName"); in.DBName != "" {
		if aerr := validateDBName(in.DBName); aerr != nil {
			return nil, aerr
		}
	}
	storage, set, aerr := intParam(form, "AllocatedStorage")
	if aerr != nil {
		return nil, aerr
	}
	if !set {
		storage = 20
	}
	if storage < 20 || storage > 65536 {
		return nil, errInvalidValue("Invalid storage size for engine name " + in.Engine + " and storage type gp2: " + strconv.Itoa(storage))
	}
	in.AllocatedStorage = storage
	if in.DeletionProtection, _, aerr = boolParam(form, "DeletionProtection"); aerr != nil {
		return nil, aerr
	}
	// Nothing is encrypted here, but a client that asked for encryption
	// reads back that it has it, as on AWS.
	if in.StorageEncrypted, _, aerr = boolParam(form, "StorageEncrypted"); aerr != nil {
		return nil, aerr
	}
	if in.Tags, aerr = tagsParam(form, "Tags"); aerr != nil {
		return nil, aerr
	}
	if in.ParameterGroup, aerr = r.instanceParamGroup(form, in.Engine); aerr != nil {
		return nil, aerr
	}
	port, portSet, aerr := intParam(form, "Port")
	if aerr != nil {
		return nil, aerr
	}
	if portSet && (port < 1150 || port > 65535) {
		return nil, errInvalidValue("Invalid port " + strconv.Itoa(port) + ": must be between 1150 and 65535")
	}
	if rid, err := newResourceID(); err != nil {
		return nil, err
	} else {
		in.ResourceID = rid
	}
	if manage {
		in.ManagedPassword = true
		if in.SecretKMSKeyID = form.Get("MasterUserSecretKmsKeyId"); in.SecretKMSKeyID == "" {
			in.SecretKMSKeyID = r.defaultSecretKMSKey()
		}
		var err error
		if password, err = generateMasterPassword(); err != nil {
			return nil, err
		}
	}
	verifier, err := engine.hashPassword(password)
	if err != nil {
		return nil, err
	}
	in.PendingVerifier = verifier

	r.mu.Lock()
	if _, exists := r.instances[id]; exists {
		r.mu.Unlock()
		return nil, errBadRequest("DBInstanceAlreadyExists", "DB instance already exists")
	}
	if in.Port, aerr = r.pickPortLocked(port, portSet); aerr != nil {
		r.mu.Unlock()
		return nil, aerr
	}
	if in.cluster, err = r.newCluster(in); err != nil {
		r.mu.Unlock()
		return nil, errInternal(err.Error())
	}
	r.instances[id] = in
	if err := r.saveLocked(); err != nil {
		delete(r.instances, id)
		r.mu.Unlock()
		return nil, err
	}
	r.mu.Unlock()

	// The secret is made after the record exists: a crash in between
	// leaves a creating instance without SecretARN, for which recovery
	// makes a secret with a fresh password.
	if manage {
		arn, err := r.createMasterSecret(id, in.MasterUsername, password)
		r.mu.Lock()
		if err != nil {
			delete(r.instances, id)
			r.saveOrLog()
			r.mu.Unlock()
			return nil, err
		}
		in.SecretARN = arn
		r.saveOrLog()
		r.mu.Unlock()
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.asyncLocked(func() { r.provision(in) }); err != nil {
		return nil, err
	}
	return singleInstanceResult{DBInstance: r.view(in)}, nil
}

// pickPortLocked returns the requested port if it is free and no other
// instance has it, or a free port no instance uses (a stopped instance's
// port is free in the kernel but still its own).
func (r *rdsService) pickPortLocked(port int, requested bool) (int, *APIError) {
	used := map[int]bool{}
	for _, other := range r.instances {
		used[other.Port] = true
	}
	if requested {
		if used[port] || r.env.ports.heldByOther(port, r) || !dbhost.PortFree(port) {
			return 0, errInvalidValue("Port " + strconv.Itoa(port) + " is already in use on this machine; omit Port to get a free one")
		}
		r.env.ports.claim(port, r)
		return port, nil
	}
	for range 50 {
		p, err := dbhost.FreePort()
		if err != nil {
			return 0, errInternal("no free port: " + err.Error())
		}
		if !used[p] && !r.env.ports.heldByOther(p, r) {
			r.env.ports.claim(p, r)
			return p, nil
		}
	}
	return 0, errInternal("no free port found")
}

// sameMajor reports whether a requested EngineVersion names the major
// version localaws runs: 15 for PostgreSQL 15.x, 10.11 for MariaDB
// 10.11.x, 8.0 for MySQL 8.0.x.
func sameMajor(engine, requested, running string) bool {
	parts := 1
	if engine != engineNamePostgres {
		parts = 2
	}
	major := func(v string) string {
		p := strings.Split(v, ".")
		if len(p) > parts {
			p = p[:parts]
		}
		return strings.Join(p, ".")
	}
	return major(requested) == major(running)
}

// newResourceID makes a DbiResourceId like db-ABCDEFGHIJKLMNOPQRSTUVWXYZ.
func newResourceID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "db-" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)[:26], nil
}
