package upstream

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir loads an adapter from a local folder, such as a checkout of
// packages/integrations/node or an unpacked npm tarball. The folder is read
// recursively with the same skips as [Git] (node_modules, the top-level test
// folder and CHANGELOG.md; also .git). Symbolic links are an error.
type Dir struct {
	// Path is the adapter folder; its package.json must name the adapter.
	Path string
}

// Load reads adapter a from d.Path.
func (d *Dir) Load(ctx context.Context, a Adapter) (*Snapshot, error) {
	if d == nil || d.Path == "" {
		return nil, fmt.Errorf("dir: no folder given")
	}
	abs, err := filepath.Abs(d.Path)
	if err != nil {
		return nil, fmt.Errorf("dir %s: %w", d.Path, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("dir %s: %w", abs, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("dir %s: not a folder", abs)
	}
	files, err := readFolder(ctx, abs)
	if err != nil {
		return nil, fmt.Errorf("dir %s: %w", abs, err)
	}
	pj, err := readPackageJSON(files, a)
	if err != nil {
		return nil, fmt.Errorf("dir %s: %w", abs, err)
	}
	return &Snapshot{
		Files: files,
		Provenance: Provenance{
			Source:       "dir",
			Adapter:      a.Name,
			Package:      a.Package,
			Version:      pj.Version,
			AstroVersion: exactAstro(pj),
			Origin:       abs,
		},
	}, nil
}

// readFolder reads the regular files under root, applying skipPath and the
// snapshot limits.
func readFolder(ctx context.Context, root string) (map[string][]byte, error) {
	files := map[string][]byte{}
	var total int64
	count := 0
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !validPath(rel) {
			return fmt.Errorf("unsafe path %q", rel)
		}
		count++
		if count > maxEntries {
			return fmt.Errorf("more than %d entries", maxEntries)
		}
		switch {
		case e.IsDir():
			if e.Name() == ".git" || skipPath(rel, true) {
				return filepath.SkipDir
			}
			return nil
		case e.Type()&fs.ModeSymlink != 0:
			if skipPath(rel, false) {
				return nil
			}
			return fmt.Errorf("%s: symbolic links are not supported", rel)
		case !e.Type().IsRegular():
			if skipPath(rel, false) {
				return nil
			}
			return fmt.Errorf("%s: not a regular file", rel)
		}
		if e.Name() == ".git" || skipPath(rel, false) {
			// A .git file marks a submodule or worktree checkout.
			return nil
		}
		data, err := readLimited(p)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		total += int64(len(data))
		if total > MaxTotalSize {
			return fmt.Errorf("%s: files exceed %d bytes in total", rel, MaxTotalSize)
		}
		files[rel] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// readLimited reads a file of at most MaxFileSize bytes.
func readLimited(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("exceeds the %d-byte limit", MaxFileSize)
	}
	return data, nil
}
