package plan

import (
	"fmt"
	"io"
	"os"

	"github.com/credstage/credstage/internal/yamlnode"
)

// Parsed is a plan file that passed the checks needing no AWS call. It
// remembers where each field was written so later passes (Resolve,
// Check) report file:line too.
type Parsed struct {
	Spec Spec
	doc  *yamlnode.Doc
}

// File is the path the plan was read from, as the user wrote it.
func (p *Parsed) File() string { return p.doc.File }

// MaxFileSize bounds a plan file: a plan lists secrets by name, and even
// tens of thousands of them fit; anything larger is a mistake (the wrong
// file) that would otherwise be parsed and checked target by target.
const MaxFileSize = 1 << 20

// Load reads and checks the plan file at path.
func Load(path string) (*Parsed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read plan: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return nil, &yamlnode.Error{File: path, Msg: "not a plan file (a directory or a device); give the path of a YAML plan"}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read plan: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, &yamlnode.Error{File: path, Msg: fmt.Sprintf("the plan file is larger than %d KiB; is it the right file?", MaxFileSize>>10)}
	}
	return Parse(path, data)
}

// Parse checks plan YAML read from file (which only labels errors). The
// error is a yamlnode.Errors listing every problem, one per line.
func Parse(file string, data []byte) (*Parsed, error) {
	p := &Parsed{}
	doc, err := yamlnode.Decode(file, data, &p.Spec)
	p.doc = doc
	if err != nil {
		return nil, err
	}
	if errs := p.validate(); len(errs) > 0 {
		return nil, errs
	}
	return p, nil
}
