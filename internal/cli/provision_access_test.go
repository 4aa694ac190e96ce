package cli

import (
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/credstage/credstage/internal/yamlnode"
)

const (
	appRole    = "arn:aws:iam::123456789012:role/orders-app"
	workerRole = "arn:aws:iam::123456789012:role/credstage-worker"
	cliRole    = "arn:aws:iam::123456789012:role/credstage-cli"
	adminRole  = "arn:aws:iam::123456789012:role/admin"
)

// TestProvisionReaders: a user with readers (its own, or --reader for
// every user) gets the SecretAccess of its secret; one without gets none.
func TestProvisionReaders(t *testing.T) {
	s, doc, err := loadProvisionSpec("testdata/provision/readers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	req, err := s.request(doc)
	if err != nil {
		t.Fatal(err)
	}
	app, reporting := req.Users[0].Access, req.Users[1].Access
	if app == nil || !slices.Equal(app.Readers, []string{appRole}) || app.Worker != workerRole || app.CLI != cliRole || app.BreakGlass != adminRole {
		t.Errorf("app's access %+v", app)
	}
	if reporting != nil {
		t.Errorf("reporting has no readers but got access %+v", reporting)
	}
	// Readers for every user come on top of a user's own.
	s.Readers = []string{"arn:aws:iam::123456789012:role/auditor"}
	req, err = s.request(doc)
	if err != nil {
		t.Fatal(err)
	}
	if got := req.Users[0].Access.Readers; len(got) != 2 || req.Users[1].Access == nil {
		t.Errorf("with --reader: %v, %+v", got, req.Users[1].Access)
	}
}

func TestProvisionReadersNeedThePrincipals(t *testing.T) {
	s := provisionSpec{Identifier: "orders-staging", Environment: "staging", DBName: "orders",
		Users:   []provisionUserSpec{{Name: "app"}, {Name: "ro"}},
		Readers: []string{appRole}, WorkerPrincipal: workerRole, BreakGlass: adminRole}
	_, err := s.request(nil)
	if err == nil || !strings.Contains(err.Error(), "user app, ro: CLI principal missing (--cli-principal)") ||
		strings.Count(err.Error(), "--cli-principal") != 1 {
		t.Errorf("missing CLI principal: %v", err)
	}
	s.CLIPrincipal = "credstage-cli"
	if _, err := s.request(nil); err == nil || !strings.Contains(err.Error(), `CLI principal "credstage-cli": want the ARN`) {
		t.Errorf("not an ARN: %v", err)
	}
	s.CLIPrincipal, s.Readers = cliRole, nil
	if _, err := s.request(nil); err == nil || !strings.Contains(err.Error(), "no user has any: give --reader") {
		t.Errorf("principals without readers: %v", err)
	}
	// In a file, the error is on the user's line.
	bad := &provisionSpec{Identifier: "orders-staging", Environment: "staging", DBName: "orders",
		Users:           []provisionUserSpec{{Name: "app", Readers: []string{"arn:aws:iam::123456789012:role/*"}}},
		WorkerPrincipal: workerRole, CLIPrincipal: cliRole, BreakGlass: adminRole}
	_, err = bad.request(&yamlnode.Doc{File: "p.yaml"})
	if err == nil || !strings.Contains(err.Error(), "p.yaml") || !strings.Contains(err.Error(), "users[0].readers: reader") {
		t.Errorf("file error: %v", err)
	}
}

func TestProvisionReaderFlags(t *testing.T) {
	base := []string{"provision", "--identifier", "orders-staging", "--environment", "staging", "--db-name", "orders",
		"--user", "app:single-user", "--reader", appRole}
	r := run(t, nil, append(base, "--worker-principal", workerRole)...)
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "--cli-principal") {
		t.Errorf("missing principals: %s", r)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	for _, args := range [][]string{
		append(base, "--worker-principal", workerRole, "--cli-principal", cliRole, "--break-glass", adminRole),
		// The file's principals, overridden by a flag.
		{"provision", "--file", "testdata/provision/readers.yaml", "--break-glass", "arn:aws:iam::123456789012:root"},
	} {
		if r := run(t, nil, append(args, "--address", addr)...); r.code != ExitUnreachable {
			t.Errorf("%v: %s", args, r)
		}
	}
}
