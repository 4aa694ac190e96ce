package localaws

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Tags: TagResource merges (a key given again takes the new value),
// UntagResource removes keys. Both work on secrets other services own (RDS
// tags its secrets and people may add their own), but not on secrets
// scheduled for deletion. Keys starting with "aws:" are reserved for AWS:
// callers can neither set nor remove them; services set them through the Go
// API (createServiceSecret).

// smUserTags validates tags from a request and converts them.
func smUserTags(in []smTag) ([]smKV, *APIError) {
	out := make([]smKV, 0, len(in))
	for _, t := range in {
		if t.Key == nil {
			return nil, smMissing("tags.member.key")
		}
		if err := smValidateTagKey(*t.Key); err != nil {
			return nil, err
		}
		value := ""
		if t.Value != nil {
			value = *t.Value
		}
		if utf8.RuneCountInString(value) > smMaxTagValueLen {
			return nil, smTooLong("tags.member.value", smMaxTagValueLen)
		}
		out = append(out, smKV{Key: *t.Key, Value: value})
	}
	return out, nil
}

func smValidateTagKey(key string) *APIError {
	if key == "" {
		return smTooShort("tags.member.key", 1)
	}
	if utf8.RuneCountInString(key) > smMaxTagKeyLen {
		return smTooLong("tags.member.key", smMaxTagKeyLen)
	}
	if strings.HasPrefix(strings.ToLower(key), "aws:") {
		return smInvalidParameter("Tag keys beginning with aws: are reserved for AWS use: %s.", key)
	}
	return nil
}

func smTooManyTags() *APIError {
	return smInvalidParameter("A secret can have at most %d tags.", smMaxTagsPerSecret)
}

// smMergeTags applies add to tags in order: existing keys take the new value
// in place, new keys are appended.
func smMergeTags(tags []smKV, add []smKV) []smKV {
	for _, t := range add {
		replaced := false
		for i := range tags {
			if tags[i].Key == t.Key {
				tags[i].Value = t.Value
				replaced = true
				break
			}
		}
		if !replaced {
			tags = append(tags, t)
		}
	}
	return tags
}

func smWireTags(tags []smKV) []smTag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]smTag, len(tags))
	for i, t := range tags {
		out[i] = smTag{Key: &t.Key, Value: &t.Value}
	}
	return out
}

func (sm *secretsManager) tagResource(c *Call) (any, error) {
	in, derr := smDecode[smTagResourceInput](c)
	if derr != nil {
		return nil, derr
	}
	id, verr := smRequireSecretID(in.SecretId)
	if verr != nil {
		return nil, verr
	}
	if in.Tags == nil {
		return nil, smMissing("tags")
	}
	tags, terr := smUserTags(in.Tags)
	if terr != nil {
		return nil, terr
	}
	return sm.run(func(now time.Time) (any, error) {
		s, err := sm.liveLocked(id)
		if err != nil {
			return nil, err
		}
		merged := smMergeTags(append([]smKV(nil), s.Tags...), tags)
		if len(merged) > smMaxTagsPerSecret {
			return nil, smTooManyTags()
		}
		s.Tags = merged
		s.LastChanged = now
		sm.changed(s)
		return struct{}{}, nil
	})
}

func (sm *secretsManager) untagResource(c *Call) (any, error) {
	in, derr := smDecode[smUntagResourceInput](c)
	if derr != nil {
		return nil, derr
	}
	id, verr := smRequireSecretID(in.SecretId)
	if verr != nil {
		return nil, verr
	}
	if in.TagKeys == nil {
		return nil, smMissing("tagKeys")
	}
	for _, k := range in.TagKeys {
		if err := smValidateTagKey(k); err != nil {
			return nil, err
		}
	}
	return sm.run(func(now time.Time) (any, error) {
		s, err := sm.liveLocked(id)
		if err != nil {
			return nil, err
		}
		kept := s.Tags[:0:0]
		for _, t := range s.Tags {
			if !slices.Contains(in.TagKeys, t.Key) {
				kept = append(kept, t)
			}
		}
		if len(kept) != len(s.Tags) {
			s.Tags = kept
			s.LastChanged = now
			sm.changed(s)
		}
		return struct{}{}, nil
	})
}
