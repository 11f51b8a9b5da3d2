package upstream

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
)

// DefaultRegistry is the public npm registry.
const DefaultRegistry = "https://registry.npmjs.org/"

// Npm loads an adapter from the npm registry: the published tarball of one
// exact version, checked against its sha512 integrity and extracted in
// memory. The tarball holds the compiled package (dist/*.js, *.d.ts), not
// the TypeScript sources. The same paths as for [Git] are left out
// (node_modules, the top-level test folder, CHANGELOG.md).
type Npm struct {
	// Version is the exact adapter version, e.g. "11.1.6". Ranges, tags such
	// as "latest" and anything else that is not a strict semver version are
	// rejected before any network access.
	Version string
	// Registry is the registry base URL; "" means RegistryURL of the current
	// folder and environment.
	Registry string
	// CacheDir caches tarballs by integrity (CacheDir/sha512-<hex>.tgz);
	// "" disables the cache. A cached tarball is verified again before use
	// and downloaded again when it does not match.
	CacheDir string
	// Client makes the HTTP requests; nil means a client with a 2-minute
	// timeout.
	Client *http.Client
	// Progress receives progress lines; nil discards them.
	Progress io.Writer
}

const (
	// maxAttempts is one request plus three retries.
	maxAttempts = 4
	// maxPackument bounds the size of a packument response.
	maxPackument = 64 << 20
	// acceptPackument asks for the abbreviated document; it carries
	// dist.tarball and dist.integrity, which is all Load needs (devDependencies
	// are read from the tarball's package.json).
	acceptPackument = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"
)

// retryBackoff is the delay before the first retry; it doubles each retry.
var retryBackoff = 300 * time.Millisecond

// CheckExactVersion reports an error unless v is an exact semver version such
// as "11.1.6" or "12.0.0-beta.1" (no ranges, no "v" prefix, no dist-tags).
func CheckExactVersion(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("no version given: want an exact version such as 11.1.6")
	}
	if _, err := semver.StrictNewVersion(v); err != nil {
		return fmt.Errorf("invalid version %q: want an exact version such as 11.1.6, not a range, a dist-tag or \"latest\" (%v)", v, err)
	}
	return nil
}

