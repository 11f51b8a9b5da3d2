package npmretry

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A fake npm first on PATH, failing until its counter reaches NPM_OK_AT,
// shows the policy: success on the third try after two logged failures, and
// an error after three.
func TestRunRetriesThenReports(t *testing.T) {
	bin := t.TempDir()
	count := filepath.Join(t.TempDir(), "count")
	script := "#!/bin/sh\nn=$(cat " + count + " 2>/dev/null || echo 0)\nn=$((n+1))\necho $n > " + count + "\necho try $n\n[ $n -ge $NPM_OK_AT ]\n"
	if err := os.WriteFile(filepath.Join(bin, "npm"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	try := func(okAt string) ([]byte, int, error) {
		os.Remove(count)
		failures := 0
		opts := Options{
			Env:     append(os.Environ(), "NPM_OK_AT="+okAt),
			Timeout: 10 * time.Second,
			Logf:    func(string, ...any) { failures++ },
		}
		out, err := run(context.Background(), opts, time.Millisecond, "ci")
		return out, failures, err
	}
	if out, failures, err := try("3"); err != nil || strings.TrimSpace(string(out)) != "try 3" || failures != 2 {
		t.Errorf("ok at the third try: out %q, err %v, %d failures logged", out, err, failures)
	}
	if _, failures, err := try("4"); err == nil || !strings.Contains(err.Error(), "after 3 tries") || failures != 3 {
		t.Errorf("never ok: err %v, %d failures logged", err, failures)
	}
}
