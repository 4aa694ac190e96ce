package activities

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

// TestNoPasswordForCleartextOrMD5 holds a fake server that asks for a
// cleartext or an MD5 password and records every byte the client sends
// after the request: credstage's login must send none (no password, not
// even a hash of one) and report the method, non-retryably.
func TestNoPasswordForCleartextOrMD5(t *testing.T) {
	for name, ask := range map[string]pgproto3.BackendMessage{
		"cleartext": &pgproto3.AuthenticationCleartextPassword{},
		"md5":       &pgproto3.AuthenticationMD5Password{Salt: [4]byte{1, 2, 3, 4}},
	} {
		t.Run(name, func(t *testing.T) {
			addr, sent := fakeAuthServer(t, ask)
			s := DBSecret{Host: "127.0.0.1", Port: addr.Port, DBName: "app", Username: "app",
				Password: "never-sent-7c1d", SSLMode: "disable"}
			a := &Activities{opts: Options{ConnectTimeout: 5 * time.Second}}
			cfg, err := a.connConfig("prod/app", s)
			if err != nil {
				t.Fatal(err)
			}
			_, connErr := pgx.ConnectConfig(context.Background(), cfg)
			if connErr == nil {
				t.Fatal("logged in to a server asking for " + name)
			}
			err = dbError(context.Background(), "secret prod/app", s.target(), appLogin, connErr, s.Password)
			if typ, nonRetryable := appErrType(t, err); typ != ErrAuthMethodRefused || !nonRetryable {
				t.Fatalf("type %s (non-retryable %v): %v", typ, nonRetryable, err)
			}
			if got := <-sent; len(got) != 0 {
				t.Fatalf("the client sent %d bytes after the password request (type %q)", len(got), got[0])
			}
			t.Logf("%v", err)
		})
	}
}

// fakeAuthServer accepts one connection, reads its startup message, asks
// for a password with ask and sends on sent whatever the client wrote
// next, until it hangs up.
func fakeAuthServer(t *testing.T, ask pgproto3.BackendMessage) (*net.TCPAddr, <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	sent := make(chan []byte, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			sent <- []byte("accept failed")
			return
		}
		defer conn.Close()
		be := pgproto3.NewBackend(conn, conn)
		if _, err := be.ReceiveStartupMessage(); err != nil {
			sent <- []byte("no startup message")
			return
		}
		be.Send(ask)
		if err := be.Flush(); err != nil {
			sent <- []byte("send failed")
			return
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		rest, _ := io.ReadAll(conn)
		sent <- rest
	}()
	return ln.Addr().(*net.TCPAddr), sent
}
