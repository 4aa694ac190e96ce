package localaws

import "net/url"

// Tag operations address an instance by its ARN (ResourceName), as RDS
// does. Tags are stored with the instance and persisted in rds.json.

func (r *rdsService) tagTargetLocked(form url.Values) (*rdsInstance, *APIError) {
	name := form.Get("ResourceName")
	if name == "" {
		return nil, errMissing("ResourceName")
	}
	id, aerr := r.idFromARN(name)
	if aerr != nil {
		return nil, aerr
	}
	in, ok := r.instances[id]
	if !ok {
		return nil, errInstanceNotFound(id)
	}
	return in, nil
}

func (r *rdsService) addTagsToResource(form url.Values) (any, error) {
	tags, aerr := tagsParam(form, "Tags")
	if aerr != nil {
		return nil, aerr
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	in, aerr := r.tagTargetLocked(form)
	if aerr != nil {
		return nil, aerr
	}
	merged := mergeTags(append([]rdsTag(nil), in.Tags...), tags)
	if len(merged) > 50 {
		return nil, errBadRequest("TagQuotaPerResourceExceeded", "A DB instance can have at most 50 tags")
	}
	in.Tags = merged
	return nil, r.saveLocked()
}

func (r *rdsService) listTagsForResource(form url.Values) (any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	in, aerr := r.tagTargetLocked(form)
	if aerr != nil {
		return nil, aerr
	}
	var res listTagsResult
	for _, t := range in.Tags {
		res.TagList.Tags = append(res.TagList.Tags, xmlTag(t))
	}
	return res, nil
}

func (r *rdsService) removeTagsFromResource(form url.Values) (any, error) {
	keys := stringListParam(form, "TagKeys")
	r.mu.Lock()
	defer r.mu.Unlock()
	in, aerr := r.tagTargetLocked(form)
	if aerr != nil {
		return nil, aerr
	}
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	kept := in.Tags[:0:0]
	for _, t := range in.Tags {
		if !drop[t.Key] {
			kept = append(kept, t)
		}
	}
	in.Tags = kept
	return nil, r.saveLocked()
}
