package cli

import (
	"io"
	"os"

	"golang.org/x/term"
)

// terminalWidth reports whether w is an interactive terminal able to
// redraw (not TERM=dumb), and its width in columns.
func (a *app) terminalWidth(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok || a.env("TERM") == "dumb" || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		width = 80
	}
	return width, true
}
