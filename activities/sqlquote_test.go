package activities

import (
	"testing"
)

func TestQuoteLiteral(t *testing.T) {
	cases := map[string]string{
		"plain":                       `'plain'`,
		"":                            `''`,
		"it's":                        `'it''s'`,
		"'; DROP ROLE postgres; --":   `'''; DROP ROLE postgres; --'`,
		`back\slash`:                  `E'back\\slash'`,
		`\'; DROP TABLE x; --`:        `E'\\''; DROP TABLE x; --'`,
		`''\\''`:                      `E'''''\\\\'''''`,
		"$$dollar$$":                  `'$$dollar$$'`,
		"new\nline\ttab":              "'new\nline\ttab'",
		"ünïcödé ✓":                   `'ünïcödé ✓'`,
		`"double" quotes`:             `'"double" quotes'`,
		"E'x'":                        `'E''x'''`,
		"semi;colon/*comment*/--dash": `'semi;colon/*comment*/--dash'`,
	}
	for in, want := range cases {
		got, err := quoteLiteral(in)
		if err != nil || got != want {
			t.Errorf("quoteLiteral(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"nul\x00byte", "\x00", "bad\xffutf8"} {
		if got, err := quoteLiteral(bad); err == nil {
			t.Errorf("quoteLiteral(%q) = %q, want an error", bad, got)
		}
	}
}

func TestQuoteIdent(t *testing.T) {
	for in, want := range map[string]string{
		"app":                 `"app"`,
		`we"ird`:              `"we""ird"`,
		`x"; DROP ROLE y; --`: `"x""; DROP ROLE y; --"`,
		"Mixed Case":          `"Mixed Case"`,
	} {
		if got := quoteIdent(in); got != want {
			t.Errorf("quoteIdent(%q) = %q, want %q", in, got, want)
		}
	}
}
