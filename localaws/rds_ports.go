package localaws

import "sync"

// rdsPorts records which scope's instance holds each port. Every account
// and Region has its own rdsService (scope.go), and each only knows its
// own instances; a stopped instance's port is free in the kernel but
// still the instance's, so without this two Regions could be handed the
// same one. Lock order: an rdsService's mu, then this mu.
type rdsPorts struct {
	mu    sync.Mutex
	owner map[int]*rdsService
}

func newRDSPorts() *rdsPorts { return &rdsPorts{owner: map[int]*rdsService{}} }

// heldByOther reports whether another scope's instance holds port.
func (p *rdsPorts) heldByOther(port int, r *rdsService) bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.owner[port]
	return o != nil && o != r
}

func (p *rdsPorts) claim(port int, r *rdsService) {
	if p == nil || port == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.owner[port] = r
}

// release gives port back once r's instance holding it is gone.
func (p *rdsPorts) release(port int, r *rdsService) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.owner[port] == r {
		delete(p.owner, port)
	}
}
