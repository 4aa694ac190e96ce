package iampolicy

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite deploy/iam/ from the generator")

// shipped are the files under deploy/iam/ and the options they are
// generated with: the defaults.
var shipped = map[string]func() (Document, error){
	"credstage-worker-policy.json": func() (Document, error) { return Worker(WorkerOptions{}) },
	"credstage-cli-policy.json":    func() (Document, error) { return CLI(CLIOptions{}) },
	"credstage-reader-policy.json": func() (Document, error) { return Reader(ReaderOptions{}) },
}

// TestShippedPoliciesMatchGenerator: the files people deploy are what
// `credstage iam policy` prints with default flags, so the two never
// drift apart.
func TestShippedPoliciesMatchGenerator(t *testing.T) {
	for name, gen := range shipped {
		t.Run(name, func(t *testing.T) {
			doc, err := gen()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("..", "..", "deploy", "iam", name)
			want := Render(doc)
			if *update {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("deploy/iam/%s differs from the generator; regenerate the files with\n"+
					"  go test ./internal/iampolicy/ -run TestShippedPoliciesMatchGenerator -update\n--- file\n%s\n--- generator\n%s", name, got, want)
			}
		})
	}
}
