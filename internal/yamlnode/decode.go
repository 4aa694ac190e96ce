// Package yamlnode decodes YAML into Go structs by walking yaml.v3 nodes,
// so every error names the file, the line and the field path
// ("plan.yaml:12: stages[1].targets[0].strategy: ...") and unknown fields
// are errors rather than silently ignored. yaml.v3's own decoder reports
// only lines and Go type names, which users of a config file cannot map
// back to what they wrote.
//
// Supported field types: structs (by `yaml:"name"` tag), pointers to
// structs, slices, map[string]string, string, bool, integers, and any type
// implementing ScalarUnmarshaler (durations).
package yamlnode

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ScalarUnmarshaler is a field type written as one scalar that needs its
// own parsing; its error message becomes the cause after the field path.
type ScalarUnmarshaler interface {
	UnmarshalScalar(s string) error
}

// Doc is a decoded file: where each field was written, to place errors
// found after decoding (by validation) on the right line.
type Doc struct {
	File  string
	lines map[string]int
}

// Line is the line where the field at path was written, or of the
// nearest enclosing field that was.
func (d *Doc) Line(path string) int {
	for {
		if l, ok := d.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i <= 0 {
			return d.lines[""]
		}
		path = path[:i]
	}
}

// Has reports whether the field at path was written in the file.
func (d *Doc) Has(path string) bool {
	_, ok := d.lines[path]
	return ok
}

// Errorf builds an error located at the field at path.
func (d *Doc) Errorf(path, format string, args ...any) *Error {
	return &Error{File: d.File, Line: d.Line(path), Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Decode parses data (read from file, which only labels errors) into the
// struct pointed to by v. The error, if any, is an Errors listing every
// problem found.
func Decode(file string, data []byte, v any) (*Doc, error) {
	doc := &Doc{File: file, lines: map[string]int{}}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return doc, Errors{syntaxError(file, err)}
	}
	if len(root.Content) == 0 {
		return doc, Errors{{File: file, Msg: "file is empty"}}
	}
	d := &decoder{doc: doc}
	n := root.Content[0]
	doc.lines[""] = n.Line
	d.value(n, "", reflect.ValueOf(v).Elem())
	return doc, d.errs.Err()
}

type decoder struct {
	doc  *Doc
	errs Errors
}

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.doc.File, Line: n.Line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

var scalarUnmarshalerType = reflect.TypeFor[ScalarUnmarshaler]()

func (d *decoder) value(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if isNull(n) {
		return // an explicit null leaves the zero value, like an absent field
	}
	if v.CanAddr() && v.Addr().Type().Implements(scalarUnmarshalerType) {
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "want a single value, got %s", kindName(n))
			return
		}
		if err := v.Addr().Interface().(ScalarUnmarshaler).UnmarshalScalar(n.Value); err != nil {
			d.fail(n, path, "%s", err.Error())
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.value(n, path, v.Elem())
	case reflect.Struct:
		d.structValue(n, path, v)
	case reflect.Slice:
		d.sliceValue(n, path, v)
	case reflect.Map:
		d.mapValue(n, path, v)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "want a string, got %s", kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || err != nil {
			d.fail(n, path, "want true or false, got %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 0, v.Type().Bits())
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil {
			d.fail(n, path, "want a whole number, got %s", describe(n))
			return
		}
		v.SetInt(i)
	default:
		panic(fmt.Sprintf("yamlnode: unsupported field type %s at %s", v.Type(), path))
	}
}

func (d *decoder) structValue(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping of fields, got %s", describe(n))
		return
	}
	fields := fieldsOf(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		fpath := join(path, key.Value)
		idx, ok := fields.index[key.Value]
		if !ok {
			d.fail(key, fpath, "unknown field %q%s", key.Value, suggest(key.Value, fields.names))
			continue
		}
		if seen[key.Value] {
			d.fail(key, fpath, "field written twice")
			continue
		}
		seen[key.Value] = true
		d.doc.lines[fpath] = key.Line
		d.value(val, fpath, v.Field(idx))
	}
}

func (d *decoder) sliceValue(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "want a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		ipath := fmt.Sprintf("%s[%d]", path, i)
		d.doc.lines[ipath] = item.Line
		d.value(item, ipath, s.Index(i))
	}
	v.Set(s)
}

func (d *decoder) mapValue(n *yaml.Node, path string, v reflect.Value) {
	if v.Type().Key().Kind() != reflect.String {
		panic("yamlnode: only maps with string keys are supported")
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping, got %s", describe(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		kpath := join(path, key.Value)
		if m.MapIndex(reflect.ValueOf(key.Value)).IsValid() {
			d.fail(key, kpath, "key written twice")
			continue
		}
		d.doc.lines[kpath] = key.Line
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(val, kpath, elem)
		m.SetMapIndex(reflect.ValueOf(key.Value).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

type structFields struct {
	index map[string]int
	names []string
}

func fieldsOf(t reflect.Type) structFields {
	fs := structFields{index: map[string]int{}}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fs.index[name] = i
		fs.names = append(fs.names, name)
	}
	return fs
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return "a value"
	}
}

func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return strconv.Quote(n.Value)
	}
	return kindName(n)
}

// syntaxError turns yaml.v3's "yaml: line 3: cause" into the file:line form.
func syntaxError(file string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = strings.Join(te.Errors, "; ")
	}
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, cause, ok := strings.Cut(rest, ": "); ok {
			if l, err := strconv.Atoi(num); err == nil {
				line, msg = l, cause
			}
		}
	}
	return &Error{File: file, Line: line, Msg: "invalid YAML: " + msg}
}
