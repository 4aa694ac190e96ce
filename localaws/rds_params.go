package localaws

import (
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Parsing and validation of awsQuery parameters. aws-sdk-go-v2 flattens a
// list as <Name>.<member>.<n>, where <member> is the model's XML name of
// the list member (Tags.Tag.1.Key, Filters.Filter.1.Values.Value.1) or
// "member" when it has none (TagKeys.member.1); other clients send
// "member" everywhere, so both spellings are accepted.

func errMissing(name string) *APIError {
	return errBadRequest("MissingParameter", "The request must contain the parameter "+name)
}

func errInvalidValue(msg string) *APIError { return errBadRequest("InvalidParameterValue", msg) }

func errCombination(msg string) *APIError { return errBadRequest("InvalidParameterCombination", msg) }

// boolParam reads an optional boolean; set tells whether it was given.
func boolParam(form url.Values, name string) (value, set bool, err *APIError) {
	raw, ok := form[name]
	if !ok || len(raw) == 0 || raw[0] == "" {
		return false, false, nil
	}
	switch strings.ToLower(raw[0]) {
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	}
	return false, false, errInvalidValue("Invalid boolean value for " + name + ": " + raw[0])
}

// intParam reads an optional integer.
func intParam(form url.Values, name string) (value int, set bool, err *APIError) {
	raw := form.Get(name)
	if raw == "" {
		return 0, false, nil
	}
	n, perr := strconv.Atoi(raw)
	if perr != nil {
		return 0, false, errInvalidValue("Invalid integer value for " + name + ": " + raw)
	}
	return n, true, nil
}

// listIndexes returns, in order, the indexes n present as <prefix>.<n>[.*]
// for either member spelling, with the spelling found.
func listIndexes(form url.Values, name string, memberNames ...string) (prefixes []string) {
	type entry struct {
		n      int
		prefix string
	}
	seen := map[string]bool{}
	var entries []entry
	members := append(append([]string(nil), memberNames...), "member")
	for key := range form {
		for _, m := range members {
			p := name + "." + m + "."
			if !strings.HasPrefix(key, p) {
				continue
			}
			idx, _, _ := strings.Cut(strings.TrimPrefix(key, p), ".")
			n, err := strconv.Atoi(idx)
			if err != nil || n < 1 {
				continue
			}
			full := p + idx
			if !seen[full] {
				seen[full] = true
				entries = append(entries, entry{n, full})
			}
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].n < entries[j].n })
	for _, e := range entries {
		prefixes = append(prefixes, e.prefix)
	}
	return prefixes
}

// stringListParam reads a list of strings (TagKeys.member.1, ...).
func stringListParam(form url.Values, name string, memberNames ...string) []string {
	var out []string
	for _, p := range listIndexes(form, name, memberNames...) {
		out = append(out, form.Get(p))
	}
	return out
}

// tagsParam reads Tags.Tag.N.Key/Value (or Tags.member.N.*) and validates
// them as RDS does: keys 1-128 characters not starting with aws: or rds:,
// values up to 256.
func tagsParam(form url.Values, name string) ([]rdsTag, *APIError) {
	var tags []rdsTag
	for _, p := range listIndexes(form, name, "Tag") {
		t := rdsTag{Key: form.Get(p + ".Key"), Value: form.Get(p + ".Value")}
		if t.Key == "" || len(t.Key) > 128 {
			return nil, errInvalidValue("Tag keys must be between 1 and 128 characters")
		}
		lk := strings.ToLower(t.Key)
		if strings.HasPrefix(lk, "aws:") || strings.HasPrefix(lk, "rds:") {
			return nil, errInvalidValue("Tag keys may not begin with aws: or rds: (" + t.Key + ")")
		}
		if len(t.Value) > 256 {
			return nil, errInvalidValue("Tag values may be at most 256 characters")
		}
		tags = mergeTags(tags, []rdsTag{t})
	}
	return tags, nil
}

// mergeTags adds or overwrites tags by key, keeping the original order.
func mergeTags(tags, add []rdsTag) []rdsTag {
	for _, a := range add {
		replaced := false
		for i := range tags {
			if tags[i].Key == a.Key {
				tags[i].Value, replaced = a.Value, true
			}
		}
		if !replaced {
			tags = append(tags, a)
		}
	}
	return tags
}

type rdsFilter struct {
	Name   string
	Values []string
}

// filtersParam reads Filters.Filter.N.Name and Filters.Filter.N.Values.Value.M.
func filtersParam(form url.Values) []rdsFilter {
	var out []rdsFilter
	for _, p := range listIndexes(form, "Filters", "Filter") {
		out = append(out, rdsFilter{Name: form.Get(p + ".Name"), Values: stringListParam(form, p+".Values", "Value")})
	}
	return out
}

var (
	identifierRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{0,62}$`)
	pgNameRE     = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,62}$`)
)

// instanceIdentifier validates and lowercases a DB instance identifier:
// 1-63 letters, digits or hyphens, starting with a letter, with no trailing
// or consecutive hyphens.
func instanceIdentifier(form url.Values, name string) (string, *APIError) {
	raw := form.Get(name)
	if raw == "" {
		return "", errMissing(name)
	}
	if !identifierRE.MatchString(raw) || strings.HasSuffix(raw, "-") || strings.Contains(raw, "--") {
		return "", errInvalidValue("The parameter " + name + " is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.")
	}
	return strings.ToLower(raw), nil
}

// reservedMasterUsernames are names RDS for PostgreSQL refuses.
var reservedMasterUsernames = map[string]bool{"rdsadmin": true, "rds_superuser": true, "rdsrepladmin": true,
	"rds_replication": true, "rdstopmgr": true, "public": true, "none": true, "current_user": true,
	"session_user": true, "user": true, "all": true}

func validateMasterUsername(name string) *APIError {
	if name == "" {
		return errInvalidValue("The parameter MasterUsername must be provided and must not be blank.")
	}
	if !pgNameRE.MatchString(name) {
		return errInvalidValue("MasterUsername " + name + " is not valid: it must be 1 to 63 letters, digits or underscores and begin with a letter.")
	}
	if reservedMasterUsernames[strings.ToLower(name)] || strings.HasPrefix(strings.ToLower(name), "pg_") {
		return errInvalidValue("MasterUsername " + name + " cannot be used as it is a reserved word used by the engine")
	}
	return nil
}

// validateMasterPassword applies RDS's rule for PostgreSQL: 8-128 printable
// ASCII characters other than / ' " @ and space.
func validateMasterPassword(pw string) *APIError {
	if len(pw) < 8 || len(pw) > 128 {
		return errInvalidValue("The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters or longer than 128.")
	}
	for i := 0; i < len(pw); i++ {
		ch := pw[i]
		if ch <= ' ' || ch > '~' || strings.IndexByte(`/'"@`, ch) >= 0 {
			return errInvalidValue("The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '\"', ''', and space may be used.")
		}
	}
	return nil
}

func validateDBName(name string) *APIError {
	if !pgNameRE.MatchString(name) {
		return errInvalidValue("DBName " + name + " is not valid: it must be 1 to 63 letters, digits or underscores and begin with a letter.")
	}
	switch strings.ToLower(name) {
	case "template0", "template1", "rdsadmin":
		return errInvalidValue("DBName " + name + " cannot be used as it is a reserved word used by the engine")
	}
	return nil
}
