package pack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"io"
	"testing"
)

func TestTarballDeterministicAndReadable(t *testing.T) {
	files := map[string][]byte{
		"dist/index.js": []byte("export default 1\n"),
		"package.json":  []byte(`{"name":"x","version":"1.0.0"}`),
		"README.md":     []byte("# x\n"),
	}
	a, err := Tarball(files)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Tarball(files)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(a) != sha256.Sum256(b) {
		t.Fatal("two packs of the same files differ")
	}
	zr, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(Epoch) {
			t.Errorf("%s: mtime %v", h.Name, h.ModTime)
		}
		body, _ := io.ReadAll(tr)
		if want := files[h.Name[len("package/"):]]; !bytes.Equal(body, want) {
			t.Errorf("%s: content %q, want %q", h.Name, body, want)
		}
		names = append(names, h.Name)
	}
	want := []string{"package/package.json", "package/README.md", "package/dist/index.js"}
	if len(names) != len(want) {
		t.Fatalf("entries %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("entries %v, want %v", names, want)
		}
	}
}

func TestTarballRejectsEscapingPaths(t *testing.T) {
	for _, p := range []string{"../x", "/etc/passwd", ""} {
		if _, err := Tarball(map[string][]byte{p: nil}); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}

func TestFileName(t *testing.T) {
	if got := FileName("zastro-websockets-node", "7.3.3-node.11.1.6"); got != "zastro-websockets-node-7.3.3-node.11.1.6.tgz" {
		t.Fatal(got)
	}
	if got := FileName("@a/b", "1.0.0"); got != "a-b-1.0.0.tgz" {
		t.Fatal(got)
	}
}
