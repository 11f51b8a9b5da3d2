package upstream

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io/fs"
	"reflect"
	"strings"
	"testing"
)

func TestExtractTarball(t *testing.T) {
	tests := []struct {
		name    string
		entries []tarEntry
		want    map[string]string
		wantErr []string
	}{
		{
			name: "npm layout",
			entries: []tarEntry{
				{name: "package/", typ: tar.TypeDir},
				{name: "package/package.json", body: "{}"},
				{name: "package/dist/", typ: tar.TypeDir},
				{name: "package/dist/index.js", body: "x"},
			},
			want: map[string]string{"package.json": "{}", "dist/index.js": "x"},
		},
		{
			name: "any top-level folder, ./ prefix, doubled slashes",
			entries: []tarEntry{
				{name: "./node/package.json", body: "{}"},
				{name: "node//dist/./a.js", body: "a"},
			},
			want: map[string]string{"package.json": "{}", "dist/a.js": "a"},
		},
		{
			name: "global pax header and a file beside the folder are ignored",
			entries: []tarEntry{
				{name: "pax_global_header", typ: tar.TypeXGlobalHeader},
				{name: "stray", body: "s"},
				{name: "package/a", body: "a"},
			},
			want: map[string]string{"a": "a"},
		},
		{
			name:    "later duplicate wins",
			entries: []tarEntry{{name: "package/a", body: "1"}, {name: "package/a", body: "2"}},
			want:    map[string]string{"a": "2"},
		},
		{name: "empty archive", entries: nil, want: map[string]string{}},
		{name: "dot-dot", entries: []tarEntry{{name: "package/a/../../x", body: "x"}}, wantErr: []string{`"package/a/../../x"`, "escapes"}},
		{name: "dot-dot top", entries: []tarEntry{{name: "../x", body: "x"}}, wantErr: []string{`"../x"`}},
		{name: "absolute", entries: []tarEntry{{name: "/package/x", body: "x"}}, wantErr: []string{"absolute"}},
		{name: "drive letter", entries: []tarEntry{{name: "C:/package/x", body: "x"}}, wantErr: []string{"absolute"}},
		{name: "backslash", entries: []tarEntry{{name: `package\..\..\x`, body: "x"}}, wantErr: []string{"backslash"}},
		{name: "symlink", entries: []tarEntry{{name: "package/l", typ: tar.TypeSymlink, link: "../../etc"}}, wantErr: []string{`"package/l"`, "symbolic link"}},
		{name: "hard link", entries: []tarEntry{{name: "package/h", typ: tar.TypeLink, link: "package/a"}}, wantErr: []string{"hard link"}},
		{name: "block device", entries: []tarEntry{{name: "package/b", typ: tar.TypeBlock}}, wantErr: []string{"device"}},
		{name: "fifo", entries: []tarEntry{{name: "package/f", typ: tar.TypeFifo}}, wantErr: []string{"fifo"}},
		{name: "oversize", entries: []tarEntry{{name: "package/big", size: MaxFileSize + 1}}, wantErr: []string{`"package/big"`, "exceeds"}},
		{name: "truncated", entries: []tarEntry{{name: "package/short", size: 100}}, wantErr: []string{`"package/short"`}},
		{name: "file and folder", entries: []tarEntry{{name: "package/a", body: "1"}, {name: "package/a/b", body: "2"}}, wantErr: []string{`"a" is both a file and a folder`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := ExtractTarball(bytes.NewReader(makeTarball(t, tt.entries)))
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error; files %v", sortedKeys(files))
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for k, v := range files {
				got[k] = string(v)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("files = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExtractLimits(t *testing.T) {
	tgz := makeTarball(t, []tarEntry{
		{name: "package/a", body: strings.Repeat("a", 100)},
		{name: "package/b", body: strings.Repeat("b", 100)},
	})
	if _, err := extractTarball(bytes.NewReader(tgz), 100, 200); err != nil {
		t.Fatalf("at the limits: %v", err)
	}
	if _, err := extractTarball(bytes.NewReader(tgz), 99, 1000); err == nil || !strings.Contains(err.Error(), `"package/a"`) {
		t.Fatalf("file limit: err = %v", err)
	}
	if _, err := extractTarball(bytes.NewReader(tgz), 100, 199); err == nil || !strings.Contains(err.Error(), `"package/b"`) || !strings.Contains(err.Error(), "in total") {
		t.Fatalf("total limit: err = %v", err)
	}
	if _, err := ExtractTarball(strings.NewReader("not gzip")); err == nil || !strings.Contains(err.Error(), "gzip") {
		t.Fatalf("not gzip: err = %v", err)
	}
	// gzip of something that is not a tar.
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	gz.Write(bytes.Repeat([]byte{0xff}, 1024))
	gz.Close()
	if _, err := ExtractTarball(&buf); err == nil {
		t.Fatal("garbage tar accepted")
	}
}

func FuzzExtract(f *testing.F) {
	f.Add(makeTarball(f, adapterEntries("@astrojs/node", "1.0.0", "5.0.0")))
	f.Add(makeTarball(f, []tarEntry{{name: "package/../evil", body: "x"}}))
	f.Add(makeTarball(f, []tarEntry{{name: "package/l", typ: tar.TypeSymlink, link: "/etc/passwd"}}))
	f.Add(makeTarball(f, []tarEntry{{name: "package/a", body: "1"}, {name: "package/a/b", body: "2"}}))
	f.Add(makeTarball(f, []tarEntry{{name: "./x/./y/z", body: "1"}, {name: "x//..//y", body: "2"}}))
	f.Add([]byte("package/a\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		// Raw input that is not gzip is wrapped so the fuzzer reaches the
		// tar layer as well.
		if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			var buf bytes.Buffer
			gz := gzip.NewWriter(&buf)
			gz.Write(data)
			gz.Close()
			data = buf.Bytes()
		}
		files, err := extractTarball(bytes.NewReader(data), 1<<16, 1<<18)
		if err != nil {
			if files != nil {
				t.Fatal("files returned with an error")
			}
			return
		}
		var total int
		for p, content := range files {
			if !fs.ValidPath(p) || p == "." || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
				t.Fatalf("unsafe path %q", p)
			}
			for _, part := range strings.Split(p, "/") {
				if part == ".." || part == "." || part == "" {
					t.Fatalf("unsafe path %q", p)
				}
			}
			if len(content) > 1<<16 {
				t.Fatalf("%q: %d bytes over the limit", p, len(content))
			}
			total += len(content)
			for i := range p {
				if p[i] == '/' {
					if _, ok := files[p[:i]]; ok {
						t.Fatalf("%q is a file and a folder", p[:i])
					}
				}
			}
		}
		if total > 1<<18 {
			t.Fatalf("total %d over the limit", total)
		}
	})
}
