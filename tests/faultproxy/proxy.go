// Package faultproxy is a TCP proxy for fault tests: it stands between
// a client and PostgreSQL and, switched at run time, lets traffic pass,
// refuses it, black-holes it, or loses the server's reply to one chosen
// statement after the server has acted on it. It reads the byte stream
// only as far as these faults need: client writes are searched for byte
// patterns, and server messages are framed (type byte, int32 length) only
// to see where a reply ends.
package faultproxy

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Mode is what the proxy does with traffic.
type Mode int

const (
	// Pass forwards both ways.
	Pass Mode = iota
	// Refuse closes the listener, so new connections get ECONNREFUSED,
	// and drops every open connection: a database that went down.
	Refuse
	// BlackHole accepts connections but forwards nothing either way and
	// answers nothing: a network partition. Data held back is delivered
	// once the proxy passes again, as TCP retransmission would after the
	// partition heals.
	BlackHole
)

func (m Mode) String() string {
	switch m {
	case Pass:
		return "pass"
	case Refuse:
		return "refuse"
	case BlackHole:
		return "black-hole"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Stats are the proxy's counters.
type Stats struct {
	Accepted    int // client connections accepted
	Forwarded   int // client connections that reached the server
	Dropped     int // connections dropped by Refuse or a lost reply
	RepliesLost int // replies withheld after the server acted (LoseReply)
	Switches    int // mode switches fired by SwitchOn
}

// trigger is a pattern armed by LoseReply or SwitchOn; it fires once.
type trigger struct {
	pattern []byte
	then    Mode
	lose    bool // LoseReply: withhold the reply, then switch
}

// Proxy forwards 127.0.0.1:<port> to one upstream address.
type Proxy struct {
	upstream string
	addr     string // fixed at start so Refuse can listen on it again
	// cert, when set, makes the proxy end a client's TLS with it and open
	// its own to the server, so that it sees the statements (NewTLS).
	cert *tls.Certificate

	mu       sync.Mutex
	mode     Mode
	changed  chan struct{} // closed and replaced on every mode change
	ln       net.Listener
	conns    map[*conn]struct{}
	triggers []*trigger
	watched  map[string]int // client writes containing each watched pattern
	stats    Stats
	closed   bool
	wg       sync.WaitGroup
}

// Start starts a proxy to upstream (host:port), in Pass mode; it is
// stopped, with every connection and goroutine it started, in t.Cleanup.
func Start(t testing.TB, upstream string) *Proxy {
	t.Helper()
	p, err := New(upstream)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// NewTLS is New for a server that speaks TLS: the proxy answers a client's
// SSLRequest itself, with cert (give it the server's own certificate, so
// that a client checking the host name and binding SCRAM to the channel
// still logs in), and opens its own TLS connection to the server. A
// client that sends no SSLRequest is forwarded in plaintext, for the
// server to refuse or take.
func NewTLS(upstream string, cert tls.Certificate) (*Proxy, error) {
	p, err := New(upstream)
	if err == nil {
		p.cert = &cert
	}
	return p, err
}

// New is Start for a caller that stops the proxy itself (Close).
func New(upstream string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{upstream: upstream, addr: ln.Addr().String(), changed: make(chan struct{}),
		conns: map[*conn]struct{}{}, watched: map[string]int{}}
	p.serve(ln)
	return p, nil
}

// Addr is the address clients connect to.
func (p *Proxy) Addr() string { return p.addr }

// Host and Port split Addr, for a secret's host and port.
func (p *Proxy) Host() string {
	h, _, _ := net.SplitHostPort(p.addr)
	return h
}

func (p *Proxy) Port() int {
	a, _ := net.ResolveTCPAddr("tcp", p.addr)
	return a.Port
}

// Mode is the current mode.
func (p *Proxy) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// Set switches the proxy to m. Leaving Refuse listens on the same address
// again; it fails only when another socket took the port meanwhile.
func (p *Proxy) Set(m Mode) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.setLocked(m)
}

func (p *Proxy) setLocked(m Mode) error {
	if p.closed || m == p.mode {
		return nil
	}
	prev := p.mode
	p.mode = m
	close(p.changed)
	p.changed = make(chan struct{})
	switch {
	case m == Refuse:
		if p.ln != nil {
			_ = p.ln.Close()
			p.ln = nil
		}
		for c := range p.conns {
			c.closeLocked(p)
		}
	case prev == Refuse:
		var ln net.Listener
		var err error
		for range 50 {
			if ln, err = net.Listen("tcp", p.addr); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			return fmt.Errorf("faultproxy: listen again on %s: %w", p.addr, err)
		}
		p.serveLocked(ln)
	}
	return nil
}

// LoseReply arms a one-shot fault: the next client write containing
// pattern is forwarded, the server's reply to it is awaited to its end
// (CommandComplete or ErrorResponse, then ReadyForQuery: the server has
// acted and said so), and then the client's connection is closed without
// that reply; the proxy switches to then at the same moment.
func (p *Proxy) LoseReply(pattern string, then Mode) {
	p.arm(&trigger{pattern: []byte(pattern), then: then, lose: true})
}

// SwitchOn arms a one-shot switch: the next client write containing
// pattern switches the proxy to m before it is forwarded (so under Refuse
// it never reaches the server, under BlackHole it waits for Pass).
func (p *Proxy) SwitchOn(pattern string, m Mode) {
	p.arm(&trigger{pattern: []byte(pattern), then: m})
}

func (p *Proxy) arm(tr *trigger) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.triggers = append(p.triggers, tr)
}

// Armed is how many triggers have not fired yet.
func (p *Proxy) Armed() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.triggers)
}

