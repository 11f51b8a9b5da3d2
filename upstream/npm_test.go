package upstream

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type tarEntry struct {
	name string
	body string
	typ  byte   // 0 means a regular file
	link string // link target
	size int64  // when > 0: write only a header claiming this size and stop (a truncated archive)
}

func makeTarball(tb testing.TB, entries []tarEntry) []byte {
	tb.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	truncated := false
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Linkname: e.link, ModTime: time.Unix(1700000000, 0)}
		if typ == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if typ == tar.TypeXGlobalHeader {
			hdr = &tar.Header{Name: e.name, Typeflag: typ, PAXRecords: map[string]string{"comment": "global"}}
		}
		if e.size > 0 {
			hdr.Size = e.size
			if err := tw.WriteHeader(hdr); err != nil {
				tb.Fatal(err)
			}
			truncated = true
			break
		}
		if err := tw.WriteHeader(hdr); err != nil {
			tb.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if !truncated {
		if err := tw.Close(); err != nil {
			tb.Fatal(err)
		}
	}
	if err := gz.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func sri(data []byte) string {
	sum := sha512.Sum512(data)
	return formatSRI(sum[:])
}

func adapterEntries(name, version, astro string) []tarEntry {
	return []tarEntry{
		{name: "package/", typ: tar.TypeDir},
		{name: "package/package.json", body: fmt.Sprintf(`{"name":%q,"version":%q,"devDependencies":{"astro":%q}}`, name, version, astro)},
		{name: "package/dist/index.js", body: "export default function createIntegration() {}\n"},
		{name: "package/dist/index.d.ts", body: "export default function createIntegration(): unknown;\n"},
		{name: "package/LICENSE", body: "MIT\n"},
		{name: "package/README.md", body: "# @astrojs/node\n"},
		{name: "package/CHANGELOG.md", body: "# changes\n"},
	}
}

// fakeRegistry serves a packument for @astrojs/node and its tarballs.
type fakeRegistry struct {
	srv *httptest.Server

	mu        sync.Mutex
	tarballs  map[string][]byte // version -> .tgz served
	listed    []string          // versions listed without a tarball
	integrity map[string]string // version -> dist.integrity override
	missing   bool              // the packument is a 404

	packumentHits, tarballHits atomic.Int32
	failPackument, failTarball atomic.Int32 // 503s to send before succeeding
	badAccept                  atomic.Bool
}

func newFakeRegistry(t *testing.T) *fakeRegistry {
	t.Helper()
	r := &fakeRegistry{tarballs: map[string][]byte{}, integrity: map[string]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *fakeRegistry) add(version string, tgz []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tarballs[version] = tgz
}

func (r *fakeRegistry) tarballURL(version string) string {
	return r.srv.URL + "/@astrojs/node/-/node-" + version + ".tgz"
}

func (r *fakeRegistry) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case req.RequestURI == "/@astrojs%2fnode":
		r.packumentHits.Add(1)
		if !strings.Contains(req.Header.Get("Accept"), "application/vnd.npm.install-v1+json") {
			r.badAccept.Store(true)
		}
		if r.failPackument.Load() > 0 {
			r.failPackument.Add(-1)
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		if r.missing {
			http.Error(w, `{"error":"Not found"}`, http.StatusNotFound)
			return
		}
		versions := map[string]any{}
		add := func(v, integrity string) {
			if o, ok := r.integrity[v]; ok {
				integrity = o
			}
			versions[v] = map[string]any{"name": "@astrojs/node", "version": v, "dist": map[string]any{"tarball": r.tarballURL(v), "integrity": integrity}}
		}
		for v, tgz := range r.tarballs {
			add(v, sri(tgz))
		}
		for _, v := range r.listed {
			add(v, sri([]byte(v)))
		}
		w.Header().Set("Content-Type", "application/vnd.npm.install-v1+json")
		_ = json.NewEncoder(w).Encode(map[string]any{"name": "@astrojs/node", "versions": versions})
	case strings.HasPrefix(req.URL.Path, "/@astrojs/node/-/node-") && strings.HasSuffix(req.URL.Path, ".tgz"):
		r.tarballHits.Add(1)
		if r.failTarball.Load() > 0 {
			r.failTarball.Add(-1)
			http.Error(w, "busy", http.StatusBadGateway)
			return
		}
		v := strings.TrimSuffix(strings.TrimPrefix(req.URL.Path, "/@astrojs/node/-/node-"), ".tgz")
		tgz, ok := r.tarballs[v]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(tgz)))
		_, _ = w.Write(tgz)
	default:
		http.NotFound(w, req)
	}
}

