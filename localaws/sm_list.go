package localaws

import (
	"cmp"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"
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
