package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zastro-dev/zastro/adapters"
	"github.com/zastro-dev/zastro/assemble"
	"github.com/zastro-dev/zastro/pack"
)

func runPack(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "pack", "pack [node|cloudflare ...] [--out DIR] [--dest DIR]",
		`Writes an npm tarball of each built package (OUT/<adapter>) into DEST. The same
package gives the same bytes every time.`)
	out := fs.String("out", "packages", "folder the packages were built into")
	dest := fs.String("dest", "", "folder for the .tgz files (default: the --out folder)")
	names, err := parseOrHelp(fs, args)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		for _, a := range adapters.Names() {
			if _, err := os.Stat(filepath.Join(abs(e, *out), a, "package.json")); err == nil {
				names = append(names, a)
			}
		}
		if len(names) == 0 {
			return fmt.Errorf("no built package in %s: run 'zastro build' first", *out)
		}
	}
	if *dest == "" {
		*dest = *out
	}
	for _, a := range names {
		dir := filepath.Join(abs(e, *out), a)
		files, err := assemble.ReadDir(dir)
		if err != nil {
			return err
		}
		var meta struct{ Name, Version string }
		if err := json.Unmarshal(files["package.json"], &meta); err != nil || meta.Name == "" || meta.Version == "" {
			return fmt.Errorf("%s/package.json: no name and version (build the package first)", dir)
		}
		tgz, err := pack.Tarball(files)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(abs(e, *dest), 0o755); err != nil {
			return err
		}
		file := filepath.Join(abs(e, *dest), pack.FileName(meta.Name, meta.Version))
		if err := writeFileAtomic(file, tgz); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "zastro: %s (%d files, %d bytes)\n", file, len(files), len(tgz))
		fmt.Fprintln(e.stdout, file)
	}
	return nil
}

// writeFileAtomic writes through a temporary file and a rename.
func writeFileAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