func TestNpmLoad(t *testing.T) {
	reg := newFakeRegistry(t)
	tgz := makeTarball(t, adapterEntries("@astrojs/node", "11.1.6", "5.13.2"))
	reg.add("11.1.6", tgz)
	reg.add("11.1.5", makeTarball(t, adapterEntries("@astrojs/node", "11.1.5", "^5.0.0")))
	node := mustAdapter(t, "node")

	var progress bytes.Buffer
	snap, err := (&Npm{Version: "11.1.6", Registry: reg.srv.URL, Progress: &progress}).Load(context.Background(), node)
	if err != nil {
		t.Fatal(err)
	}
	wantPaths := []string{"LICENSE", "README.md", "dist/index.d.ts", "dist/index.js", "package.json"}
	if got := snap.Paths(); !reflect.DeepEqual(got, wantPaths) {
		t.Fatalf("paths = %v, want %v", got, wantPaths)
	}
	want := Provenance{
		Source: "npm", Adapter: "node", Package: "@astrojs/node", Version: "11.1.6", AstroVersion: "5.13.2",
		Integrity: sri(tgz), Origin: reg.tarballURL("11.1.6"),
	}
	if snap.Provenance != want {
		t.Fatalf("provenance = %+v\nwant %+v", snap.Provenance, want)
	}
	if !strings.Contains(progress.String(), fmt.Sprintf("downloading @astrojs/node@11.1.6 (%d B)", len(tgz))) {
		t.Fatalf("progress = %q", progress.String())
	}
	if reg.badAccept.Load() {
		t.Fatal("packument requested without the npm Accept header")
	}

	snap, err = (&Npm{Version: "11.1.5", Registry: reg.srv.URL + "/"}).Load(context.Background(), node)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Provenance.AstroVersion != "" || snap.Provenance.Version != "11.1.5" {
		t.Fatalf("a range devDependency gives astro version %q", snap.Provenance.AstroVersion)
	}
}

func TestNpmLoadErrors(t *testing.T) {
	base := adapterEntries("@astrojs/node", "1.0.0", "5.0.0")
	with := func(extra ...tarEntry) []tarEntry {
		return append(append([]tarEntry(nil), base...), extra...)
	}
	tests := []struct {
		name    string
		version string
		entries []tarEntry // served as the tarball of version 1.0.0
		setup   func(r *fakeRegistry, tgz []byte)
		want    []string
	}{
		{
			name: "integrity mismatch", version: "1.0.0", entries: base,
			setup: func(r *fakeRegistry, tgz []byte) { r.integrity["1.0.0"] = sri([]byte("other")) },
			want:  []string{"integrity mismatch", sri([]byte("other")), "npm @astrojs/node@1.0.0"},
		},
		{
			name: "sha1 only", version: "1.0.0", entries: base,
			setup: func(r *fakeRegistry, tgz []byte) { r.integrity["1.0.0"] = "sha1-AAAA" },
			want:  []string{"no sha512", "sha1-AAAA"},
		},
		{name: "dot-dot entry", version: "1.0.0", entries: with(tarEntry{name: "package/../evil", body: "x"}), want: []string{`"package/../evil"`, "escapes"}},
		{name: "absolute entry", version: "1.0.0", entries: with(tarEntry{name: "/etc/evil", body: "x"}), want: []string{`"/etc/evil"`, "absolute"}},
		{name: "symlink", version: "1.0.0", entries: with(tarEntry{name: "package/dist/link.js", typ: tar.TypeSymlink, link: "/etc/passwd"}), want: []string{`"package/dist/link.js"`, "symbolic link"}},
		{name: "hardlink", version: "1.0.0", entries: with(tarEntry{name: "package/hard", typ: tar.TypeLink, link: "package/LICENSE"}), want: []string{`"package/hard"`, "hard link"}},
		{name: "device", version: "1.0.0", entries: with(tarEntry{name: "package/dev", typ: tar.TypeChar}), want: []string{`"package/dev"`, "device"}},
		{name: "fifo", version: "1.0.0", entries: with(tarEntry{name: "package/fifo", typ: tar.TypeFifo}), want: []string{`"package/fifo"`, "fifo"}},
		{name: "oversize entry", version: "1.0.0", entries: with(tarEntry{name: "package/big.bin", size: MaxFileSize + 1}), want: []string{`"package/big.bin"`, "exceeds"}},
		{name: "wrong package", version: "1.0.0", entries: adapterEntries("@astrojs/nope", "1.0.0", ""), want: []string{`"@astrojs/nope"`}},
		{name: "wrong version inside", version: "1.0.0", entries: adapterEntries("@astrojs/node", "1.0.1", ""), want: []string{"package.json says version 1.0.1"}},
		{name: "unknown version", version: "1.0.9", entries: base, want: []string{"npm @astrojs/node@1.0.9", "no such version", "nearest published versions: 0.9.0, 1.0.0, 2.0.0"}},
		{
			name: "unknown package", version: "1.0.0", entries: base,
			setup: func(r *fakeRegistry, tgz []byte) { r.missing = true },
			want:  []string{"no such package @astrojs/node"},
		},
		{name: "tarball 404", version: "2.0.0", entries: base, want: []string{"node-2.0.0.tgz", "no such package/version"}},
		{
			name: "server errors", version: "1.0.0", entries: base,
			setup: func(r *fakeRegistry, tgz []byte) { r.failPackument.Store(100) },
			want:  []string{"HTTP 503 after 4 attempts"},
		},
		{
			name: "tarball server errors", version: "1.0.0", entries: base,
			setup: func(r *fakeRegistry, tgz []byte) { r.failTarball.Store(100) },
			want:  []string{"HTTP 502 after 4 attempts"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := newFakeRegistry(t)
			tgz := makeTarball(t, tt.entries)
			reg.add("1.0.0", tgz)
			reg.listed = []string{"0.9.0", "2.0.0"}
			if tt.setup != nil {
				tt.setup(reg, tgz)
			}
			cache := t.TempDir()
			_, err := (&Npm{Version: tt.version, Registry: reg.srv.URL, CacheDir: cache}).Load(context.Background(), mustAdapter(t, "node"))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.name == "integrity mismatch" {
				if !strings.Contains(err.Error(), sri(tgz)) {
					t.Errorf("error %q does not name the download's digest", err)
				}
				if entries, _ := os.ReadDir(cache); len(entries) != 0 {
					t.Errorf("cache holds %d files after a mismatch", len(entries))
				}
			}
		})
	}
}

