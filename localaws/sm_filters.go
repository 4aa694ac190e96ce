package localaws

import (
	"slices"
	"strings"
	"unicode"
)

// ListSecrets and BatchGetSecretValue filters, as AWS documents them: every
// key is a prefix match (description and all ignore case, the others do
// not), values of one filter are alternatives, filters all apply, and a
// value starting with "!" excludes what it matches.

var smFilterKeys = []string{"description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all"}

func smValidateFilters(filters []smFilter) *APIError {
	for _, f := range filters {
		if !slices.Contains(smFilterKeys, f.Key) {
			return smValidation("Value '%s' at 'filters.member.key' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
				f.Key, strings.Join(smFilterKeys, ", "))
		}
		if len(f.Values) == 0 {
			return smInvalidParameter("Invalid filter values: a filter with the key %s must have between 1 and %d values.", f.Key, smMaxFilterValues)
		}
		if len(f.Values) > smMaxFilterValues {
			return smTooLong("filters.member.values", smMaxFilterValues)
		}
		for _, v := range f.Values {
			if len(v) > smMaxFilterValueLen {
				return smTooLong("filters.member.values.member", smMaxFilterValueLen)
			}
			if strings.IndexFunc(v, func(r rune) bool { return !smIsNameChar(r) && !strings.ContainsRune(" :!", r) }) >= 0 {
				return smValidation("Value at 'filters.member.values.member' failed to satisfy constraint: Member must satisfy regular expression pattern: ^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$")
			}
		}
	}
	return nil
}

// matchesFilters applies AWS's filter rules: every filter must match; within
// a filter any plain value may match, and no "!"-negated value may.
func (sm *secretsManager) matchesFilters(s *smSecret, filters []smFilter) bool {
	for _, f := range filters {
		positive, anyPositive := false, false
		for _, v := range f.Values {
			if neg, ok := strings.CutPrefix(v, "!"); ok {
				if sm.filterMatches(s, f.Key, neg) {
					return false
				}
				continue
			}
			anyPositive = true
			if sm.filterMatches(s, f.Key, v) {
				positive = true
			}
		}
		if anyPositive && !positive {
			return false
		}
	}
	return true
}

// filterMatches is one key/value test. Every key is a prefix match;
// description and all ignore case, the others do not.
func (sm *secretsManager) filterMatches(s *smSecret, key, value string) bool {
	switch key {
	case "name":
		return strings.HasPrefix(s.Name, value)
	case "description":
		return s.Description != nil && strings.HasPrefix(strings.ToLower(*s.Description), strings.ToLower(value))
	case "tag-key":
		return slices.ContainsFunc(s.Tags, func(t smKV) bool { return strings.HasPrefix(t.Key, value) })
	case "tag-value":
		return slices.ContainsFunc(s.Tags, func(t smKV) bool { return strings.HasPrefix(t.Value, value) })
	case "owning-service":
		return s.OwningService != "" && strings.HasPrefix(s.OwningService, value)
	case "primary-region":
		// Only replicated secrets have a primary region; the emulator does
		// not replicate.
		return false
	case "all":
		return sm.matchesAll(s, value)
	}
	return false
}

// matchesAll breaks the value into words and matches a secret when some
// word is, ignoring case, a prefix of a word of its name, description, tag
// keys, tag values or owning service.
func (sm *secretsManager) matchesAll(s *smSecret, value string) bool {
	query := smSearchWords(value)
	if len(query) == 0 {
		return true
	}
	fields := []string{s.Name, s.OwningService}
	if s.Description != nil {
		fields = append(fields, *s.Description)
	}
	for _, t := range s.Tags {
		fields = append(fields, t.Key, t.Value)
	}
	for _, field := range fields {
		for _, w := range smSearchWords(field) {
			for _, q := range query {
				if strings.HasPrefix(w, q) {
					return true
				}
			}
		}
	}
	return false
}

// smSearchWords splits text into lower-cased words the way the Secrets Manager
// search does: at punctuation and spaces, at a lower-to-upper case change,
// and between letters and digits ("credsDatabase#892" is creds, database,
// 892).
func smSearchWords(text string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	var prev rune
	for _, r := range text {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			prev = 0
			continue
		}
		if len(cur) > 0 && (unicode.IsLower(prev) && unicode.IsUpper(r) || unicode.IsDigit(prev) != unicode.IsDigit(r)) {
			flush()
		}
		cur = append(cur, r)
		prev = r
	}
	flush()
	return words
}
