package pgsecret

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

// fakeServer is just enough of a PostgreSQL server for pgx, in the test
// process: it accepts one password at a time, asked in clear over
// loopback (no TLS, so tests connect with sslmode=disable). It answers
// each statement of a simple query with one int4 row holding 1, but for
// begin, commit and rollback, and a statement holding "raise 28P01",
// which fails with that code after the login. The extended protocol is
// refused at its Sync.
type fakeServer struct {
	ln net.Listener
	wg sync.WaitGroup

	mu       sync.Mutex
	accepted string
	tried    []string // passwords of the logins, in order
	queries  []string
}

func startFakeServer(t *testing.T, accepted string) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{ln: ln, accepted: accepted}
	f.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Go(func() {
				defer conn.Close()
				f.serve(conn)
			})
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		f.wg.Wait()
	})
	return f
}

func (f *fakeServer) port() int { return f.ln.Addr().(*net.TCPAddr).Port }

func (f *fakeServer) accept(password string) {
	f.mu.Lock()
	f.accepted = password
	f.mu.Unlock()
}

// logins returns the passwords tried since the last call.
func (f *fakeServer) logins() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := strings.Join(f.tried, ",")
	f.tried = nil
	return out
}

func (f *fakeServer) queryCount(q string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, x := range f.queries {
		if x == q {
			n++
		}
	}
	return n
}

func (f *fakeServer) serve(conn net.Conn) {
	be := pgproto3.NewBackend(conn, conn)
	startup, err := be.ReceiveStartupMessage()
	if _, ok := startup.(*pgproto3.StartupMessage); err != nil || !ok {
		return // a cancel request, or a client gone
	}
	be.Send(&pgproto3.AuthenticationCleartextPassword{})
	if be.Flush() != nil || be.SetAuthType(pgproto3.AuthTypeCleartextPassword) != nil {
		return
	}
	msg, err := be.Receive()
	pw, ok := msg.(*pgproto3.PasswordMessage)
	if err != nil || !ok {
		return
	}
	f.mu.Lock()
	f.tried = append(f.tried, pw.Password)
	refused := pw.Password != f.accepted
	f.mu.Unlock()
	if refused {
		be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "28P01", Message: `password authentication failed for user "app"`})
		_ = be.Flush()
		return
	}
	be.Send(&pgproto3.AuthenticationOk{})
	be.Send(&pgproto3.ParameterStatus{Name: "standard_conforming_strings", Value: "on"})
	be.Send(&pgproto3.ParameterStatus{Name: "client_encoding", Value: "UTF8"})
	be.Send(&pgproto3.BackendKeyData{ProcessID: 1, SecretKey: []byte{0, 0, 0, 1}})
	status := byte('I')
	be.Send(&pgproto3.ReadyForQuery{TxStatus: status})
	for be.Flush() == nil {
		msg, err := be.Receive()
		if err != nil {
			return
		}
		switch m := msg.(type) {
		case *pgproto3.Query:
			f.mu.Lock()
			f.queries = append(f.queries, m.String)
			f.mu.Unlock()
			for _, q := range strings.Split(m.String, ";") {
				status = f.answer(be, strings.ToLower(strings.TrimSpace(q)), status)
			}
			be.Send(&pgproto3.ReadyForQuery{TxStatus: status})
		case *pgproto3.Sync:
			be.Send(&pgproto3.ErrorResponse{Severity: "ERROR", Code: "0A000", Message: "the fake server speaks the simple protocol only"})
			be.Send(&pgproto3.ReadyForQuery{TxStatus: status})
		case *pgproto3.Terminate:
			return
		}
	}
}

// answer answers one statement and returns the transaction status after it.
func (f *fakeServer) answer(be *pgproto3.Backend, q string, status byte) byte {
	switch {
	case strings.Contains(q, "raise 28p01"):
		be.Send(&pgproto3.ErrorResponse{Severity: "ERROR", Code: "28P01", Message: "raised by the statement"})
		return status
	case strings.HasPrefix(q, "begin"):
		be.Send(&pgproto3.CommandComplete{CommandTag: []byte("BEGIN")})
		return 'T'
	case q == "commit" || q == "rollback":
		be.Send(&pgproto3.CommandComplete{CommandTag: []byte(strings.ToUpper(q))})
		return 'I'
	}
	be.Send(&pgproto3.RowDescription{Fields: []pgproto3.FieldDescription{{Name: []byte("?column?"), DataTypeOID: 23, DataTypeSize: 4, TypeModifier: -1}}})
	be.Send(&pgproto3.DataRow{Values: [][]byte{[]byte("1")}})
	be.Send(&pgproto3.CommandComplete{CommandTag: []byte("SELECT 1")})
	return status
}

// refusedLogin is a refused password as pgx reports it: a
// *pgconn.ConnectError holding the server's 28P01.
func refusedLogin(t *testing.T) error {
	t.Helper()
	f := startFakeServer(t, "the right one")
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=%d user=app dbname=orders sslmode=disable", f.port()))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password = "a wrong one"
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err == nil {
		conn.Close(context.Background())
		t.Fatal("the fake server accepted a wrong password")
	}
	return err
}
