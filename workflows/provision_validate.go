package workflows

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/credstage/credstage/activities"
)

// The identifier rules of RDS and PostgreSQL, checked before anything is
// created so bad input never leaves half an instance behind.
var (
	instanceIDPattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{0,62}$`)
	dbNamePattern     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)
	masterUserPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)
	// Role names stay valid identifiers with "_clone" appended.
	roleNamePattern   = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,56}$`)
	secretNamePattern = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
)

var knownGrants = []string{"connect", "readonly", "readwrite", "create"}

func validateProvisionRequest(req activities.ProvisionRequest) error {
	var p planProblems
	if !instanceIDPattern.MatchString(req.Identifier) || strings.Contains(req.Identifier, "--") || strings.HasSuffix(req.Identifier, "-") {
		p.add("identifier", "%q: 1-63 letters, digits or hyphens, starting with a letter, no double or trailing hyphen", req.Identifier)
	}
	if !namePattern.MatchString(req.Environment) {
		p.add("environment", "%q: required; letters, digits, '.', '_' and '-'", req.Environment)
	}
	if !dbNamePattern.MatchString(req.DBName) {
		p.add("dbName", "%q: 1-63 letters, digits or underscores, starting with a letter", req.DBName)
	}
	if req.MasterUsername != "" && !masterUserPattern.MatchString(req.MasterUsername) {
		p.add("masterUsername", "%q: 1-63 letters, digits or underscores, starting with a letter", req.MasterUsername)
	}
	if req.AllocatedStorage < 0 {
		p.add("allocatedStorage", "must be ≥ 0 (0 means 20 GiB), got %d", req.AllocatedStorage)
	}
	if req.WaitMinDelay < 0 || req.WaitMaxDelay < 0 || (req.WaitMaxDelay > 0 && req.WaitMinDelay > req.WaitMaxDelay) {
		p.add("waitMinDelay", "delays must be ≥ 0 with min ≤ max, got %s and %s", req.WaitMinDelay, req.WaitMaxDelay)
	}
	if len(req.Users) == 0 {
		p.add("users", "at least one application user is required")
	}
	seenUser := map[string]bool{}
	seenSecret := map[string]bool{}
	for i, u := range req.Users {
		up := "users[" + strconv.Itoa(i) + "]"
		switch {
		case !roleNamePattern.MatchString(u.Name):
			p.add(up+".name", "%q: lower-case letters, digits and underscores, at most 57", u.Name)
		case strings.HasSuffix(u.Name, "_clone"):
			p.add(up+".name", "%q: names ending in _clone are reserved for alternating clones", u.Name)
		case seenUser[u.Name]:
			p.add(up+".name", "user %q is listed twice", u.Name)
		case u.Name == orDefault(req.MasterUsername, "postgres"):
			p.add(up+".name", "%q is the master user", u.Name)
		}
		seenUser[u.Name] = true
		if u.Strategy != activities.StrategySingleUser && u.Strategy != activities.StrategyAlternatingUsers {
			p.add(up+".strategy", "%q: must be %s or %s", u.Strategy, activities.StrategySingleUser, activities.StrategyAlternatingUsers)
		}
		secret := orDefault(u.SecretName, req.Environment+"/"+req.Identifier+"/"+u.Name)
		switch {
		case u.SecretName != "" && !secretNamePattern.MatchString(u.SecretName):
			p.add(up+".secretName", "%q: 1-512 letters, digits and /_+=.@-", u.SecretName)
		case seenSecret[secret]:
			p.add(up+".secretName", "secret %q is used by another user", secret)
		}
		seenSecret[secret] = true
		for k, g := range u.Grants {
			if !containsFold(knownGrants, g) {
				p.add(up+".grants["+strconv.Itoa(k)+"]", "unknown grant %q (want CONNECT, readonly, readwrite or create)", g)
			}
		}
	}
	return p.err("provision " + req.Identifier)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