func TestNpmRetry(t *testing.T) {
	reg := newFakeRegistry(t)
	reg.add("1.0.0", makeTarball(t, adapterEntries("@astrojs/node", "1.0.0", "")))
	reg.failPackument.Store(2)
	reg.failTarball.Store(3)
	if _, err := (&Npm{Version: "1.0.0", Registry: reg.srv.URL}).Load(context.Background(), mustAdapter(t, "node")); err != nil {
		t.Fatal(err)
	}
	if p, tb := reg.packumentHits.Load(), reg.tarballHits.Load(); p != 3 || tb != 4 {
		t.Fatalf("requests: packument %d (want 3), tarball %d (want 4)", p, tb)
	}
}

func TestNpmInvalidVersion(t *testing.T) {
	reg := newFakeRegistry(t)
	for _, v := range []string{"latest", "^1.0.0", "abc", "", "v1.0.0", "1.0", "~1.2.3", ">=1.0.0", "1.0.0 || 2.0.0", "1.0.0-", "01.0.0"} {
		_, err := (&Npm{Version: v, Registry: reg.srv.URL}).Load(context.Background(), mustAdapter(t, "node"))
		if err == nil || !strings.Contains(err.Error(), "version") || !strings.Contains(err.Error(), "11.1.6") {
			t.Errorf("version %q: err = %v", v, err)
		}
	}
	if n := reg.packumentHits.Load() + reg.tarballHits.Load(); n != 0 {
		t.Fatalf("%d requests made for invalid versions", n)
	}
	for _, v := range []string{"11.1.6", "12.0.0-beta.1", "1.2.3+build.5"} {
		if err := CheckExactVersion(v); err != nil {
			t.Errorf("CheckExactVersion(%q) = %v", v, err)
		}
	}
}

func TestNpmUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = (&Npm{Version: "1.0.0", Registry: "http://" + addr}).Load(context.Background(), mustAdapter(t, "node"))
	want := "npm registry http://" + addr + "/: cannot reach: "
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v, want it to contain %q", err, want)
	}
	if strings.Contains(err.Error(), `Get "`) {
		t.Errorf("error repeats the URL wrapper: %v", err)
	}
}

