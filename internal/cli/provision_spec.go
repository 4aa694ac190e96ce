package cli

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/internal/iampolicy"
	"github.com/credstage/credstage/internal/yamlnode"
)

// provisionSpec is the YAML form of `provision --file`. Example:
//
//	identifier: orders-staging
//	environment: staging
//	dbName: orders
//	instanceClass: db.t4g.micro   # optional
//	allocatedStorage: 20          # GiB, optional
//	tags: {team: orders}          # optional
//	users:
//	  - name: app
//	    strategy: alternating-users
//	    grants: [readwrite]
//	  - name: reporting
//	    strategy: single-user
//	    grants: [readonly]
//	    readers: [arn:aws:iam::123456789012:role/reports]   # optional
//	workerPrincipal: arn:aws:iam::123456789012:role/credstage-worker
//	cliPrincipal: arn:aws:iam::123456789012:role/credstage-cli
//	breakGlass: arn:aws:iam::123456789012:role/admin
type provisionSpec struct {
	// Identifier is the RDS DB instance identifier. Required.
	Identifier string `yaml:"identifier"`
	// Environment tags everything created and names the secrets
	// (<environment>/<identifier>/<user>). Required.
	Environment string `yaml:"environment"`
	// DBName is the database created on the instance. Required.
	DBName string `yaml:"dbName"`
	// InstanceClass defaults to db.t4g.micro.
	InstanceClass string `yaml:"instanceClass"`
	// AllocatedStorage is in GiB, default 20.
	AllocatedStorage int `yaml:"allocatedStorage"`
	// MasterUsername defaults to postgres; RDS generates its password.
	MasterUsername string `yaml:"masterUsername"`
	// EngineVersion defaults to the RDS default for PostgreSQL.
	EngineVersion string `yaml:"engineVersion"`
	// Tags are added to the instance and every secret.
	Tags map[string]string `yaml:"tags"`
	// Users are the application roles, each with its own secret.
	Users []provisionUserSpec `yaml:"users"`
	// Adopt names what may be used although credstage did not create it:
	// "instance", and "user:NAME" for a user's existing role and secret.
	// Adopted things are checked, never changed and never deleted.
	Adopt []string `yaml:"adopt"`
	// Readers may read every user's secret (beside each user's own
	// readers). A user with readers gets a resource policy on its secret
	// (iampolicy.SecretAccess), which names the three principals below.
	Readers []string `yaml:"readers"`
	// WorkerPrincipal, CLIPrincipal and BreakGlass are the roles (or
	// users) of the worker, of the CLI and of the administrator who keep
	// access to a secret with readers.
	WorkerPrincipal string `yaml:"workerPrincipal"`
	CLIPrincipal    string `yaml:"cliPrincipal"`
	BreakGlass      string `yaml:"breakGlass"`
}

type provisionUserSpec struct {
	// Name is the PostgreSQL role. Required.
	Name string `yaml:"name"`
	// Strategy is single-user or alternating-users. Default single-user.
	Strategy string `yaml:"strategy"`
	// SecretName defaults to <environment>/<identifier>/<name>.
	SecretName string `yaml:"secretName"`
	// Grants: CONNECT, readonly, readwrite, create.
	Grants []string `yaml:"grants"`
	// Readers are the roles (or users) that may read this user's secret.
	Readers []string `yaml:"readers"`
}

