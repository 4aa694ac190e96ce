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
// puts one problem per line, the first MaxErrors of them.
type Errors []*Error

// MaxErrors bounds the problems an Errors prints (and that a pass needs to
// find before it may stop): beyond it, a file is not worth reading
// problem by problem.
const MaxErrors = 50

func (es Errors) Error() string {
	shown := es
	if len(shown) > MaxErrors+1 { // room for a pass's own "stopped here"
		shown = shown[:MaxErrors]
	}
	lines := make([]string, len(shown), len(shown)+1)
	for i, e := range shown {
		lines[i] = e.Error()
	}
	if more := len(es) - len(shown); more > 0 {
		lines = append(lines, fmt.Sprintf("... and %d more problems", more))
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
