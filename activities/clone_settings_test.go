package activities

import (
	"slices"
	"testing"
)

func TestSplitIdentifierList(t *testing.T) {
	for in, want := range map[string][]string{
		`"$user", public`:    {"$user", "public"},
		`a,B , "C ""d"", e"`: {"a", "b", `C "d", e`},
		`""`:                 {""},
		"  ":                 nil,
		`"Weird, Schema"`:    {"Weird, Schema"},
	} {
		got, err := splitIdentifierList(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("splitIdentifierList(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`"open`, `a b`, `a,,b`, `a,`} {
		if got, err := splitIdentifierList(bad); err == nil {
			t.Errorf("splitIdentifierList(%q) = %q, want an error", bad, got)
		}
	}
	if v, _ := settingValueSQL("search_path", `"$user", "it's"`); v != `'$user', 'it''s'` {
		t.Errorf("search_path value SQL %s", v)
	}
	if v, _ := settingValueSQL("statement_timeout", `5s'; DROP ROLE x; --`); v != `'5s''; DROP ROLE x; --'` {
		t.Errorf("literal value SQL %s", v)
	}
	if n := settingNameSQL("myapp.Tenant"); n != `"myapp"."Tenant"` {
		t.Errorf("name SQL %s", n)
	}
}
