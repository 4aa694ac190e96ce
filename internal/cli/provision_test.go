package cli

import (
	"net"
	"strings"
	"testing"

	"github.com/credstage/credstage/activities"
)

func TestProvisionFileErrorsHaveLines(t *testing.T) {
	r := run(t, nil, "provision", "--file", "testdata/provision/bad.yaml", "--address", "127.0.0.1:1")
	want := "testdata/provision/bad.yaml:6: users[0].strategy: unknown strategy \"rds-managed-master\" for an application user (want single-user or alternating-users)\n" +
		"testdata/provision/bad.yaml:7: users[0].grants[0]: unknown grant \"everything\" (want CONNECT, readonly, readwrite, create)\n"
	if r.code != ExitBadInput || r.stderr != want {
		t.Errorf("got %s\nwant stderr %q", r, want)
	}
	r = run(t, nil, "provision", "--file", "testdata/provision/nope.yaml")
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("missing file: %s", r)
	}
}

// TestProvisionValidInputReachesTemporal: a valid request gets as far as
// dialing (a closed port: exit 3), so validation let it through.
func TestProvisionValidInputReachesTemporal(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	for _, args := range [][]string{
		{"--file", "testdata/provision/good.yaml"},
		{"--file", "testdata/provision/bad.yaml", "--user", "app:single-user:CONNECT"}, // flags replace the file's users
		{"--identifier", "orders-staging", "--environment", "staging", "--db-name", "orders", "--user", "app:alternating-users:readwrite,create"},
	} {
		r := run(t, nil, append(append([]string{"provision"}, args...), "--address", addr)...)
		if r.code != ExitUnreachable {
			t.Errorf("%v: %s", args, r)
		}
	}
}

func TestProvisionRequestFromFlags(t *testing.T) {
	u, err := parseUserFlag("app:alternating-users:readwrite,create")
	if err != nil {
		t.Fatal(err)
	}
	s := provisionSpec{Identifier: "orders-staging", Environment: "staging", DBName: "orders", AllocatedStorage: 30, Users: []provisionUserSpec{u, {Name: "ro"}}}
	req, err := s.request(nil)
	if err != nil {
		t.Fatal(err)
	}
	if req.AllocatedStorage != 30 || len(req.Users) != 2 || req.Users[0].Strategy != activities.StrategyAlternatingUsers ||
		strings.Join(req.Users[0].Grants, ",") != "readwrite,create" || req.Users[1].Strategy != activities.StrategySingleUser {
		t.Errorf("request %+v", req)
	}
	bad := provisionSpec{Identifier: "1bad", DBName: "x-y"}
	_, err = bad.request(nil)
	for _, want := range []string{"--identifier: want an RDS identifier", "--environment: required", "--db-name: want a database name", "--user: at least one application user"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

// TestProvisionAdopt: --adopt names the instance or a user of the
// provisioning; anything else is bad input, and --password-stdin needs
// an adopted user.
func TestProvisionAdopt(t *testing.T) {
	s := provisionSpec{Identifier: "orders-staging", Environment: "staging", DBName: "orders",
		Users: []provisionUserSpec{{Name: "app"}, {Name: "legacy"}}, Adopt: []string{"instance", "user:legacy"}}
	req, err := s.request(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !req.AdoptInstance || req.Users[0].Adopt || !req.Users[1].Adopt {
		t.Errorf("request %+v", req)
	}
	s.Adopt = []string{"user:nobody", "everything"}
	_, err = s.request(nil)
	for _, want := range []string{`--adopt: "user:nobody" names no user`, `--adopt: want instance or user:NAME, got "everything"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	base := []string{"provision", "--identifier", "orders-staging", "--environment", "staging", "--db-name", "orders", "--user", "app:single-user"}
	r := run(t, nil, append(base, "--password-stdin", "--wait")...)
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "no user is adopted") {
		t.Errorf("nobody adopted: %s", r)
	}
}
