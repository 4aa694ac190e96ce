package activities

import (
	"regexp"
	"strings"
)

// Input checks shared by the activities. They fail fast with
// ErrInvalidInput, before anything is changed.

func validateStep(step RotationStep) error {
	if strings.TrimSpace(step.SecretID) == "" {
		return invalidInput("rotation step: secretId is empty")
	}
	if n := len(step.Token); n < 32 || n > 64 {
		return invalidInput("secret %s: token must be 32-64 characters (a UUID), got %d", step.SecretID, n)
	}
	switch step.Strategy {
	case StrategySingleUser, StrategyAlternatingUsers:
		return nil
	case StrategyManagedMaster:
		return invalidInput("secret %s: strategy %s is rotated by RDS (RotateManagedMaster), not step by step", step.SecretID, step.Strategy)
	}
	return invalidInput("secret %s: unknown strategy %q", step.SecretID, step.Strategy)
}

var (
	roleNameRE     = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	instanceIDRE   = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{0,62}$`)
	databaseNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)
)

func validateInstanceID(id string) error {
	if !instanceIDRE.MatchString(id) || strings.Contains(id, "--") || strings.HasSuffix(id, "-") {
		return invalidInput("instance identifier %q: 1-63 letters, digits or hyphens, starting with a letter, no double or trailing hyphen", id)
	}
	return nil
}

func validateDBName(name string) error {
	if !databaseNameRE.MatchString(name) {
		return invalidInput("database name %q: 1-63 letters, digits or underscores, starting with a letter", name)
	}
	return nil
}

// validateAppUser checks a user to provision: a lower-case name that stays
// a valid identifier with _clone appended (alternating users need it).
func validateAppUser(u AppUser) error {
	if !roleNameRE.MatchString(u.Name) || len(u.Name)+len(cloneSuffix) > maxIdentLen {
		return invalidInput("user %q: lower-case letters, digits and underscores, at most %d characters", u.Name, maxIdentLen-len(cloneSuffix))
	}
	if strings.HasSuffix(u.Name, cloneSuffix) {
		return invalidInput("user %q: names ending in %s are reserved for alternating clones", u.Name, cloneSuffix)
	}
	if u.Strategy != StrategySingleUser && u.Strategy != StrategyAlternatingUsers {
		return invalidInput("user %q: strategy must be %s or %s", u.Name, StrategySingleUser, StrategyAlternatingUsers)
	}
	if _, err := parseGrants(u.Grants); err != nil {
		return invalidInput("user %q: %v", u.Name, err)
	}
	if u.Access != nil {
		if err := u.Access.Validate(); err != nil {
			return invalidInput("user %q: resource policy of its secret: %v", u.Name, err)
		}
	}
	return nil
}
