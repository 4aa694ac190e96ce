package localaws

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// CloudWatch tags. Of what localaws keeps only alarms can be tagged: AWS's
// TagResource reference says alarms and Contributor Insights rules are the
// only taggable CloudWatch resources, so a dashboard's ARN (or any other)
// is ResourceNotFoundException, as an alarm that does not exist is. Tags
// given to PutMetricAlarm are kept when it creates the alarm and ignored
// when it updates one (cw_alarms.go), as AWS documents.

const (
	cwMaxTagKeyLen   = 128
	cwMaxTagValueLen = 256
)

type tagResourceInput struct {
	ResourceARN string  `json:"ResourceARN"`
	Tags        []cwTag `json:"Tags"`
}

type untagResourceInput struct {
	ResourceARN string   `json:"ResourceARN"`
	TagKeys     []string `json:"TagKeys"`
}

type listTagsForResourceInput struct {
	ResourceARN string `json:"ResourceARN"`
}

type listTagsForResourceOutput struct {
	Tags []cwTag `json:"Tags" xml:"Tags>member"`
}

func (cw *cloudWatch) tagResource(in *tagResourceInput) (*struct{}, *APIError) {
	if in.Tags == nil {
		return nil, cwMissing("Tags")
	}
	if err := cwValidTags("Tags", in.Tags); err != nil {
		return nil, err
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	a, err := cw.taggableLocked(in.ResourceARN)
	if err != nil {
		return nil, err
	}
	merged := append([]cwTag{}, a.Tags...)
	for _, t := range in.Tags {
		if i := cwTagIndex(merged, t.Key); i >= 0 {
			merged[i].Value = t.Value
		} else {
			merged = append(merged, t)
		}
	}
	if len(merged) > cwMaxTags {
		return nil, cwInvalidValue("A resource can have at most %d tags; this request would leave it %d.", cwMaxTags, len(merged))
	}
	a.Tags = merged
	cw.markDirty()
	return nil, nil
}

func (cw *cloudWatch) untagResource(in *untagResourceInput) (*struct{}, *APIError) {
	if in.TagKeys == nil {
		return nil, cwMissing("TagKeys")
	}
	for i, k := range in.TagKeys {
		if err := cwValidTagKey("TagKeys.member."+strconv.Itoa(i+1), k); err != nil {
			return nil, err
		}
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	a, err := cw.taggableLocked(in.ResourceARN)
	if err != nil {
		return nil, err
	}
	kept := make([]cwTag, 0, len(a.Tags))
	for _, t := range a.Tags {
		if !slices.Contains(in.TagKeys, t.Key) {
			kept = append(kept, t)
		}
	}
	a.Tags = kept
	cw.markDirty()
	return nil, nil
}

func (cw *cloudWatch) listTagsForResource(in *listTagsForResourceInput) (*listTagsForResourceOutput, *APIError) {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	a, err := cw.taggableLocked(in.ResourceARN)
	if err != nil {
		return nil, err
	}
	return &listTagsForResourceOutput{Tags: append([]cwTag{}, a.Tags...)}, nil
}

// taggableLocked finds the alarm an ARN names; callers hold mu.
func (cw *cloudWatch) taggableLocked(arn string) (*cwAlarm, *APIError) {
	if arn == "" {
		return nil, cwMissing("ResourceARN")
	}
	if len(arn) > 1024 {
		return nil, cwInvalidValue("The parameter ResourceARN must be shorter than 1025 characters.")
	}
	if !strings.HasPrefix(arn, "arn:") {
		return nil, cwInvalidValue("The value %s for parameter ResourceARN is not a valid ARN.", arn)
	}
	if name, ok := strings.CutPrefix(arn, cw.alarmARN("")); ok {
		if a := cw.alarms[name]; a != nil {
			return a, nil
		}
	}
	return nil, cwResourceNotFound(arn)
}

// cwValidTags applies AWS's tag rules (Tag and TagKey in the API reference,
// and the aws: prefix every AWS service keeps for itself) to a tag list.
func cwValidTags(param string, tags []cwTag) *APIError {
	if len(tags) > cwMaxTags {
		return cwInvalidValue("The collection %s must not have a size greater than %d.", param, cwMaxTags)
	}
	for i, t := range tags {
		p := param + ".member." + strconv.Itoa(i+1)
		if err := cwValidTagKey(p+".Key", t.Key); err != nil {
			return err
		}
		if utf8.RuneCountInString(t.Value) > cwMaxTagValueLen {
			return cwInvalidValue("The parameter %s.Value must be shorter than %d characters.", p, cwMaxTagValueLen+1)
		}
	}
	return nil
}

func cwValidTagKey(param, key string) *APIError {
	if err := cwValidName(param, key, cwMaxTagKeyLen); err != nil {
		return err
	}
	if strings.HasPrefix(strings.ToLower(key), "aws:") {
		return cwInvalidValue("The value %s for parameter %s is invalid: the aws: prefix is reserved for AWS use.", key, param)
	}
	return nil
}

func cwTagIndex(tags []cwTag, key string) int {
	for i, t := range tags {
		if t.Key == key {
			return i
		}
	}
	return -1
}
