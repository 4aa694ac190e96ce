package localaws

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// CloudTrail's LookupEvents (awsJson1_1; X-Amz-Target
// CloudTrail_20131101.LookupEvents from aws-sdk-go-v2, the full shape id
// com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents
// from botocore),
// with AWS's rules: at most one lookup attribute besides the time range,
// 1 to 50 results a page (50 by default), newest first, a NextToken
// valid only with the parameters that made it.

const (
	ctTargetPrefix     = "CloudTrail_20131101."
	ctLongTargetPrefix = "com.amazonaws.cloudtrail.v20131101." + ctTargetPrefix
)

const ctMaxResults = 50

// ctLookupKeys are the attribute keys LookupEvents takes, each with what
// it compares.
var ctLookupKeys = map[string]func(*ctRecord, string) bool{
	"EventId":     func(e *ctRecord, v string) bool { return e.id == v },
	"EventName":   func(e *ctRecord, v string) bool { return e.name == v },
	"ReadOnly":    func(e *ctRecord, v string) bool { return strconv.FormatBool(e.readOnly) == v },
	"Username":    func(e *ctRecord, v string) bool { return e.username == v },
	"EventSource": func(e *ctRecord, v string) bool { return e.source == v },
	"AccessKeyId": func(e *ctRecord, v string) bool { return e.accessKey == v },
	"ResourceType": func(e *ctRecord, v string) bool {
		return ctAnyResource(e, func(r ctResource) bool { return r.Type == v })
	},
	"ResourceName": func(e *ctRecord, v string) bool {
		return ctAnyResource(e, func(r ctResource) bool { return r.ARN == v })
	},
}

func ctAnyResource(e *ctRecord, match func(ctResource) bool) bool {
	for _, r := range e.resources {
		if match(r) {
			return true
		}
	}
	return false
}

type ctLookupInput struct {
	LookupAttributes []struct {
		AttributeKey   string `json:"AttributeKey"`
		AttributeValue string `json:"AttributeValue"`
	} `json:"LookupAttributes"`
	StartTime     *float64 `json:"StartTime"`
	EndTime       *float64 `json:"EndTime"`
	EventCategory string   `json:"EventCategory"`
	MaxResults    *int     `json:"MaxResults"`
	NextToken     string   `json:"NextToken"`
}

type ctLookupEvent struct {
	EventID         string             `json:"EventId"`
	EventName       string             `json:"EventName"`
	ReadOnly        string             `json:"ReadOnly"`
	AccessKeyID     string             `json:"AccessKeyId,omitempty"`
	EventTime       float64            `json:"EventTime"`
	EventSource     string             `json:"EventSource"`
	Username        string             `json:"Username,omitempty"`
	Resources       []ctLookupResource `json:"Resources"`
	CloudTrailEvent string             `json:"CloudTrailEvent"`
}

type ctLookupResource struct {
	ResourceType string `json:"ResourceType"`
	ResourceName string `json:"ResourceName"`
}

type ctLookupOutput struct {
	Events    []ctLookupEvent `json:"Events"`
	NextToken string          `json:"NextToken,omitempty"`
}

// ctPageToken is what a NextToken carries: the seq of the last event
// served (the next page starts below it, so events recorded meanwhile
// do not shift it) and a hash of the query it belongs to.
type ctPageToken struct {
	Below uint64 `json:"b"`
	Query string `json:"q"`
}

func (s *Server) handleCloudTrail(_ context.Context, c *Call) (any, error) {
	scope := s.callScope(c)
	if c.Op != "LookupEvents" {
		return nil, unknownOperation(c)
	}
	var in ctLookupInput
	if len(strings.TrimSpace(string(c.Body))) > 0 {
		if err := json.Unmarshal(c.Body, &in); err != nil {
			return nil, errBadRequest("SerializationException", "could not read the LookupEvents request: "+err.Error())
		}
	}
	return s.lookupEvents(&in, scope)
}

func (s *Server) lookupEvents(in *ctLookupInput, scope scopeKey) (*ctLookupOutput, error) {
	if len(in.LookupAttributes) > 1 {
		return nil, errBadRequest("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.")
	}
	var match func(*ctRecord) bool
	if len(in.LookupAttributes) == 1 {
		a := in.LookupAttributes[0]
		cmp, ok := ctLookupKeys[a.AttributeKey]
		if !ok {
			return nil, errBadRequest("InvalidLookupAttributesException", "Lookup attribute key "+strconv.Quote(a.AttributeKey)+" is not valid.")
		}
		if a.AttributeValue == "" {
			return nil, errBadRequest("InvalidLookupAttributesException", "Lookup attribute value must not be empty.")
		}
		match = func(e *ctRecord) bool { return cmp(e, a.AttributeValue) }
	}
	limit := ctMaxResults
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > ctMaxResults {
			return nil, errBadRequest("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
		}
		limit = *in.MaxResults
	}
	from, to := time.Time{}, time.Now().Add(time.Minute)
	if in.StartTime != nil {
		from = ctTime(*in.StartTime)
	}
	if in.EndTime != nil {
		to = ctTime(*in.EndTime)
	}
	if !from.IsZero() && from.After(to) {
		return nil, errBadRequest("InvalidTimeRangeException", "Start time must be before end time.")
	}
	switch in.EventCategory {
	case "":
	case "insight":
		// No trail here enables Insights.
		return &ctLookupOutput{Events: []ctLookupEvent{}}, nil
	default:
		return nil, errBadRequest("InvalidEventCategoryException", "Event category "+strconv.Quote(in.EventCategory)+" is not valid.")
	}
	query := ctQueryHash(in)
	below := uint64(math.MaxUint64)
	if in.NextToken != "" {
		tok, ok := ctDecodeToken(in.NextToken)
		if !ok || tok.Query != query {
			return nil, errBadRequest("InvalidNextTokenException", "Invalid NextToken.")
		}
		below = tok.Below
	}
	out := &ctLookupOutput{Events: []ctLookupEvent{}}
	for _, e := range s.trail.newestFirst() {
		if e.seq >= below || e.scope != scope || e.time.Before(from) || e.time.After(to) || (match != nil && !match(e)) {
			continue
		}
		if len(out.Events) == limit {
			out.NextToken = ctEncodeToken(ctPageToken{Below: below, Query: query})
			break
		}
		out.Events = append(out.Events, e.lookupView())
		below = e.seq
	}
	return out, nil
}

func (e *ctRecord) lookupView() ctLookupEvent {
	v := ctLookupEvent{EventID: e.id, EventName: e.name, ReadOnly: strconv.FormatBool(e.readOnly),
		AccessKeyID: e.accessKey, EventTime: float64(e.time.UnixMilli()) / 1000, EventSource: e.source,
		Username: e.username, Resources: make([]ctLookupResource, 0, len(e.resources)), CloudTrailEvent: e.json}
	for _, r := range e.resources {
		v.Resources = append(v.Resources, ctLookupResource{ResourceType: r.Type, ResourceName: r.ARN})
	}
	return v
}

func ctTime(epoch float64) time.Time {
	sec, frac := math.Modf(epoch)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// ctQueryHash identifies a query by everything but its token and page
// size, as AWS wants a token passed back "with the same parameters".
func ctQueryHash(in *ctLookupInput) string {
	q := *in
	q.NextToken, q.MaxResults = "", nil
	b, _ := json.Marshal(q)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func ctEncodeToken(t ctPageToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func ctDecodeToken(s string) (ctPageToken, bool) {
	var t ctPageToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &t) != nil || t.Below == 0 {
		return t, false
	}
	return t, true
}
