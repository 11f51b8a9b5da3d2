package upstream

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ExtractTarball reads an npm package tarball (a gzip-compressed tar) into
// memory and returns its regular files by slash path, with the single
// leading folder of every entry ("package/") removed, as npm does.
//
// Extraction is safe on any input: absolute paths, ".." components,
// backslashes, symbolic and hard links, device and fifo entries, entries
// larger than [MaxFileSize] and archives whose entries exceed [MaxTotalSize]
// in total are rejected with an error naming the entry. Folder entries are
// implied by the files and are not returned. Every returned path satisfies
// [io/fs.ValidPath].
func ExtractTarball(r io.Reader) (map[string][]byte, error) {
	return extractTarball(r, MaxFileSize, MaxTotalSize)
}

// extractTarball is ExtractTarball with the size limits as parameters.
func extractTarball(r io.Reader, maxFile, maxTotal int64) (map[string][]byte, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("tarball is not gzip-compressed: %w", err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	var total int64
	for n := 1; ; n++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading tarball: %w", err)
		}
		if n > maxEntries {
			return nil, fmt.Errorf("tarball has more than %d entries", maxEntries)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		if hdr.Size < 0 || hdr.Size > maxFile {
			return nil, fmt.Errorf("tarball entry %q: size %d exceeds the %d-byte limit", hdr.Name, hdr.Size, maxFile)
		}
		total += hdr.Size
		if total > maxTotal {
			return nil, fmt.Errorf("tarball entry %q: entries exceed %d bytes in total", hdr.Name, maxTotal)
		}
		rel, err := stripTop(hdr.Name)
		if err != nil {
			return nil, fmt.Errorf("tarball entry %q: %w", hdr.Name, err)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg, '\x00':
			if rel == "" {
				// A file beside the top-level folder: npm drops it too.
				continue
			}
			data, err := io.ReadAll(io.LimitReader(tr, maxFile+1))
			if err != nil {
				return nil, fmt.Errorf("tarball entry %q: %w", hdr.Name, err)
			}
			if int64(len(data)) != hdr.Size {
				return nil, fmt.Errorf("tarball entry %q: read %d bytes, header says %d", hdr.Name, len(data), hdr.Size)
			}
			files[rel] = data
		case tar.TypeSymlink:
			return nil, fmt.Errorf("tarball entry %q: symbolic link (to %q) not allowed", hdr.Name, hdr.Linkname)
		case tar.TypeLink:
			return nil, fmt.Errorf("tarball entry %q: hard link (to %q) not allowed", hdr.Name, hdr.Linkname)
		case tar.TypeChar, tar.TypeBlock:
			return nil, fmt.Errorf("tarball entry %q: device file not allowed", hdr.Name)
		case tar.TypeFifo:
			return nil, fmt.Errorf("tarball entry %q: fifo not allowed", hdr.Name)
		default:
			return nil, fmt.Errorf("tarball entry %q: unsupported entry type %q", hdr.Name, hdr.Typeflag)
		}
	}
	if err := checkConflicts(files); err != nil {
		return nil, fmt.Errorf("tarball: %w", err)
	}
	return files, nil
}

// stripTop validates a tar entry name and removes its first component. It
// returns "" for the top-level folder itself.
func stripTop(name string) (string, error) {
	switch {
	case name == "":
		return "", errors.New("empty name")
	case strings.ContainsRune(name, 0):
		return "", errors.New("NUL in path")
	case strings.Contains(name, "\\"):
		return "", errors.New("backslash in path")
	case strings.HasPrefix(name, "/"):
		return "", errors.New("absolute path")
	case len(name) >= 2 && name[1] == ':':
		return "", errors.New("absolute path (drive letter)")
	}
	var parts []string
	for _, part := range strings.Split(name, "/") {
		switch part {
		case "", ".":
			continue
		case "..":
			return "", errors.New("path escapes the package (contains \"..\")")
		}
		parts = append(parts, part)
	}
	if len(parts) <= 1 {
		return "", nil
	}
	rel := strings.Join(parts[1:], "/")
	if !validPath(rel) {
		return "", fmt.Errorf("invalid path %q", rel)
	}
	return rel, nil
}
