package localaws

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// What CloudTrail records of every management call, so that an audit
// ("who read this secret?") can be rehearsed against the emulator with
// the same LookupEvents queries it runs on AWS. Events live in memory
// only, in a ring of the newest Options.TrailEvents: event history is a
// tool for recent questions, and the emulator's restarts are not the
// place to keep a long record.

// defaultTrailEvents is the ring's size when Options.TrailEvents is 0.
const defaultTrailEvents = 10_000

// svcCloudTrail is CloudTrail's signing name; its own calls are recorded
// too, as AWS records LookupEvents.
const svcCloudTrail = "cloudtrail"

// ctEventSources are the eventSource of each service's events.
var ctEventSources = map[string]string{
	svcSecretsManager: "secretsmanager.amazonaws.com",
	svcRDS:            "rds.amazonaws.com",
	svcCloudWatch:     "monitoring.amazonaws.com",
	svcCloudTrail:     "cloudtrail.amazonaws.com",
}

// ctRecord is one recorded event: the fields LookupEvents filters on,
// and the event's JSON, made once when it is recorded.
type ctRecord struct {
	seq       uint64
	id        string
	time      time.Time
	name      string
	source    string
	readOnly  bool
	accessKey string
	username  string
	resources []ctResource
	json      string
	// scope is the account and Region whose trail holds the event:
	// LookupEvents answers with its caller's only.
	scope scopeKey
}

// ctResource is a resource an event is about, as LookupEvents lists it.
type ctResource struct {
	Type string `json:"type"`
	ARN  string `json:"ARN"`
}

// ctTrail is the ring of recorded events. seq grows by one per event, so
// a page token naming a seq stays valid while newer events arrive.
type ctTrail struct {
	mu     sync.Mutex
	ring   []*ctRecord
	next   int // where the next event goes
	seq    uint64
	filled bool
}

func newCTTrail(size int) *ctTrail {
	if size <= 0 {
		size = defaultTrailEvents
	}
	return &ctTrail{ring: make([]*ctRecord, size)}
}

func (t *ctTrail) add(rec *ctRecord) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	rec.seq = t.seq
	t.ring[t.next] = rec
	t.next = (t.next + 1) % len(t.ring)
	t.filled = t.filled || t.next == 0
}

// newestFirst returns the events kept, newest first.
func (t *ctTrail) newestFirst() []*ctRecord {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.next
	if t.filled {
		n = len(t.ring)
	}
	out := make([]*ctRecord, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, t.ring[(t.next-i+len(t.ring))%len(t.ring)])
	}
	return out
}

// ctEvent is a CloudTrail record (the CloudTrailEvent string), in the
// field order CloudTrail writes.
type ctEvent struct {
	EventVersion       string         `json:"eventVersion"`
	UserIdentity       ctUserIdentity `json:"userIdentity"`
	EventTime          string         `json:"eventTime"`
	EventSource        string         `json:"eventSource"`
	EventName          string         `json:"eventName"`
	AWSRegion          string         `json:"awsRegion"`
	SourceIPAddress    string         `json:"sourceIPAddress"`
	UserAgent          string         `json:"userAgent"`
	ErrorCode          string         `json:"errorCode,omitempty"`
	ErrorMessage       string         `json:"errorMessage,omitempty"`
	RequestParameters  map[string]any `json:"requestParameters"`
	ResponseElements   map[string]any `json:"responseElements"`
	RequestID          string         `json:"requestID"`
	EventID            string         `json:"eventID"`
	ReadOnly           bool           `json:"readOnly"`
	Resources          []ctResource   `json:"resources,omitempty"`
	EventType          string         `json:"eventType"`
	ManagementEvent    bool           `json:"managementEvent"`
	RecipientAccountID string         `json:"recipientAccountId"`
	EventCategory      string         `json:"eventCategory"`
}

type ctUserIdentity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	UserName    string `json:"userName,omitempty"`
}

// ctOutcome is how a call ended, as the event records it.
type ctOutcome struct {
	requestID string
	code      string // AWS error code, empty on success
	message   string
	result    any // the answer of a call served, for responseElements
}

