package activities

import (
	"strings"
	"testing"
)

func TestAlternateUser(t *testing.T) {
	for in, want := range map[string]string{
		"app":             "app_clone",
		"app_clone":       "app",
		"_clone":          "_clone_clone",
		"app_clone_clone": "app_clone",
	} {
		if got := alternateUser(in); got != want {
			t.Errorf("alternateUser(%q) = %q, want %q", in, got, want)
		}
		if alternateUser(alternateUser(in)) != in && in != "app_clone_clone" {
			t.Errorf("flip of %q is not an involution", in)
		}
	}
	if baseUser("app_clone") != "app" || baseUser("app") != "app" {
		t.Error("baseUser")
	}
}

func TestGrantStatements(t *testing.T) {
	stmts, err := grantStatements("app db", `we"ird`, []string{"CONNECT", "readonly", "ReadWrite", "create"})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(stmts, ";\n")
	for _, want := range []string{
		`GRANT CONNECT ON DATABASE "app db" TO "we""ird"`,
		`GRANT SELECT ON ALL TABLES IN SCHEMA public TO "we""ird"`,
		`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public`,
		`GRANT USAGE, CREATE ON SCHEMA public`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in\n%s", want, all)
		}
	}
	if _, err := grantStatements("db", "r", []string{"superuser"}); err == nil {
		t.Error("an unknown grant must be refused")
	}
}

func TestValidateAppUser(t *testing.T) {
	ok := AppUser{Name: "app", Strategy: StrategyAlternatingUsers, Grants: []string{"readonly"}}
	if err := validateAppUser(ok); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []AppUser{
		{Name: "App", Strategy: StrategySingleUser},
		{Name: "app;drop", Strategy: StrategySingleUser},
		{Name: "x_clone", Strategy: StrategySingleUser},
		{Name: strings.Repeat("a", 58), Strategy: StrategySingleUser},
		{Name: "app", Strategy: StrategyManagedMaster},
		{Name: "app", Strategy: StrategySingleUser, Grants: []string{"all"}},
	} {
		if err := validateAppUser(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if err := validateInstanceID("bad--id"); err == nil {
		t.Error("double hyphen accepted")
	}
	if err := validateStep(RotationStep{SecretID: "s", Token: "short", Strategy: StrategySingleUser}); err == nil {
		t.Error("short token accepted")
	}
}
