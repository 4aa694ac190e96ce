package localaws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// Options configure an emulator.
type Options struct {
	// Addr is the listen address; "127.0.0.1:0" picks a free port.
	Addr string
	// DataDir holds the state that survives a restart and the PostgreSQL
	// clusters. Required unless Ephemeral is set.
	DataDir string
	// Ephemeral keeps all state in a temporary folder removed by Close.
	Ephemeral bool
	// Logger receives one line per request (never a secret value).
	Logger *slog.Logger
	// PGBinDir is where initdb and pg_ctl live; empty means discover them
	// (CREDSTAGE_PG_BINDIR, pg_config --bindir, the Debian path).
	PGBinDir string
	// PGUser is the unprivileged OS user that owns the clusters when the
	// emulator runs as root (PostgreSQL refuses root). Default "postgres".
	PGUser string
	// MariaDBBinDir is where mariadbd lives; empty means discover it
	// (CREDSTAGE_MARIADB_BINDIR, PATH, /usr/sbin, /usr/bin).
	MariaDBBinDir string
	// MariaDBUser is the unprivileged OS user that owns the MariaDB
	// servers behind mariadb and mysql instances when the emulator runs as
	// root (MariaDB refuses root). Default "mysql".
	MariaDBUser string
	// Region is the default Region, that of a call signed for none;
	// default us-east-1. AccountID is the account of every call when IAM
	// is not enforced, and the default account of IAM principals; default
	// 000000000000. Each account and Region has its own state (scope.go).
	Region    string
	AccountID string
	// IAM, when set, enforces IAM as AWS does: every AWS call must carry a
	// valid SigV4 signature by one of its principals and be allowed by
	// that principal's policies (and a secret's resource policy). Nil
	// accepts every call, signed or not.
	IAM *IAMConfig
	// Quotas, when set, enforces AWS's request rates per account and
	// Region (quota mode): a call over its quota family's rate is answered
	// with its service's throttling error and reaches no service. Nil
	// never throttles; &QuotaConfig{} is AWS's published table.
	Quotas *QuotaConfig
	// TrailEvents is how many CloudTrail events (one per AWS call) are
	// kept in memory for LookupEvents, the oldest dropped first. 0 means
	// 10,000.
	TrailEvents int
}

// env is what every service needs from the server: naming, storage, logging.
type env struct {
	region    string
	accountID string
	dataDir   string
	// rootDir is DataDir, where the RDS CA every scope's instances chain
	// to lives (one CA, so one bundle trusts every Region's instances).
	rootDir string
	// ports is shared by every scope's RDS (rds_ports.go).
	ports    *rdsPorts
	logger   *slog.Logger
	pgBinDir string
	pgUser   string
	myBinDir string
	myUser   string
}

// Server is a running emulator: an http.Handler plus the services' state.
type Server struct {
	opts     Options
	env      *env
	faults   *Faults
	requests *RequestLog
	trail    *ctTrail
	scopes   *scopes
	// sm, rds and cw are the default account and Region's services, the
	// ones the Go API (StopInstancePostgres, ...) acts on.
	sm     *secretsManager
	rds    *rdsService
	cw     *cloudWatch
	iam    *iamEnforcer  // nil when IAM is not enforced
	quotas *quotaLimiter // nil when quotas are not enforced
	admin  *http.ServeMux

	listener net.Listener
	http     *http.Server
	tempDir  string
}

// New loads the state under DataDir (or makes an ephemeral one) and brings
// back the instances that were available. It does not listen yet: call
// Start, or use the Server as an http.Handler.
func New(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:4566"
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.AccountID == "" {
		opts.AccountID = DefaultAccountID
	}
	if err := ValidateAccountID(opts.AccountID); err != nil {
		return nil, fmt.Errorf("localaws: %w", err)
	}
	if !validRegion(opts.Region) {
		return nil, fmt.Errorf("localaws: Region %q is not an AWS Region name, like us-east-1", opts.Region)
	}
	if opts.PGUser == "" {
		opts.PGUser = "postgres"
	}
	if opts.MariaDBUser == "" {
		opts.MariaDBUser = "mysql"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	s := &Server{opts: opts, faults: newFaults(), requests: newRequestLog(), trail: newCTTrail(opts.TrailEvents), admin: http.NewServeMux()}
	if opts.IAM != nil {
		enforcer, err := newIAMEnforcer(opts.IAM)
		if err != nil {
			return nil, fmt.Errorf("localaws: IAM config: %w", err)
		}
		s.iam = enforcer
	}
	if opts.Quotas != nil {
		limiter, err := newQuotaLimiter(opts.Quotas)
		if err != nil {
			return nil, fmt.Errorf("localaws: quota config: %w", err)
		}
		s.quotas = limiter
	}
	dataDir := opts.DataDir
	if opts.Ephemeral {
		dir, err := os.MkdirTemp("", "localaws-")
		if err != nil {
			return nil, fmt.Errorf("localaws: make ephemeral data dir: %w", err)
		}
		s.tempDir, dataDir = dir, dir
	}
	if dataDir == "" {
		return nil, errors.New("localaws: DataDir is required unless Ephemeral is set")
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("localaws: make data dir %s: %w", dataDir, err)
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	s.env = &env{region: opts.Region, accountID: opts.AccountID, dataDir: abs, rootDir: abs,
		ports: newRDSPorts(), logger: opts.Logger, pgBinDir: opts.PGBinDir, pgUser: opts.PGUser,
		myBinDir: opts.MariaDBBinDir, myUser: opts.MariaDBUser}

	s.scopes = &scopes{root: s.env, byKey: map[scopeKey]*scope{}}
	root, err := s.scopes.get(s.scopes.rootKey())
	if err != nil {
		return nil, s.failNew(err)
	}
	s.sm, s.rds, s.cw = root.sm, root.rds, root.cw
	if err := s.scopes.loadSaved(); err != nil {
		return nil, s.failNew(err)
	}
	s.registerAdmin()
	return s, nil
}

func (s *Server) failNew(err error) error {
	_ = s.closeServices()
	if s.tempDir != "" {
		_ = os.RemoveAll(s.tempDir)
	}
	return err
}

// Start listens on Options.Addr and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("localaws: listen on %s: %w", s.opts.Addr, err)
	}
	s.listener = ln
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.http.Serve(ln) }()
	return nil
}

// URL is the endpoint to put in AWS_ENDPOINT_URL.
func (s *Server) URL() string {
	if s.listener == nil {
		return ""
	}
	return "http://" + s.listener.Addr().String()
}

// Faults is the fault-injection control for tests.
func (s *Server) Faults() *Faults { return s.faults }

// Requests is the log of every AWS call served.
func (s *Server) Requests() *RequestLog { return s.requests }

// Close stops serving, stops every PostgreSQL cluster (state stays on disk
// unless the server is ephemeral, in which case everything is removed).
func (s *Server) Close() error {
	var errs []error
	if s.http != nil {
		// Idle keep-alive connections that never sent a request would hold
		// Shutdown until its deadline; after a short grace, close them.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := s.http.Shutdown(ctx); err != nil {
			_ = s.http.Close()
		}
		cancel()
	}
	errs = append(errs, s.closeServices())
	if s.tempDir != "" {
		errs = append(errs, os.RemoveAll(s.tempDir))
	}
	return errors.Join(errs...)
}

func (s *Server) closeServices() error {
	if s.scopes == nil {
		return nil
	}
	return s.scopes.closeAll()
}
