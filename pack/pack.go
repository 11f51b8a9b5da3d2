// Package pack writes a generated package as an npm tarball: entries under
// "package/" in a fixed order with fixed times and modes, so the same files give
// the same bytes every time.
//
//	tgz, err := pack.Tarball(files) // files: slash path -> content
package pack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Epoch is the modification time of every entry; npm uses the same fixed date
// for reproducible tarballs.
var Epoch = time.Date(1985, time.October, 26, 8, 15, 0, 0, time.UTC)

// Tarball returns the gzip-compressed tar of files.
func Tarball(files map[string][]byte) ([]byte, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "..") {
			return nil, fmt.Errorf("pack: bad path %q", p)
		}
		paths = append(paths, p)
	}
	// package.json first, as npm does, then by path.
	sort.Slice(paths, func(i, j int) bool {
		if (paths[i] == "package.json") != (paths[j] == "package.json") {
			return paths[i] == "package.json"
		}
		return paths[i] < paths[j]
	})
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	for _, p := range paths {
		hdr := &tar.Header{
			Name:     "package/" + p,
			Mode:     0o644,
			Size:     int64(len(files[p])),
			ModTime:  Epoch,
			Typeflag: tar.TypeReg,
			Format:   tar.FormatPAX,
		}
		if strings.HasPrefix(p, "bin/") {
			hdr.Mode = 0o755
		}
		if len(hdr.Name) <= 100 {
			hdr.Format = tar.FormatUSTAR
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("pack %s: %w", p, err)
		}
		if _, err := tw.Write(files[p]); err != nil {
			return nil, fmt.Errorf("pack %s: %w", p, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// FileName is npm's tarball name for a package: "@scope/name" becomes
// "scope-name-1.2.3.tgz".
func FileName(name, version string) string {
	n := strings.TrimPrefix(name, "@")
	n = strings.ReplaceAll(n, "/", "-")
	return n + "-" + version + ".tgz"
}
