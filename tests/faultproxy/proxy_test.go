package faultproxy

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fakeServer answers every client write with CommandComplete and
// ReadyForQuery, like PostgreSQL answering a simple query, and counts the
// writes it received (what it "acted on").
type fakeServer struct {
	ln       net.Listener
	received atomic.Int32
}

func startFake(t *testing.T) *fakeServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{ln: ln}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
					s.received.Add(1)
					if _, err := c.Write(reply()); err != nil {
						return
					}
				}
			}()
		}
	}()
	return s
}

func message(typ byte, body string) []byte {
	b := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(4+len(body)))
	return append(b, body...)
}

func reply() []byte {
	return append(message('C', "ALTER ROLE\x00"), message('Z', "I")...)
}

func query(sql string) []byte { return message('Q', sql+"\x00") }

// roundTrip sends a query and reads the whole reply, or fails within d.
func roundTrip(c net.Conn, sql string, d time.Duration) error {
	_ = c.SetDeadline(time.Now().Add(d))
	if _, err := c.Write(query(sql)); err != nil {
		return err
	}
	_, err := io.ReadFull(c, make([]byte, len(reply())))
	return err
}

func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestPassRefuseBlackHole(t *testing.T) {
	srv := startFake(t)
	p := Start(t, srv.ln.Addr().String())
	c := dial(t, p)
	if err := roundTrip(c, "SELECT 1", time.Second); err != nil {
		t.Fatalf("pass: %v", err)
	}

	if err := p.Set(Refuse); err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(c, "SELECT 1", time.Second); err == nil {
		t.Fatal("refuse: the open connection still answered")
	}
	if _, err := net.Dial("tcp", p.Addr()); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("refuse: dial got %v, want ECONNREFUSED", err)
	}
	if err := p.Set(Pass); err != nil {
		t.Fatal(err)
	}
	c = dial(t, p)
	if err := roundTrip(c, "SELECT 1", time.Second); err != nil {
		t.Fatalf("pass after refuse: %v", err)
	}

	// Held, not lost: the partition heals and the reply arrives.
	_ = p.Set(BlackHole)
	fresh := dial(t, p)
	before := srv.received.Load()
	if err := roundTrip(c, "SELECT 2", 300*time.Millisecond); err == nil {
		t.Fatal("black-hole: the open connection answered")
	}
	if err := roundTrip(fresh, "SELECT 3", 300*time.Millisecond); err == nil {
		t.Fatal("black-hole: a new connection answered")
	}
	if srv.received.Load() != before {
		t.Fatal("black-hole: the server received data")
	}
	_ = p.Set(Pass)
	_ = fresh.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.ReadFull(fresh, make([]byte, len(reply()))); err != nil {
		t.Fatalf("after the black-hole: %v", err)
	}
	if st := p.Stats(); st.Accepted != 3 || st.Forwarded != 3 || st.Dropped != 1 {
		t.Errorf("stats %+v, want 3 accepted, 3 forwarded, 1 dropped", st)
	}
}

func TestLoseReply(t *testing.T) {
	srv := startFake(t)
	p := Start(t, srv.ln.Addr().String())
	p.Watch("ALTER ROLE")
	p.LoseReply(`ALTER ROLE "app"`, Refuse)
	c := dial(t, p)
	if err := roundTrip(c, "SELECT 1", time.Second); err != nil {
		t.Fatalf("before the pattern: %v", err)
	}
	if err := roundTrip(c, `ALTER ROLE "app" PASSWORD 'x'`, 2*time.Second); err == nil {
		t.Fatal("the reply was not lost")
	} else if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection was not closed: %v", err)
	}
	if srv.received.Load() != 2 {
		t.Fatalf("the server received %d writes, want 2: it must act before the reply is lost", srv.received.Load())
	}
	if st := p.Stats(); st.RepliesLost != 1 || p.Mode() != Refuse || p.Seen("ALTER ROLE") != 1 || p.Armed() != 0 {
		t.Fatalf("stats %+v mode %s seen %d armed %d", st, p.Mode(), p.Seen("ALTER ROLE"), p.Armed())
	}
}

func TestSwitchOn(t *testing.T) {
	srv := startFake(t)
	p := Start(t, srv.ln.Addr().String())
	p.SwitchOn("pg_sleep", BlackHole)
	c := dial(t, p)
	if err := roundTrip(c, "SELECT pg_sleep(1)", 300*time.Millisecond); err == nil {
		t.Fatal("the switch did not hold the statement")
	}
	if srv.received.Load() != 0 {
		t.Fatal("the statement reached the server under the black-hole")
	}
	_ = p.Set(Pass)
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.ReadFull(c, make([]byte, len(reply()))); err != nil {
		t.Fatalf("after the black-hole: %v", err)
	}
	if p.Stats().Switches != 1 {
		t.Fatalf("stats %+v", p.Stats())
	}
}
