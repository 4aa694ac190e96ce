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
	"github.com/credstage/credstage/localaws/internal/pgcluster"
)

// createDBInstance validates the request, records the instance as creating
// (with the SCRAM verifier of its master password, never the plaintext),
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
	if in.Engine != engineNamePostgres {
		return nil, errInvalidValue("Invalid DB engine: " + form.Get("Engine") + " (localaws runs postgres only)")
	}
	if r.pgErr != nil {
		return nil, errInternal(r.pgErr.Error())
	}
	in.EngineVersion = r.engineVersion
	if v := form.Get("EngineVersion"); v != "" && strings.Split(v, ".")[0] != strings.Split(r.engineVersion, ".")[0] {
		return nil, errCombination("Cannot find version " + v + " for postgres (localaws runs PostgreSQL " + r.engineVersion + ")")
	}
	in.MasterUsername = form.Get("MasterUsername")
	if aerr := validateMasterUsername(in.MasterUsername); aerr != nil {
		return nil, aerr
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
		return nil, errInvalidValue("Invalid storage size for engine name postgres and storage type gp2: " + strconv.Itoa(storage))
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
	if in.ParameterGroup, aerr = r.instanceParamGroup(form); aerr != nil {
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
	verifier, err := pgcluster.SCRAMVerifier(password)
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

// newResourceID makes a DbiResourceId like db-ABCDEFGHIJKLMNOPQRSTUVWXYZ.
func newResourceID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "db-" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)[:26], nil
}
