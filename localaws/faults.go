package localaws

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Fault makes matching calls fail or slow down. Tests inject faults to prove
// retries and rollbacks: through Server.Faults() in-process, or by POSTing
// the JSON form of a Fault to /_localaws/faults.
type Fault struct {
	ID string `json:"id,omitempty"`
	// Service is the signing name: "secretsmanager", "rds" or "monitoring".
	// Empty matches every service.
	Service string `json:"service,omitempty"`
	// Op is the operation name (e.g. "GetSecretValue"); empty matches all.
	Op string `json:"op,omitempty"`
	// Resource, when set, matches calls whose resource (secret id or ARN,
	// instance identifier, alarm, namespace) contains it.
	Resource string `json:"resource,omitempty"`
	// AccessKey, when set, matches only calls signed with this access key
	// id, so a test can fault the worker's calls and not its own checks.
	AccessKey string `json:"accessKey,omitempty"`
	// Region, when set, matches only calls signed for this Region, so a
	// test can fault one Region's calls (scope.go).
	Region string `json:"region,omitempty"`
	// Code and Status are the error returned; an empty Code injects only
	// Latency. Status defaults to 400, or 500 for InternalFailure and
	// ServiceUnavailable, and 400 with Code ThrottlingException.
	Code    string `json:"code,omitempty"`
	Status  int    `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	// Latency is added before the call is served (or fails).
	Latency time.Duration `json:"latency,omitempty"`
	// Count is how many matching calls the fault affects; 0 means every
	// call until the fault is removed.
	Count int `json:"count,omitempty"`
	// DropReply serves the call (it acts) and then closes the connection
	// without an answer: the reply lost after the server acted, which
	// the caller sees as a connection reset and may retry. Code is
	// ignored.
	DropReply bool `json:"dropReply,omitempty"`
}

// Faults holds the active faults.
type Faults struct {
	mu     sync.Mutex
	faults []*Fault
	hits   map[string]int
}

func newFaults() *Faults { return &Faults{hits: map[string]int{}} }

// Add activates a fault and returns its id.
func (f *Faults) Add(fault Fault) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fault.ID == "" {
		fault.ID = uuid.NewString()
	}
	if fault.Code != "" && fault.Status == 0 && !fault.DropReply {
		fault.Status = defaultFaultStatus(fault.Code)
	}
	f.faults = append(f.faults, &fault)
	return fault.ID
}

// Remove deactivates one fault.
func (f *Faults) Remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.faults {
		if x.ID == id {
			f.faults = append(f.faults[:i], f.faults[i+1:]...)
			return
		}
	}
}

// Clear removes every fault.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

// Hits is how many calls a fault has affected so far.
func (f *Faults) Hits(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[id]
}

// List returns the active faults.
func (f *Faults) List() []Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Fault, 0, len(f.faults))
	for _, x := range f.faults {
		out = append(out, *x)
	}
	return out
}

func defaultFaultStatus(code string) int {
	switch code {
	case "InternalFailure", "InternalServiceError", "InternalServiceFault":
		return http.StatusInternalServerError
	case "ServiceUnavailable":
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// apply sleeps and/or fails the call when an active fault matches it;
// dropReply says the call is to be served and its answer lost.
func (f *Faults) apply(ctx context.Context, c *Call) (dropReply bool, err error) {
	fault := f.match(c)
	if fault == nil {
		return false, nil
	}
	if fault.Latency > 0 {
		t := time.NewTimer(fault.Latency)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		case <-t.C:
		}
	}
	if fault.DropReply || fault.Code == "" {
		return fault.DropReply, nil
	}
	msg := fault.Message
	if msg == "" {
		msg = "injected fault " + fault.Code
	}
	fault500 := "Sender"
	if fault.Status >= 500 {
		fault500 = "Receiver"
	}
	return false, &APIError{Code: fault.Code, Message: msg, Status: fault.Status, Fault: fault500}
}

func (f *Faults) match(c *Call) *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.faults {
		if x.Service != "" && x.Service != c.Service {
			continue
		}
		if x.Op != "" && x.Op != c.Op {
			continue
		}
		if x.Resource != "" && !containsFold(c.Resource, x.Resource) {
			continue
		}
		if x.AccessKey != "" && x.AccessKey != c.AccessKey {
			continue
		}
		if x.Region != "" && x.Region != c.Region {
			continue
		}
		f.hits[x.ID]++
		if x.Count > 0 {
			x.Count--
			if x.Count == 0 {
				f.faults = append(f.faults[:i], f.faults[i+1:]...)
			}
		}
		copied := *x
		return &copied
	}
	return nil
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
