package activities

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Role settings (ALTER ROLE ... SET) are applied at login, so a client
// that flips to the clone would silently lose the original's search_path
// or statement_timeout. pg_db_role_setting holds them as "name=value"
// text, global ones with database 0.

// roleSettingKey is one setting of a role: database "" is global.
type roleSettingKey struct{ db, name string }

// readRoleSettings returns the settings of base and clone.
func readRoleSettings(ctx context.Context, q Querier, base, clone string) (baseSet, cloneSet map[roleSettingKey]string, err error) {
	rows, err := q.Query(ctx, `SELECT r.rolname = $2, s.setdatabase = 0, COALESCE(d.datname, ''), cfg
		FROM pg_catalog.pg_db_role_setting s
		JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
		LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
		CROSS JOIN LATERAL unnest(s.setconfig) AS cfg
		WHERE r.rolname IN ($1, $2)`, base, clone)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	baseSet, cloneSet = map[roleSettingKey]string{}, map[roleSettingKey]string{}
	for rows.Next() {
		var isClone, global bool
		var db, cfg string
		if err := rows.Scan(&isClone, &global, &db, &cfg); err != nil {
			return nil, nil, err
		}
		name, value, ok := strings.Cut(cfg, "=")
		if !ok || (!global && db == "") {
			continue
		}
		if global {
			db = ""
		}
		m := baseSet
		if isClone {
			m = cloneSet
		}
		m[roleSettingKey{db, name}] = value
	}
	return baseSet, cloneSet, rows.Err()
}

// syncSettings makes the clone's settings the original's: missing or
// different ones set, extra ones reset, then read back, so a value that
// could not be reproduced is reported rather than left different.
// Values are never put in errors: a setting may hold something private.
func syncSettings(ctx context.Context, q Querier, secretID, base, clone string) error {
	want, have, err := readRoleSettings(ctx, q, base, clone)
	if err != nil {
		return err
	}
	keys := slices.SortedFunc(maps.Keys(want), compareSettingKeys)
	extra := slices.SortedFunc(maps.Keys(have), compareSettingKeys)
	changed := false
	for _, k := range keys {
		if v, ok := have[k]; ok && v == want[k] {
			continue
		}
		value, err := settingValueSQL(k.name, want[k])
		if err != nil {
			return nonRetryable(ErrDatabaseRefused, fmt.Sprintf("secret %s: setting %s of role %q: %v", secretID, k.name, base, err))
		}
		if err := alterRoleSetting(ctx, q, secretID, clone, k, "SET "+settingNameSQL(k.name)+" = "+value); err != nil {
			return err
		}
		changed = true
	}
	for _, k := range extra {
		if _, ok := want[k]; ok {
			continue
		}
		if err := alterRoleSetting(ctx, q, secretID, clone, k, "RESET "+settingNameSQL(k.name)); err != nil {
			return err
		}
		changed = true
	}
	if !changed {
		return nil
	}
	want, have, err = readRoleSettings(ctx, q, base, clone)
	if err != nil {
		return err
	}
	for _, k := range slices.SortedFunc(maps.Keys(want), compareSettingKeys) {
		if have[k] != want[k] {
			return nonRetryable(ErrDatabaseRefused, fmt.Sprintf("secret %s: setting %s%s of role %q could not be reproduced exactly on %q; set it on %q by hand",
				secretID, k.name, k.in(), base, clone, clone))
		}
	}
	return nil
}

func (k roleSettingKey) in() string {
	if k.db == "" {
		return ""
	}
	return " in database " + k.db
}

func compareSettingKeys(a, b roleSettingKey) int {
	return cmp.Or(cmp.Compare(a.db, b.db), cmp.Compare(a.name, b.name))
}

func alterRoleSetting(ctx context.Context, q Querier, secretID, clone string, k roleSettingKey, action string) error {
	stmt := "ALTER ROLE " + quoteIdent(clone)
	if k.db != "" {
		stmt += " IN DATABASE " + quoteIdent(k.db)
	}
	if _, err := q.Exec(ctx, stmt+" "+action); err != nil {
		return twinError(secretID, fmt.Sprintf("copying setting %s%s to %q", k.name, k.in(), clone), err)
	}
	return nil
}

// settingNameSQL quotes a parameter name part by part: custom parameters
// are "prefix.name".
func settingNameSQL(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = quoteIdent(p)
	}
	return strings.Join(parts, ".")
}

// listQuotedSettings are the parameters whose value is a list of
// identifiers: the server quotes each string it is given as one element,
// so the stored list must be split and sent element by element. Every
// other parameter stores exactly the one literal it is given.
var listQuotedSettings = map[string]bool{
	"search_path": true, "temp_tablespaces": true, "local_preload_libraries": true,
	"session_preload_libraries": true, "shared_preload_libraries": true,
}

// settingValueSQL is the SQL that stores value for parameter name.
func settingValueSQL(name, value string) (string, error) {
	if !listQuotedSettings[strings.ToLower(name)] {
		return quoteLiteral(value)
	}
	elems, err := splitIdentifierList(value)
	if err != nil {
		return "", err
	}
	if len(elems) == 0 {
		return "", fmt.Errorf("empty list")
	}
	lits := make([]string, len(elems))
	for i, e := range elems {
		if lits[i], err = quoteLiteral(e); err != nil {
			return "", err
		}
	}
	return strings.Join(lits, ", "), nil
}

// splitIdentifierList splits a stored list the way the server reads it
// (SplitIdentifierString): elements separated by commas, double-quoted
// ones taken verbatim with "" for a quote, others folded to lower case.
func splitIdentifierList(s string) ([]string, error) {
	var out []string
	i := 0
	skipSpace := func() {
		for i < len(s) && strings.IndexByte(" \t\n\r\f\v", s[i]) >= 0 {
			i++
		}
	}
	skipSpace()
	if i == len(s) {
		return nil, nil
	}
	for {
		skipSpace()
		var elem strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			for {
				j := strings.IndexByte(s[i:], '"')
				if j < 0 {
					return nil, fmt.Errorf("unterminated quoted element")
				}
				elem.WriteString(s[i : i+j])
				i += j + 1
				if i < len(s) && s[i] == '"' {
					elem.WriteByte('"')
					i++
					continue
				}
				break
			}
		} else {
			start := i
			for i < len(s) && s[i] != ',' && strings.IndexByte(" \t\n\r\f\v", s[i]) < 0 {
				i++
			}
			if i == start {
				return nil, fmt.Errorf("empty element")
			}
			elem.WriteString(asciiLower(s[start:i]))
		}
		out = append(out, elem.String())
		skipSpace()
		if i == len(s) {
			return out, nil
		}
		if s[i] != ',' {
			return nil, fmt.Errorf("malformed list")
		}
		i++
	}
}

func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
