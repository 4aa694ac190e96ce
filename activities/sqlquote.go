package activities

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// ALTER ROLE and CREATE ROLE take no bind parameters, so passwords go into
// the statement as literals. quoteLiteral is the one place that builds them.

var errBadLiteral = errors.New("value cannot be a SQL literal (NUL byte or invalid UTF-8)")

// quoteLiteral quotes s as a SQL string constant that means exactly s
// whatever standard_conforming_strings is: quotes are doubled, and when s
// has a backslash it becomes an E” string with backslashes doubled (as
// libpq's PQescapeLiteral does). NUL cannot be sent at all; invalid UTF-8
// would be refused by the server with the bytes quoted in the error.
func quoteLiteral(s string) (string, error) {
	if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
		return "", errBadLiteral
	}
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		q = "E'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
	}
	return q, nil
}

// quoteIdent quotes a role or database name as an identifier.
func quoteIdent(name string) string { return pgx.Identifier{name}.Sanitize() }