var (
	// RDS's rule: a letter, then letters, digits and single hyphens.
	rdsIdentifier = regexp.MustCompile(`^[a-zA-Z](?:[a-zA-Z0-9]|-[a-zA-Z0-9]){0,62}$`)
	pgIdentifier  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]{0,62}$`)
	knownGrants   = []string{"CONNECT", "readonly", "readwrite", "create"}
)

// loadProvisionSpec reads a --file, reporting errors as file:line.
func loadProvisionSpec(path string) (*provisionSpec, *yamlnode.Doc, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, badInput("cannot read %s: %v", path, err)
	}
	var s provisionSpec
	doc, err := yamlnode.Decode(path, data, &s)
	if err != nil {
		return nil, nil, err
	}
	return &s, doc, nil
}

// parseUserFlag reads --user name:strategy[:grant,grant].
func parseUserFlag(v string) (provisionUserSpec, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 1 || len(parts) > 3 || parts[0] == "" {
		return provisionUserSpec{}, badInput("--user %q: want name:strategy[:grants], e.g. app:alternating-users:readwrite", v)
	}
	u := provisionUserSpec{Name: parts[0]}
	if len(parts) > 1 {
		u.Strategy = parts[1]
	}
	if len(parts) > 2 && parts[2] != "" {
		u.Grants = strings.Split(parts[2], ",")
	}
	return u, nil
}

// request checks the spec and builds the workflow input. doc, when the
// spec came from a file, places errors on their lines.
func (s *provisionSpec) request(doc *yamlnode.Doc) (activities.ProvisionRequest, error) {
	var errs []string
	bad := func(path, flag, format string, args ...any) {
		if doc != nil {
			errs = append(errs, doc.Errorf(path, format, args...).Error())
			return
		}
		errs = append(errs, flag+": "+fmt.Sprintf(format, args...))
	}
	if !rdsIdentifier.MatchString(s.Identifier) {
		bad("identifier", "--identifier", "want an RDS identifier (a letter, then letters, digits and single hyphens, at most 63), got %q", s.Identifier)
	}
	if s.Environment == "" {
		bad("environment", "--environment", "required: the environment (staging, production, ...)")
	}
	if !pgIdentifier.MatchString(s.DBName) {
		bad("dbName", "--db-name", "want a database name (a letter or _, then letters, digits and _), got %q", s.DBName)
	}
	if s.AllocatedStorage < 0 || s.AllocatedStorage > 65536 {
		bad("allocatedStorage", "--storage", "want GiB between 20 and 65536, got %d", s.AllocatedStorage)
	}
	if len(s.Users) == 0 {
		bad("users", "--user", "at least one application user is required")
	}
	req := activities.ProvisionRequest{
		Identifier: s.Identifier, Environment: s.Environment, DBName: s.DBName,
		InstanceClass: s.InstanceClass, AllocatedStorage: int32(s.AllocatedStorage),
		MasterUsername: s.MasterUsername, EngineVersion: s.EngineVersion, Tags: s.Tags,
	}
	seen := map[string]bool{}
	for i, u := range s.Users {
		up := fmt.Sprintf("users[%d]", i)
		if !pgIdentifier.MatchString(u.Name) {
			bad(up+".name", "--user", "want a role name (a letter or _, then letters, digits and _), got %q", u.Name)
		} else if seen[u.Name] {
			bad(up+".name", "--user", "user %q listed twice", u.Name)
		}
		seen[u.Name] = true
		strategy := activities.Strategy(firstNonEmpty(u.Strategy, string(activities.StrategySingleUser)))
		if strategy != activities.StrategySingleUser && strategy != activities.StrategyAlternatingUsers {
			bad(up+".strategy", "--user", "unknown strategy %q for an application user (want single-user or alternating-users)", u.Strategy)
		}
		for j, g := range u.Grants {
			if !contains(knownGrants, g) {
				bad(fmt.Sprintf("%s.grants[%d]", up, j), "--user", "unknown grant %q (want %s)", g, strings.Join(knownGrants, ", "))
			}
		}
		req.Users = append(req.Users, activities.AppUser{Name: u.Name, Strategy: strategy, SecretName: u.SecretName, Grants: u.Grants})
	}
	for i, a := range s.Adopt {
		kind, name, _ := strings.Cut(a, ":")
		switch {
		case kind == "instance" && name == "":
			req.AdoptInstance = true
		case kind == "user" && seen[name]:
			for k := range req.Users {
				if req.Users[k].Name == name {
					req.Users[k].Adopt = true
				}
			}
		case kind == "user":
			bad(fmt.Sprintf("adopt[%d]", i), "--adopt", "%q names no user of this provisioning", a)
		default:
			bad(fmt.Sprintf("adopt[%d]", i), "--adopt", "want instance or user:NAME, got %q", a)
		}
	}
	s.access(&req, bad)
	if len(errs) > 0 {
		return req, badInput("%s", strings.Join(errs, "\n"))
	}
	return req, nil
}

// access gives every user with readers (its own or the spec's) the
// SecretAccess of its secret's resource policy. One problem shared by
// several users (a missing principal) is reported once, naming them.
func (s *provisionSpec) access(req *activities.ProvisionRequest, bad func(path, flag, format string, args ...any)) {
	var problems []string
	users := map[string][]string{}
	paths := map[string]string{}
	for i, u := range s.Users {
		readers := append(slices.Clone(u.Readers), s.Readers...)
		if len(readers) == 0 {
			continue
		}
		a := &iampolicy.SecretAccess{Readers: readers, Worker: s.WorkerPrincipal, CLI: s.CLIPrincipal, BreakGlass: s.BreakGlass}
		req.Users[i].Access = a
		if err := a.Validate(); err != nil {
			msg := err.Error()
			if users[msg] == nil {
				problems = append(problems, msg)
				paths[msg] = fmt.Sprintf("users[%d].readers", i)
			}
			users[msg] = append(users[msg], u.Name)
		}
	}
	for _, msg := range problems {
		bad(paths[msg], "user "+strings.Join(users[msg], ", "), "%s", msg)
	}
	anyReaders := slices.ContainsFunc(req.Users, func(u activities.AppUser) bool { return u.Access != nil })
	if !anyReaders && (s.WorkerPrincipal != "" || s.CLIPrincipal != "" || s.BreakGlass != "") {
		bad("workerPrincipal", "--worker-principal", "the principals name who keeps access to a secret with readers, and no user has any: give --reader, or readers: for a user")
	}
}
