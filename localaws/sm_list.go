package localaws

import (
	"cmp"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// listSecrets lists secrets matching every filter, sorted (by creation
// date unless SortBy says otherwise; ascending unless SortOrder is desc) and
// paginated. Secrets scheduled for deletion appear only with
// IncludePlannedDeletion.
func (sm *secretsManager) listSecrets(c *Call) (any, error) {
	in, derr := smDecode[smListSecretsInput](c)
	if derr != nil {
		return nil, derr
	}
	if err := smFirstErr(smValidateMaxResults(in.MaxResults, 100), smValidateFilters(in.Filters)); err != nil {
		return nil, err
	}
	sortBy, sortDesc, serr := smListOrder(in.SortBy, in.SortOrder)
	if serr != nil {
		return nil, serr
	}
	includeDeleted := in.IncludePlannedDeletion != nil && *in.IncludePlannedDeletion
	return sm.run(func(now time.Time) (any, error) {
		var matched []*smSecret
		for _, s := range sm.orderedLocked() {
			if s.scheduledForDeletion() && !includeDeleted {
				continue
			}
			if sm.matchesFilters(s, in.Filters) {
				matched = append(matched, s)
			}
		}
		smSortSecrets(matched, sortBy, sortDesc)
		page, next, perr := smPaginate(matched, in.MaxResults, in.NextToken, 100)
		if perr != nil {
			return nil, perr
		}
		out := smListSecretsOutput{SecretList: make([]smSecretDetails, 0, len(page)), NextToken: next}
		for _, s := range page {
			d := sm.details(s)
			d.SecretVersionsToStages, d.VersionIdsToStages = d.VersionIdsToStages, nil
			out.SecretList = append(out.SecretList, d)
		}
		return out, nil
	})
}

func smListOrder(sortBy, sortOrder *string) (by string, desc bool, err *APIError) {
	by = "created-date"
	if sortBy != nil {
		switch *sortBy {
		case "created-date", "last-accessed-date", "last-changed-date", "name":
			by = *sortBy
		default:
			return "", false, smValidation("Value '%s' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [created-date, last-accessed-date, last-changed-date, name]", *sortBy)
		}
	}
	if sortOrder != nil {
		switch *sortOrder {
		case "asc":
		case "desc":
			desc = true
		default:
			return "", false, smValidation("Value '%s' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]", *sortOrder)
		}
	}
	return by, desc, nil
}

func smSortSecrets(list []*smSecret, by string, desc bool) {
	key := func(a, b *smSecret) int {
		switch by {
		case "name":
			return cmp.Compare(a.Name, b.Name)
		case "last-changed-date":
			return a.LastChanged.Compare(b.LastChanged)
		case "last-accessed-date":
			return smTimePtrCompare(a.LastAccessed, b.LastAccessed)
		}
		return a.Created.Compare(b.Created)
	}
	slices.SortStableFunc(list, func(a, b *smSecret) int {
		r := key(a, b)
		if r == 0 {
			r = smCmpUint(a.Seq, b.Seq)
		}
		if desc {
			return -r
		}
		return r
	})
}

func smTimePtrCompare(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return a.Compare(*b)
}

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

// smPaginate returns one page of items. NextToken is an opaque offset: like
// AWS's, it is only meaningful for the same request.
func smPaginate[T any](items []T, maxResults *int64, nextToken *string, defaultMax int) ([]T, *string, error) {
	start := 0
	if nextToken != nil {
		off, ok := smDecodeNextToken(*nextToken)
		if !ok || off > len(items) {
			return nil, nil, errBadRequest("InvalidNextTokenException", "The NextToken value is invalid.")
		}
		start = off
	}
	size := defaultMax
	if maxResults != nil {
		size = int(*maxResults)
	}
	end := min(start+size, len(items))
	var next *string
	if end < len(items) {
		tok := smEncodeNextToken(end)
		next = &tok
	}
	return items[start:end], next, nil
}

func smEncodeNextToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("sm-offset:" + strconv.Itoa(offset)))
}

func smDecodeNextToken(tok string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	n, ok := strings.CutPrefix(string(raw), "sm-offset:")
	if !ok {
		return 0, false
	}
	off, err := strconv.Atoi(n)
	if err != nil || off < 0 {
		return 0, false
	}
	return off, true
}