// Watch counts, from now on, the client writes containing pattern (see
// Seen): a login's startup message holds "user\x00<name>\x00".
func (p *Proxy) Watch(pattern string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.watched[pattern]; !ok {
		p.watched[pattern] = 0
	}
}

// Seen is how many client writes contained a watched pattern.
func (p *Proxy) Seen(pattern string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.watched[pattern]
}

// Stats returns the counters.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Close stops the proxy: the listener, every connection, every goroutine.
func (p *Proxy) Close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		if p.ln != nil {
			_ = p.ln.Close()
			p.ln = nil
		}
		for c := range p.conns {
			c.closeLocked(p)
		}
		close(p.changed)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.serveLocked(ln)
}

func (p *Proxy) serveLocked(ln net.Listener) {
	p.ln = ln
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed by Refuse or Close
			}
			p.accept(c)
		}
	}()
}

// conn is one client connection and, once dialled, its server side.
type conn struct {
	client, server net.Conn
	closed         bool
	// lose: a client write carrying a LoseReply pattern went to the
	// server; the reply to it must not reach the client.
	lose *trigger
	// sslRequest: the client opened with SSLRequest or GSSENCRequest,
	// which the server answers with one unframed byte.
	sslRequest bool
}

// closeLocked closes both sides; p.mu is held.
func (c *conn) closeLocked(p *Proxy) {
	if c.closed {
		return
	}
	c.closed = true
	_ = c.client.Close()
	if c.server != nil {
		_ = c.server.Close()
	}
	delete(p.conns, c)
	if !p.closed {
		p.stats.Dropped++
	}
}

func (p *Proxy) accept(client net.Conn) {
	p.mu.Lock()
	if p.closed || p.mode == Refuse {
		p.mu.Unlock()
		_ = client.Close()
		return
	}
	c := &conn{client: client}
	p.conns[c] = struct{}{}
	p.stats.Accepted++
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		p.run(c)
	}()
}

// wait blocks while the proxy black-holes, and reports whether c may still
// forward (it was not dropped, nor the proxy closed).
func (p *Proxy) wait(c *conn) bool {
	for {
		p.mu.Lock()
		mode, changed, gone := p.mode, p.changed, c.closed || p.closed
		p.mu.Unlock()
		if gone {
			return false
		}
		if mode != BlackHole {
			return true
		}
		<-changed
	}
}

func (p *Proxy) run(c *conn) {
	// The server is dialled only once the proxy passes: a black-holed
	// connection must not reach it.
	if !p.wait(c) {
		return
	}
	var server net.Conn
	var err error
	if p.cert != nil {
		server, err = p.terminateTLS(c)
	} else {
		server, err = net.DialTimeout("tcp", p.upstream, 10*time.Second)
	}
	p.mu.Lock()
	if err != nil || c.closed || p.closed {
		if err == nil {
			_ = server.Close()
		}
		c.closeLocked(p)
		p.mu.Unlock()
		return
	}
	c.server = server
	p.stats.Forwarded++
	p.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.fromClient(c) }()
	go func() { defer wg.Done(); p.fromServer(c) }()
	wg.Wait()
	p.mu.Lock()
	if !c.closed {
		c.closed = true
		_ = c.client.Close()
		_ = c.server.Close()
		delete(p.conns, c)
	}
	p.mu.Unlock()
}

// sslRequestCode opens a PostgreSQL connection that asks for TLS.
const sslRequestCode = 80877103