// recordEvent adds the CloudTrail event of a call. resources were
// resolved before the call was served (a deleted secret still names its
// ARN); when they named nothing resolved, they are resolved again (a
// created one names its new ARN).
func (s *Server) recordEvent(r *http.Request, c *Call, start time.Time, pre []ctResource, out ctOutcome) {
	if c == nil || c.Service == "" {
		return
	}
	resources := pre
	if !ctResolved(pre) {
		resources = s.ctResources(c)
	}
	who := s.ctIdentity(c)
	scope := s.callScope(c)
	ev := ctEvent{
		EventVersion: "1.09", UserIdentity: who,
		EventTime: start.UTC().Format(time.RFC3339), EventSource: ctEventSources[c.Service],
		EventName: c.Op, AWSRegion: scope.region,
		SourceIPAddress: remoteIP(r), UserAgent: r.Header.Get("User-Agent"),
		ErrorCode: out.code, ErrorMessage: out.message,
		RequestParameters: ctRequestParameters(c), ResponseElements: ctResponseElements(c, out.result),
		RequestID: out.requestID, EventID: uuid.NewString(), ReadOnly: ctReadOnly(c.Op),
		Resources: resources, EventType: "AwsApiCall", ManagementEvent: true,
		RecipientAccountID: scope.account, EventCategory: "Management",
	}
	body, err := json.Marshal(ev)
	if err != nil {
		s.env.logger.Error("localaws: encode CloudTrail event", "op", c.Op, "err", err)
		return
	}
	s.trail.add(&ctRecord{id: ev.EventID, time: start, name: c.Op, source: ev.EventSource,
		readOnly: ev.ReadOnly, accessKey: c.AccessKey, username: ctUsername(who),
		resources: resources, json: string(body), scope: scope})
}

// ctReadOnly is CloudTrail's readOnly: the calls that change nothing.
func ctReadOnly(op string) bool {
	for _, p := range []string{"Get", "Describe", "List", "BatchGet", "Lookup"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// ctIdentity is who made the call. With IAM enforced it is the principal
// that signed it; without, every access key stands for a user of the
// server's account named after the key, so that callers stay apart in
// the record as they would on AWS. A call nobody signed, or signed by a
// key IAM does not know, is "Unknown" with what the request carried.
func (s *Server) ctIdentity(c *Call) ctUserIdentity {
	arn, account := c.Principal, c.account
	if s.iam == nil && c.AccessKey != "" {
		arn, account = "arn:aws:iam::"+s.env.accountID+":user/"+c.AccessKey, s.env.accountID
	}
	if arn == "" {
		return ctUserIdentity{Type: "Unknown", AccessKeyID: c.AccessKey}
	}
	id := ctUserIdentity{ARN: arn, AccountID: account, AccessKeyID: c.AccessKey}
	resource := arn[strings.LastIndex(arn, ":")+1:]
	switch {
	case resource == "root":
		id.Type, id.PrincipalID = "Root", account
	case strings.HasPrefix(resource, "role/"):
		id.Type, id.PrincipalID = "AssumedRole", ctPrincipalID("AROA", arn)
	default:
		id.Type, id.PrincipalID = "IAMUser", ctPrincipalID("AIDA", arn)
		id.UserName = resource[strings.LastIndex(resource, "/")+1:]
	}
	return id
}

// ctPrincipalID stands for IAM's unique id of a user (AIDA...) or role
// (AROA...): stable for an ARN, as IAM's is for the life of the entity.
func ctPrincipalID(prefix, arn string) string {
	return prefix + strings.ToUpper(strings.ReplaceAll(uuid.NewSHA1(uuid.NameSpaceURL, []byte(arn)).String(), "-", "")[:17])
}

// ctUsername is LookupEvents' Username: a user's name, a role's name (on
// AWS, the session's), "root" for the root.
func ctUsername(id ctUserIdentity) string {
	switch id.Type {
	case "Root":
		return "root"
	case "IAMUser":
		return id.UserName
	case "AssumedRole":
		return id.ARN[strings.LastIndex(id.ARN, "/")+1:]
	}
	return ""
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
