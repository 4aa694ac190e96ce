package localaws

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
)

// describeDBInstances lists instances in identifier order, one page at a
// time. The Marker is the opaque (base64) identifier of the next instance,
// so paging stays correct when instances come and go between pages.
func (r *rdsService) describeDBInstances(form url.Values) (any, error) {
	maxRecords, set, aerr := intParam(form, "MaxRecords")
	if aerr != nil {
		return nil, aerr
	}
	if !set {
		maxRecords = 100
	}
	r.mu.Lock()
	minPage := r.minPageSize
	r.mu.Unlock()
	if maxRecords < minPage || maxRecords > 100 {
		return nil, errInvalidValue("Invalid value " + strconv.Itoa(maxRecords) + " for MaxRecords. Must be between " + strconv.Itoa(minPage) + " and 100")
	}
	var after string
	if m := form.Get("Marker"); m != "" {
		b, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil || len(b) == 0 {
			return nil, errInvalidValue("Invalid Marker: " + m)
		}
		after = string(b)
	}
	filters := filtersParam(form)
	for _, f := range filters {
		switch f.Name {
		case "db-instance-id", "dbi-resource-id", "engine", "db-cluster-id", "domain":
		default:
			return nil, errInvalidValue("Unrecognized filter name: " + f.Name)
		}
		if len(f.Values) == 0 {
			return nil, errInvalidValue("Filter " + f.Name + " needs at least one value")
		}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	var matches []*rdsInstance
	if id := form.Get("DBInstanceIdentifier"); id != "" {
		in, aerr := r.lookupLocked(id)
		if aerr != nil {
			return nil, aerr
		}
		matches = []*rdsInstance{in}
	} else {
		for _, id := range r.sortedIDsLocked() {
			matches = append(matches, r.instances[id])
		}
	}
	var res describeDBInstancesResult
	for _, in := range matches {
		if in.Identifier <= after || !r.matchesFilters(in, filters) {
			continue
		}
		if len(res.DBInstances.Items) == maxRecords {
			res.Marker = base64.RawURLEncoding.EncodeToString([]byte(res.DBInstances.Items[maxRecords-1].DBInstanceIdentifier))
			break
		}
		res.DBInstances.Items = append(res.DBInstances.Items, r.view(in))
	}
	return res, nil
}

// matchesFilters applies RDS's filter semantics: every filter must match,
// a filter matches when any of its values does.
func (r *rdsService) matchesFilters(in *rdsInstance, filters []rdsFilter) bool {
	for _, f := range filters {
		var candidates []string
		switch f.Name {
		case "db-instance-id":
			candidates = []string{in.Identifier, r.instanceARN(in.Identifier)}
		case "dbi-resource-id":
			candidates = []string{in.ResourceID}
		case "engine":
			candidates = []string{in.Engine}
		default: // db-cluster-id, domain: instances here belong to none
			return false
		}
		ok := false
		for _, v := range f.Values {
			for _, c := range candidates {
				if strings.EqualFold(v, c) {
					ok = true
				}
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