// Load downloads, verifies and extracts adapter a at n.Version.
func (n *Npm) Load(ctx context.Context, a Adapter) (*Snapshot, error) {
	if n == nil {
		return nil, errors.New("npm: no source")
	}
	label := fmt.Sprintf("npm %s@%s", a.Package, n.Version)
	if err := CheckExactVersion(n.Version); err != nil {
		return nil, fmt.Errorf("npm %s: %w", a.Package, err)
	}
	registry := n.Registry
	if registry == "" {
		wd, _ := os.Getwd()
		registry = RegistryURL(wd, os.Getenv)
	}
	registry = withSlash(registry)
	client := n.Client
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Minute}
	}

	// The packument: every published version with its tarball and integrity.
	docURL := registry + escapePackage(a.Package)
	status, body, err := httpGet(ctx, client, docURL, acceptPackument, maxPackument, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: npm registry %s: %w", label, registry, err)
	}
	switch {
	case status == http.StatusNotFound:
		return nil, fmt.Errorf("%s: npm registry %s: no such package %s (HTTP 404)", label, registry, a.Package)
	case status != http.StatusOK:
		return nil, fmt.Errorf("%s: npm registry %s: %s: HTTP %d", label, registry, docURL, status)
	}
	var doc struct {
		Name     string `json:"name"`
		Versions map[string]struct {
			Dist struct {
				Tarball   string `json:"tarball"`
				Integrity string `json:"integrity"`
			} `json:"dist"`
		} `json:"versions"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%s: npm registry %s: bad packument: %w", label, registry, err)
	}
	ver, ok := doc.Versions[n.Version]
	if !ok {
		var all []string
		for v := range doc.Versions {
			all = append(all, v)
		}
		near := nearestVersions(n.Version, all, 5)
		hint := "the package has no published versions"
		if len(near) > 0 {
			hint = "nearest published versions: " + strings.Join(near, ", ")
		}
		return nil, fmt.Errorf("%s: no such version in npm registry %s; %s", label, registry, hint)
	}
	if ver.Dist.Tarball == "" {
		return nil, fmt.Errorf("%s: the packument gives no dist.tarball", label)
	}
	tarURL, err := resolveTarballURL(docURL, ver.Dist.Tarball)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	want, err := parseSRI(ver.Dist.Integrity)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}

	data, err := n.tarball(ctx, client, a.Package, tarURL, want)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	files, err := ExtractTarball(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", label, tarURL, err)
	}
	filterFiles(files)
	pj, err := readPackageJSON(files, a)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", label, tarURL, err)
	}
	if pj.Version != n.Version {
		return nil, fmt.Errorf("%s: %s: package.json says version %s", label, tarURL, pj.Version)
	}
	return &Snapshot{
		Files: files,
		Provenance: Provenance{
			Source:       "npm",
			Adapter:      a.Name,
			Package:      a.Package,
			Version:      pj.Version,
			AstroVersion: exactAstro(pj),
			Integrity:    formatSRI(want),
			Origin:       tarURL,
		},
	}, nil
}

// tarball returns the verified tarball bytes, from the cache when possible.
func (n *Npm) tarball(ctx context.Context, client *http.Client, pkg, tarURL string, want []byte) ([]byte, error) {
	var cachePath string
	if n.CacheDir != "" {
		cachePath = filepath.Join(n.CacheDir, "sha512-"+hex.EncodeToString(want)+".tgz")
		if data, found, valid := readCached(cachePath, want); valid {
			progressf(n.Progress, "using cached %s@%s (%s)", pkg, n.Version, humanSize(int64(len(data))))
			return data, nil
		} else if found {
			progressf(n.Progress, "cached tarball %s does not match its integrity; downloading again", cachePath)
			_ = os.Remove(cachePath)
		}
	}
	onHeaders := func(resp *http.Response) {
		if resp.ContentLength > 0 {
			progressf(n.Progress, "downloading %s@%s (%s)", pkg, n.Version, humanSize(resp.ContentLength))
		} else {
			progressf(n.Progress, "downloading %s@%s", pkg, n.Version)
		}
	}
	status, data, err := httpGet(ctx, client, tarURL, "application/octet-stream", MaxTotalSize, onHeaders)
	if err != nil {
		return nil, fmt.Errorf("tarball %s: %w", tarURL, err)
	}
	switch {
	case status == http.StatusNotFound:
		return nil, fmt.Errorf("tarball %s: no such package/version (HTTP 404)", tarURL)
	case status != http.StatusOK:
		return nil, fmt.Errorf("tarball %s: HTTP %d", tarURL, status)
	}
	got := sha512.Sum512(data)
	if !bytes.Equal(got[:], want) {
		return nil, fmt.Errorf("tarball %s: integrity mismatch: the registry says %s, the download is %s", tarURL, formatSRI(want), formatSRI(got[:]))
	}
	if cachePath != "" {
		if err := writeCache(cachePath, data); err != nil {
			progressf(n.Progress, "could not cache %s: %v", tarURL, err)
		}
	}
	return data, nil
}

// readCached reads the cached tarball at p. found says whether a file is
// there; valid whether its sha512 equals want.
func readCached(p string, want []byte) (data []byte, found, valid bool) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, false, false
	}
	if !st.Mode().IsRegular() || st.Size() > MaxTotalSize {
		return nil, true, false
	}
	data, err = os.ReadFile(p)
	if err != nil {
		return nil, true, false
	}
	got := sha512.Sum512(data)
	return data, true, bytes.Equal(got[:], want)
}

// writeCache writes data to p atomically.
func writeCache(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), filepath.Base(p)+".tmp-")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), p); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// statusError is a 5xx response that exhausted the retries.
type statusError struct{ code int }

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d", e.code) }

// httpGet fetches u with retries on network errors and 5xx responses. It
// returns the status and, for 200, the body (at most limit bytes). A non-nil
// error means the server could not be reached or kept failing.
func httpGet(ctx context.Context, client *http.Client, u, accept string, limit int64, onHeaders func(*http.Response)) (int, []byte, error) {
	var lastErr error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(retryBackoff << (attempt - 1))
			select {
			case <-ctx.Done():
				t.Stop()
				return 0, nil, ctx.Err()
			case <-t.C:
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return 0, nil, fmt.Errorf("bad URL %q: %w", u, err)
		}
		req.Header.Set("Accept", accept)
		req.Header.Set("User-Agent", "zastro")
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return 0, nil, ctx.Err()
			}
			lastErr = fmt.Errorf("cannot reach: %w", unwrapURLError(err))
			continue
		}
		if resp.StatusCode >= 500 {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			lastErr = &statusError{resp.StatusCode}
			continue
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return resp.StatusCode, nil, nil
		}
		if resp.ContentLength > limit {
			resp.Body.Close()
			return 0, nil, fmt.Errorf("%s: response of %d bytes exceeds the %d-byte limit", u, resp.ContentLength, limit)
		}
		if onHeaders != nil {
			onHeaders(resp)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
		resp.Body.Close()
		if err != nil {
			if ctx.Err() != nil {
				return 0, nil, ctx.Err()
			}
			lastErr = fmt.Errorf("cannot reach: %w", unwrapURLError(err))
			continue
		}
		if int64(len(body)) > limit {
			return 0, nil, fmt.Errorf("%s: response exceeds the %d-byte limit", u, limit)
		}
		return resp.StatusCode, body, nil
	}
	var se *statusError
	if errors.As(lastErr, &se) {
		return 0, nil, fmt.Errorf("%s: %w after %d attempts", u, lastErr, maxAttempts)
	}
	return 0, nil, lastErr
}

// unwrapURLError drops the "Get \"url\":" wrapper of net/http errors.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// escapePackage encodes a package name for a registry URL: the "/" of a
// scoped name becomes "%2f" ("@astrojs/node" -> "@astrojs%2fnode").
func escapePackage(name string) string {
	return strings.Replace(name, "/", "%2f", 1)
}

// resolveTarballURL resolves a dist.tarball value against the packument URL
// and accepts only http and https URLs.
func resolveTarballURL(docURL, tarball string) (string, error) {
	base, err := url.Parse(docURL)
	if err != nil {
		return "", fmt.Errorf("bad registry URL %q: %w", docURL, err)
	}
	ref, err := url.Parse(tarball)
	if err != nil {
		return "", fmt.Errorf("bad dist.tarball %q: %w", tarball, err)
	}
	u := base.ResolveReference(ref)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("dist.tarball %q is not an http(s) URL", tarball)
	}
	return u.String(), nil
}

// parseSRI returns the sha512 digest of a Subresource Integrity string such
// as "sha512-<base64> sha1-<base64>".
func parseSRI(s string) ([]byte, error) {
	for _, f := range strings.Fields(s) {
		alg, val, ok := strings.Cut(f, "-")
		if !ok || alg != "sha512" {
			continue
		}
		val, _, _ = strings.Cut(val, "?")
		d, err := base64.StdEncoding.DecodeString(val)
		if err != nil || len(d) != sha512.Size {
			return nil, fmt.Errorf("malformed sha512 integrity %q", f)
		}
		return d, nil
	}
	if s == "" {
		return nil, errors.New("the packument gives no dist.integrity (a sha512 digest is required)")
	}
	return nil, fmt.Errorf("no sha512 digest in dist.integrity %q", s)
}

// formatSRI formats a sha512 digest as "sha512-<base64>".
func formatSRI(d []byte) string {
	return "sha512-" + base64.StdEncoding.EncodeToString(d)
}

// humanSize formats a byte count as "512 B", "123 kB" or "4.2 MB".
func humanSize(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1000*1000:
		return strconv.FormatInt((n+500)/1000, 10) + " kB"
	default:
		return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
	}
}

// RegistryURL returns the npm registry to use for a project, as npm would:
// the npm_config_registry (or NPM_CONFIG_REGISTRY) environment variable,
// else the "registry=" setting of projectDir/.npmrc, else that of
// $HOME/.npmrc, else [DefaultRegistry]. ${VAR} references in .npmrc values
// are expanded with getenv. The result always ends with "/". A nil getenv
// means os.Getenv. Scoped registries ("@scope:registry=") are not consulted.
func RegistryURL(projectDir string, getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, k := range []string{"npm_config_registry", "NPM_CONFIG_REGISTRY"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return withSlash(v)
		}
	}
	if projectDir != "" {
		if v := npmrcRegistry(filepath.Join(projectDir, ".npmrc"), getenv); v != "" {
			return withSlash(v)
		}
	}
	home := getenv("HOME")
	if home == "" {
		home = getenv("USERPROFILE")
	}
	if home != "" {
		if v := npmrcRegistry(filepath.Join(home, ".npmrc"), getenv); v != "" {
			return withSlash(v)
		}
	}
	return DefaultRegistry
}

// envRef matches ${VAR} and ${VAR?} in .npmrc values.
var envRef = regexp.MustCompile(`\$\{([^}?]+)\??\}`)

// npmrcRegistry returns the last "registry=" value of an .npmrc file, or "".
func npmrcRegistry(p string, getenv func(string) string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	var value string
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) != "registry" {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		v = envRef.ReplaceAllStringFunc(v, func(m string) string {
			name := envRef.FindStringSubmatch(m)[1]
			return getenv(name)
		})
		if v = strings.TrimSpace(v); v != "" {
			value = v
		}
	}
	return value
}

// withSlash adds a trailing "/" when missing.
func withSlash(u string) string {
	u = strings.TrimSpace(u)
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}
