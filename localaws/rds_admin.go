package localaws

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
)

// Test controls for RDS: stop or start the database server behind an
// instance (PostgreSQL or MariaDB) without telling RDS, to simulate a
// database outage (the instance stays "available" while logins fail), and
// find an instance's cluster folder.
//
//	POST /_localaws/rds/instances/{id}/stop-db[?region=R&account=A]
//	POST /_localaws/rds/instances/{id}/start-db[?region=R&account=A]
//
// stop-postgres and start-postgres, their names from before MariaDB, are
// aliases kept for existing callers.
//
// region and account pick the instance's scope (scope.go); they default
// to the server's default Region and account.
//
// And the CA bundle every instance's certificate chains to (rds_tls.go):
//
//	GET /_localaws/rds/ca.pem

func (s *Server) registerRDSAdmin(mux *http.ServeMux) {
	handle := func(fn func(*rdsService, string) error) http.HandlerFunc {
		return func(w http.ResponseWriter, req *http.Request) {
			sc, err := s.adminScope(req)
			if err == nil {
				err = fn(sc.rds, req.PathValue("id"))
			}
			if err != nil {
				status := http.StatusConflict
				var apiErr *APIError
				if errors.As(err, &apiErr) && (apiErr.Status == http.StatusNotFound || apiErr.Status == http.StatusBadRequest) {
					status = apiErr.Status
				}
				writeAdminJSON(w, status, map[string]string{"error": err.Error()})
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}
	}
	for _, name := range []string{"db", "postgres"} {
		mux.HandleFunc("POST /_localaws/rds/instances/{id}/stop-"+name, handle((*rdsService).stopDB))
		mux.HandleFunc("POST /_localaws/rds/instances/{id}/start-"+name, handle((*rdsService).startDB))
	}
	mux.HandleFunc("GET /_localaws/rds/ca.pem", s.rds.serveCABundle)
}

// StopInstanceDB stops the database server behind a DB instance, of any
// engine, while RDS keeps reporting it available: an outage.
func (s *Server) StopInstanceDB(id string) error { return s.rds.stopDB(id) }

// StartInstanceDB ends an outage made by StopInstanceDB.
func (s *Server) StartInstanceDB(id string) error { return s.rds.startDB(id) }

// StopInstancePostgres is StopInstanceDB, by its name from before MariaDB.
func (s *Server) StopInstancePostgres(id string) error { return s.rds.stopDB(id) }

// StartInstancePostgres is StartInstanceDB, by its name from before MariaDB.
func (s *Server) StartInstancePostgres(id string) error { return s.rds.startDB(id) }

// InstanceDataDir is the cluster folder of a DB instance (its "data"
// subfolder is PGDATA or MariaDB's datadir, the server log postgres.log
// or mariadb.log).
func (s *Server) InstanceDataDir(id string) (string, error) {
	s.rds.mu.Lock()
	defer s.rds.mu.Unlock()
	in, aerr := s.rds.lookupLocked(id)
	if aerr != nil {
		return "", aerr
	}
	return filepath.Join(s.rds.env.dataDir, in.ClusterDir), nil
}

// runningTarget returns an instance whose database server should be up now.
func (r *rdsService) runningTarget(id string) (*rdsInstance, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	in, aerr := r.lookupLocked(id)
	if aerr != nil {
		return nil, aerr
	}
	if in.cluster == nil {
		return nil, errInternal(r.serverErr(in.Engine).Error())
	}
	if in.Status != statusAvailable {
		return nil, errInstanceState("DB instance " + in.Identifier + " is " + in.Status + ", not available")
	}
	return in, nil
}

func (r *rdsService) stopDB(id string) error {
	in, err := r.runningTarget(id)
	if err != nil {
		return err
	}
	in.op.Lock()
	defer in.op.Unlock()
	return in.cluster.Stop()
}

func (r *rdsService) startDB(id string) error {
	in, err := r.runningTarget(id)
	if err != nil {
		return err
	}
	in.op.Lock()
	defer in.op.Unlock()
	if err := in.cluster.Start(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	in.Port = in.cluster.Port()
	return r.saveLocked()
}

// RotateManagedMasterStaged rotates the managed master password of an
// instance up to AWS's window and stops there: the new password is the
// secret's AWSPENDING and the database's, while AWSCURRENT still holds the
// old one and the instance is resetting-master-credentials. finish makes
// the new version AWSCURRENT and the instance available again; calling it
// more than once is harmless. Tests use it to hold a rotation in the window.
func (s *Server) RotateManagedMasterStaged(id string) (finish func() error, err error) {
	return s.rds.rotateStaged(id)
}

func (r *rdsService) rotateStaged(id string) (func() error, error) {
	r.mu.Lock()
	in, aerr := r.lookupLocked(id)
	switch {
	case aerr != nil:
		r.mu.Unlock()
		return nil, aerr
	case !in.ManagedPassword:
		r.mu.Unlock()
		return nil, errCombination("RDS does not manage the master user password of " + id + ".")
	case in.Status != statusAvailable:
		r.mu.Unlock()
		return nil, errInstanceState("Instance " + id + " is not in available state.")
	}
	in.Status = statusResetting
	if err := r.saveLocked(); err != nil {
		in.Status = statusAvailable
		r.mu.Unlock()
		return nil, err
	}
	r.mu.Unlock()
	settle := func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if in.Status == statusResetting {
			in.Status = statusAvailable
			r.saveOrLog()
		}
	}
	ctx, cancel := workContext(context.Background())
	promote, err := r.stageManagedPassword(ctx, in)
	cancel()
	if err != nil {
		settle()
		return nil, err
	}
	return func() error {
		ctx, cancel := workContext(context.Background())
		defer cancel()
		defer settle()
		return promote(ctx)
	}, nil
}
