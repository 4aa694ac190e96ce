package localaws

import (
	"sync"
	"time"
)

// RequestEntry is one served AWS call. It never holds a request or response
// body, so no secret value can reach the log.
type RequestEntry struct {
	Time      time.Time `json:"time"`
	Service   string    `json:"service"`
	Op        string    `json:"op"`
	Action    string    `json:"action"` // IAM action, e.g. secretsmanager:GetSecretValue
	Resource  string    `json:"resource,omitempty"`
	AccessKey string    `json:"accessKey,omitempty"`
	// Region is the one the call was signed for, empty when unsigned
	// (the default Region's).
	Region string `json:"region,omitempty"`
	// Principal is the authenticated caller (its ARN) and Decision the IAM
	// outcome ("allow: identity policy", "deny: signature does not
	// match", ...); both empty when IAM is not enforced.
	Principal string `json:"principal,omitempty"`
	Decision  string `json:"decision,omitempty"`
	// Throttled says quota mode refused the call (Error is the service's
	// throttling code) and Quota names the family whose bucket was empty;
	// such a call reached no service.
	Throttled  bool    `json:"throttled,omitempty"`
	Quota      string  `json:"quota,omitempty"`
	Status     int     `json:"status"`
	Error      string  `json:"error,omitempty"` // AWS error code, empty on success
	DurationMS float64 `json:"durationMs"`
}

// RequestLog keeps the most recent calls in memory.
type RequestLog struct {
	mu      sync.Mutex
	entries []RequestEntry
	limit   int
}

const defaultRequestLogLimit = 200_000

func newRequestLog() *RequestLog { return &RequestLog{limit: defaultRequestLogLimit} }

func (l *RequestLog) add(c *Call, start time.Time, code string, status int) {
	if c == nil || c.Service == "" {
		return
	}
	e := RequestEntry{Time: start, Service: c.Service, Op: c.Op, Action: c.action(),
		Resource: c.Resource, AccessKey: c.AccessKey, Region: c.Region, Principal: c.Principal, Decision: c.Decision,
		Throttled: c.ThrottledBy != "", Quota: c.ThrottledBy, Status: status, Error: code,
		DurationMS: float64(time.Since(start).Microseconds()) / 1000}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) >= l.limit {
		l.entries = append(l.entries[:0], l.entries[len(l.entries)/2:]...)
	}
	l.entries = append(l.entries, e)
}

// Entries returns a copy of the log.
func (l *RequestLog) Entries() []RequestEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]RequestEntry(nil), l.entries...)
}

// Reset empties the log.
func (l *RequestLog) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
}
