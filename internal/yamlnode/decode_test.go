package yamlnode

import (
	"errors"
	"strings"
	"testing"
)

type dur string

func (d *dur) UnmarshalScalar(s string) error {
	if s == "bad" {
		return errBad
	}
	*d = dur(s)
	return nil
}

var errBad = errors.New("bad duration")

type inner struct {
	Query string `yaml:"query"`
}

type doc struct {
	Name    string            `yaml:"name"`
	Count   int               `yaml:"count"`
	On      bool              `yaml:"on"`
	Wait    dur               `yaml:"wait"`
	Tags    map[string]string `yaml:"tags"`
	Items   []inner           `yaml:"items"`
	Pointer *inner            `yaml:"pointer"`
}

func TestDecodeGood(t *testing.T) {
	src := `
name: x
count: 3
on: true
wait: 10m
tags: {a: "1", b: two}
items:
  - &q {query: SELECT 1}
  - *q
pointer: {query: "p"}
`
	var d doc
	meta, err := Decode("f.yaml", []byte(src), &d)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "x" || d.Count != 3 || !d.On || d.Wait != "10m" || d.Tags["a"] != "1" || len(d.Items) != 2 || d.Items[1].Query != "SELECT 1" || d.Pointer.Query != "p" {
		t.Fatalf("decoded %+v", d)
	}
	if meta.Line("items[1]") != 9 || meta.Line("items[1].query") != 8 || meta.Line("pointer.query") != 10 {
		t.Errorf("lines: %d %d %d", meta.Line("items[1]"), meta.Line("items[1].query"), meta.Line("pointer.query"))
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := map[string]string{
		"name: x\nnmae: y\n":       `f.yaml:2: nmae: unknown field "nmae" (did you mean name?)`,
		"zzz: 1\n":                 `f.yaml:1: zzz: unknown field "zzz" (known fields: name, count, on, wait, tags, items, pointer)`,
		"count: three\n":           `f.yaml:1: count: want a whole number, got "three"`,
		"on: maybe\n":              `f.yaml:1: on: want true or false, got "maybe"`,
		"wait: bad\n":              `f.yaml:1: wait: bad duration`,
		"items: {query: x}\n":      `f.yaml:1: items: want a list, got a mapping`,
		"items:\n  - query: [1]\n": `f.yaml:2: items[0].query: want a string, got a list`,
		"name: a\nname: b\n":       `f.yaml:2: name: field written twice`,
		"tags: {a: 1, a: 2}\n":     `f.yaml:1: tags.a: key written twice`,
		"":                         `f.yaml: file is empty`,
		"- 1\n":                    `f.yaml:1: want a mapping of fields, got a list`,
		"name: [\n":                `f.yaml:1: invalid YAML:`,
	}
	for src, want := range cases {
		var d doc
		_, err := Decode("f.yaml", []byte(src), &d)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", src, err, want)
		}
	}
}

func TestNullLeavesZero(t *testing.T) {
	var d doc
	if _, err := Decode("f.yaml", []byte("name: ~\nitems:\n"), &d); err != nil || d.Name != "" || d.Items != nil {
		t.Fatalf("%v %+v", err, d)
	}
}
