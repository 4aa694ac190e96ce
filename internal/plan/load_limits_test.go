package plan

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credstage/credstage/internal/yamlnode"
)

func TestLoadRefusesWhatIsNoPlan(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("name: x\n"+strings.Repeat("# padding\n", MaxFileSize/10+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{big: "larger than 1024 KiB", dir: "not a plan file"} {
		_, err := Load(path)
		var ye *yamlnode.Error
		if !errors.As(err, &ye) || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), path) {
			t.Errorf("%s: %v, want a file error naming %q", path, err, want)
		}
	}
}

func TestErrorsStayReadable(t *testing.T) {
	var errs yamlnode.Errors
	for i := 0; i < 300; i++ {
		errs = append(errs, &yamlnode.Error{File: "p.yaml", Line: i + 1, Msg: fmt.Sprintf("problem %d", i)})
	}
	msg := errs.Error()
	if n := strings.Count(msg, "\n"); n != yamlnode.MaxErrors {
		t.Errorf("%d lines, want %d problems and a count of the rest", n+1, yamlnode.MaxErrors)
	}
	if !strings.HasSuffix(msg, "... and 250 more problems") {
		t.Errorf("last line: %q", msg[strings.LastIndex(msg, "\n")+1:])
	}
}
