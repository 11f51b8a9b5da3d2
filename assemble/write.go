package assemble

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/zastro-dev/zastro/internal/parallel"
)

// WriteDir replaces dir with exactly the given files. The new tree is written
// beside dir and swapped in with renames, so a failure at any point leaves the
// previous output as it was.
func WriteDir(dir string, files map[string][]byte) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".new-")
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	// Folders first, then the files, several at once: a write is mostly
	// system calls, which leave the CPU to the other writers.
	names := sortedBytesKeys(files)
	made := map[string]bool{tmp: true}
	for _, p := range names {
		if !safeRel(p) {
			return fmt.Errorf("output: refusing to write %q outside the package", p)
		}
		if d := filepath.Dir(filepath.Join(tmp, filepath.FromSlash(p))); !made[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("output: %w", err)
			}
			made[d] = true
		}
	}
	errs := make([]error, len(names))
	parallel.On(8, len(names), func(i int) {
		errs[i] = os.WriteFile(filepath.Join(tmp, filepath.FromSlash(names[i])), files[names[i]], 0o644)
	})
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("output: %w", err)
		}
	}
	old := ""
	if _, err := os.Lstat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("output: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return fmt.Errorf("output: %w", err)
	}
	ok = true
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

func safeRel(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
		return false
	}
	for _, part := range strings.Split(p, "/") {
		if part == "" || part == "." || part == ".." {
			return false
		}
	}
	return true
}

// ReadDir reads a package folder back into memory (used by pack and diff).
func ReadDir(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read package %s: %w", dir, err)
	}
	return files, nil
}
