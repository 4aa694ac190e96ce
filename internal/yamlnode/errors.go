package yamlnode

import (
	"fmt"
	"strings"
)

// Error is one problem in a file, located as precisely as the YAML allows.
type Error struct {
	File string
	Line int    // 0 when unknown
	Path string // field path such as stages[1].targets[0].strategy; may be empty
	Msg  string
}

// Error renders "file:line: path: cause", the form editors and CI logs
// turn into links.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one pass, in file order; its message
// puts one problem per line.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns nil for no errors, so callers can `return errs.Err()`.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}
