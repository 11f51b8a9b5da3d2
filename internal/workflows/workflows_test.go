package workflows

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// actionlint is run with `go run module@version`: the Go module proxy serves
// it, and go.mod stays free of tools.
const actionlint = "github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"

func run(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"run", actionlint, "-no-color"}, args...)...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestActionlint lints every workflow of the repository. actionlint also
// runs shellcheck over `run:` scripts when shellcheck is on PATH.
func TestActionlint(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the Go module proxy (once) to build actionlint")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if len(files) == 0 {
		t.Fatal("no workflow in .github/workflows")
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Log("shellcheck is not on PATH: run: scripts are not linted (apt-get install shellcheck)")
	}
	out, err := run(t, root)
	if err != nil {
		t.Fatalf("actionlint on %d workflows: %v\n%s", len(files), err, out)
	}
	t.Logf("actionlint: %d workflows clean", len(files))

	// The same linter must find the mistakes of a broken workflow.
	broken, err := filepath.Abs(filepath.Join("testdata", "broken.yml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err = run(t, root, broken)
	if err == nil {
		t.Fatalf("actionlint passed testdata/broken.yml:\n%s", out)
	}
	for _, want := range []string{"branchs", "fetch-dept", "steps.missing"} {
		if !strings.Contains(out, want) {
			t.Errorf("actionlint did not report %q:\n%s", want, out)
		}
	}
}
