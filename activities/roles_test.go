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