func TestNpmCanceled(t *testing.T) {
	reg := newFakeRegistry(t)
	reg.add("1.0.0", makeTarball(t, adapterEntries("@astrojs/node", "1.0.0", "")))
	reg.failPackument.Store(100)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := (&Npm{Version: "1.0.0", Registry: reg.srv.URL}).Load(ctx, mustAdapter(t, "node"))
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("err = %v", err)
	}
	if n := reg.packumentHits.Load(); n > 1 {
		t.Fatalf("%d requests after cancel", n)
	}
}

func TestNpmCache(t *testing.T) {
	reg := newFakeRegistry(t)
	tgz := makeTarball(t, adapterEntries("@astrojs/node", "1.0.0", "5.0.0"))
	reg.add("1.0.0", tgz)
	cache := filepath.Join(t.TempDir(), "npm")
	node := mustAdapter(t, "node")
	sum := sha512.Sum512(tgz)
	cached := filepath.Join(cache, "sha512-"+hex.EncodeToString(sum[:])+".tgz")

	load := func() (*Snapshot, string) {
		t.Helper()
		var progress bytes.Buffer
		snap, err := (&Npm{Version: "1.0.0", Registry: reg.srv.URL, CacheDir: cache, Progress: &progress}).Load(context.Background(), node)
		if err != nil {
			t.Fatal(err)
		}
		return snap, progress.String()
	}

	first, _ := load()
	if got, err := os.ReadFile(cached); err != nil || !bytes.Equal(got, tgz) {
		t.Fatalf("cache file %s: %v", cached, err)
	}
	second, progress := load()
	if n := reg.tarballHits.Load(); n != 1 {
		t.Fatalf("tarball requested %d times, want 1 (cache hit)", n)
	}
	if !strings.Contains(progress, "using cached @astrojs/node@1.0.0") {
		t.Fatalf("progress = %q", progress)
	}
	if !reflect.DeepEqual(first, second) {
		t.Fatal("cached snapshot differs")
	}

	// A corrupted cache file is detected and replaced.
	if err := os.WriteFile(cached, []byte("corrupt"), 0o644); err != nil {
		t.Fatal(err)
	}
	third, progress := load()
	if n := reg.tarballHits.Load(); n != 2 {
		t.Fatalf("tarball requested %d times, want 2 (re-download)", n)
	}
	if !strings.Contains(progress, "does not match") {
		t.Fatalf("progress = %q", progress)
	}
	if got, err := os.ReadFile(cached); err != nil || !bytes.Equal(got, tgz) {
		t.Fatalf("cache not repaired: %v", err)
	}
	if !reflect.DeepEqual(first, third) {
		t.Fatal("re-downloaded snapshot differs")
	}
}

func TestRegistryURL(t *testing.T) {
	home := t.TempDir()
	proj := t.TempDir()
	bare := t.TempDir()
	writeFiles(t, home, map[string]string{".npmrc": "; comment\n@astrojs:registry=https://scoped.example/\nregistry = \"https://home.example/npm\"\n"})
	writeFiles(t, proj, map[string]string{".npmrc": "# project\nregistry=https://first.example/\nregistry=${REG_HOST}/project\nalways-auth=true\n"})
	tests := []struct {
		name string
		dir  string
		env  map[string]string
		want string
	}{
		{"lowercase env wins", proj, map[string]string{"HOME": home, "npm_config_registry": "https://lower.example", "NPM_CONFIG_REGISTRY": "https://upper.example/"}, "https://lower.example/"},
		{"uppercase env", proj, map[string]string{"HOME": home, "NPM_CONFIG_REGISTRY": "https://upper.example/"}, "https://upper.example/"},
		{"project npmrc, last line, env expanded", proj, map[string]string{"HOME": home, "REG_HOST": "https://corp.example"}, "https://corp.example/project/"},
		{"home npmrc", bare, map[string]string{"HOME": home}, "https://home.example/npm/"},
		{"no project dir", "", map[string]string{"HOME": home}, "https://home.example/npm/"},
		{"default", bare, map[string]string{"HOME": bare}, "https://registry.npmjs.org/"},
		{"no HOME", bare, map[string]string{}, "https://registry.npmjs.org/"},
		{"USERPROFILE", bare, map[string]string{"USERPROFILE": home}, "https://home.example/npm/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RegistryURL(tt.dir, func(k string) string { return tt.env[k] })
			if got != tt.want {
				t.Fatalf("RegistryURL = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHumanSize(t *testing.T) {
	tests := map[int64]string{0: "0 B", 999: "999 B", 1000: "1 kB", 123456: "123 kB", 4_200_000: "4.2 MB"}
	for n, want := range tests {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
}
