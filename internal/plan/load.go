package plan

import (
	"fmt"
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

// Load reads and checks the plan file at path.
func Load(path string) (*Parsed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read plan: %w", err)
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