// terminateTLS reads the client's first message: an SSLRequest is answered
// here and the client's TLS ended with p.cert (c.client becomes the TLS
// connection), then the server is dialled and asked for TLS in turn. Any
// other first message is sent on to the server as it came.
func (p *Proxy) terminateTLS(c *conn) (net.Conn, error) {
	deadline := time.Now().Add(10 * time.Second)
	_ = c.client.SetDeadline(deadline)
	first := make([]byte, 8)
	if _, err := io.ReadFull(c.client, first); err != nil {
		return nil, err
	}
	server, err := net.DialTimeout("tcp", p.upstream, 10*time.Second)
	if err != nil {
		return nil, err
	}
	_ = server.SetDeadline(deadline)
	fail := func(err error) (net.Conn, error) { _ = server.Close(); return nil, err }
	if binary.BigEndian.Uint32(first) != 8 || binary.BigEndian.Uint32(first[4:]) != sslRequestCode {
		if _, err := server.Write(first); err != nil {
			return fail(err)
		}
		_ = c.client.SetDeadline(time.Time{})
		_ = server.SetDeadline(time.Time{})
		return server, nil
	}
	if _, err := c.client.Write([]byte{'S'}); err != nil {
		return fail(err)
	}
	client := tls.Server(c.client, &tls.Config{Certificates: []tls.Certificate{*p.cert}, MinVersion: tls.VersionTLS12})
	if err := client.Handshake(); err != nil {
		return fail(err)
	}
	if _, err := server.Write(first); err != nil {
		return fail(err)
	}
	answer := make([]byte, 1)
	if _, err := io.ReadFull(server, answer); err != nil || answer[0] != 'S' {
		return fail(fmt.Errorf("faultproxy: the server did not take TLS (%q, %v)", answer, err))
	}
	// The proxy's own hop is not what the test checks: the client's is.
	upstream := tls.Client(server, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12})
	if err := upstream.Handshake(); err != nil {
		return fail(err)
	}
	_ = c.client.SetDeadline(time.Time{})
	_ = server.SetDeadline(time.Time{})
	p.mu.Lock()
	c.client = client
	p.mu.Unlock()
	return upstream, nil
}

// fromClient forwards client writes, firing the triggers whose pattern a
// write holds. The tail of the previous write is searched with the next,
// so a pattern split across reads still matches.
func (p *Proxy) fromClient(c *conn) {
	defer p.halfClose(c)
	buf := make([]byte, 64<<10)
	var tail []byte
	first := true
	for {
		n, err := c.client.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			window := append(tail, chunk...)
			p.mu.Lock()
			if first && len(chunk) >= 8 && binary.BigEndian.Uint32(chunk) == 8 {
				code := binary.BigEndian.Uint32(chunk[4:])
				c.sslRequest = code == 80877103 || code == 80877104
			}
			first = false
			for pat := range p.watched {
				if bytes.Contains(window, []byte(pat)) {
					p.watched[pat]++
				}
			}
			for i, tr := range p.triggers {
				if !bytes.Contains(window, tr.pattern) {
					continue
				}
				p.triggers = append(p.triggers[:i:i], p.triggers[i+1:]...)
				if tr.lose {
					c.lose = tr
				} else {
					p.stats.Switches++
					_ = p.setLocked(tr.then)
				}
				break
			}
			p.mu.Unlock()
			tail = append(tail[:0], window[max(0, len(window)-256):]...)
			if !p.wait(c) {
				return
			}
			if _, werr := c.server.Write(chunk); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// fromServer forwards the server's messages, framing them to find where
// the reply to a LoseReply statement ends.
func (p *Proxy) fromServer(c *conn) {
	defer p.halfClose(c)
	buf := make([]byte, 64<<10)
	var f framer
	first := true
	for {
		n, err := c.server.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			p.mu.Lock()
			tr, unframed := c.lose, first && c.sslRequest
			p.mu.Unlock()
			first = false
			if unframed && (chunk[0] == 'S' || chunk[0] == 'G') {
				// TLS or GSS from here on: nothing more can be framed,
				// so a LoseReply never fires on this connection.
				f.opaque = true
			}
			done := false
			framed := chunk
			if unframed {
				framed = chunk[1:]
			}
			f.feed(framed, func(typ byte) {
				if tr == nil {
					return
				}
				switch typ {
				case 'C', 'E':
					f.completed = true
				case 'Z':
					done = done || f.completed
				}
			})
			if done {
				p.mu.Lock()
				p.stats.RepliesLost++
				c.closeLocked(p)
				_ = p.setLocked(tr.then)
				p.mu.Unlock()
				return
			}
			if !p.wait(c) {
				return
			}
			if _, werr := c.client.Write(chunk); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// halfClose ends the other direction once one side has stopped: a
// connection with one dead half is of no use to PostgreSQL's protocol.
func (p *Proxy) halfClose(c *conn) {
	_ = c.client.Close()
	_ = c.server.Close()
}

// framer splits the server's byte stream into messages: a type byte and
// an int32 length that counts itself. completed records a CommandComplete
// or ErrorResponse seen since a LoseReply statement went out.
type framer struct {
	opaque    bool
	hdr       [5]byte
	have      int // header bytes read
	body      int // body bytes still to skip
	completed bool
}

func (f *framer) feed(b []byte, onMessage func(typ byte)) {
	for len(b) > 0 && !f.opaque {
		if f.body > 0 {
			k := min(f.body, len(b))
			f.body -= k
			b = b[k:]
			continue
		}
		k := copy(f.hdr[f.have:], b)
		f.have += k
		b = b[k:]
		if f.have < len(f.hdr) {
			return
		}
		f.have = 0
		length := int(binary.BigEndian.Uint32(f.hdr[1:]))
		f.body = max(0, length-4)
		onMessage(f.hdr[0])
	}
}
