//go:build unix

package e2e

// The project of an adapter's e2e, shared by both suites: the zastro CLI,
// the generated package, the app copied from testdata with its package.json
// template, the npm install, the servers and the type check.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zastro-dev/zastro/internal/npmretry"
)

// adapter is what the harness needs to know of an adapter under test.
type adapter struct {
	cli      string // `zastro build <cli>`, and the folder of the generated package
	upstream string // npm name of the upstream adapter
	zastro   string // npm name of the generated package
}

var (
	nodeAdapter       = adapter{cli: "node", upstream: upstreamAdapter, zastro: zastroAdapter}
	cloudflareAdapter = adapter{cli: "cloudflare", upstream: cfUpstreamAdapter, zastro: cfZastroAdapter}
)

// retry runs step up to tries times, pausing try*pause between tries, and
// logs each failure with the tail of its output: the npm registry is the one
// flaky part of the e2e. The error names what and the number of tries.
func retry(t *testing.T, what string, tries int, pause time.Duration, step func() ([]byte, error)) ([]byte, error) {
	t.Helper()
	var out []byte
	var err error
	for try := 1; try <= tries; try++ {
		if out, err = step(); err == nil {
			return out, nil
		}
		t.Logf("%s, try %d/%d: %v\n%s", what, try, tries, err, tail(out, 20))
		if try < tries {
			time.Sleep(time.Duration(try) * pause) // back off before asking the registry again
		}
	}
	return out, fmt.Errorf("%s: %w (after %d tries)", what, err, tries)
}

// npmInstall runs `npm <args>` in dir with the project's npm retry policy
// (internal/npmretry) and a timeout each try.
func npmInstall(t *testing.T, dir string, env, args []string) ([]byte, error) {
	t.Helper()
	return npmretry.Run(context.Background(), npmretry.Options{Dir: dir, Env: env, Timeout: npmInstallTimeout, Logf: t.Logf}, args...)
}

// buildCLI builds the zastro CLI into dir.
func buildCLI(t *testing.T, repo, dir string) string {
	t.Helper()
	start := time.Now()
	bin := filepath.Join(dir, "zastro")
	if out, err := runCmd(context.Background(), 5*time.Minute, repo, os.Environ(), "go", "build", "-o", bin, "./cmd/zastro"); err != nil {
		t.Fatalf("building the zastro CLI (go build ./cmd/zastro): %v\n%s", err, out)
	}
	t.Logf("built zastro CLI (%.1fs)", time.Since(start).Seconds())
	return bin
}

// generate runs `zastro build <adapter> --from npm --version <version>` into
// out (the registry may fail once) and returns the generated package's folder
// and version, checking its name.
func (a adapter) generate(t *testing.T, repo string, env []string, zastroBin, version, out string, flags []string) (pkgDir, pkgVersion string, err error) {
	t.Helper()
	args := append([]string{"build", a.cli, "--from", "npm", "--version", version, "--out", out}, flags...)
	what := fmt.Sprintf("zastro build %s --from npm --version %s", a.cli, version)
	log, err := retry(t, what, 2, 0, func() ([]byte, error) {
		return runCmd(context.Background(), zastroBuildTime, repo, env, zastroBin, args...)
	})
	if err != nil {
		return "", "", fmt.Errorf("%w\n%s", err, log)
	}
	pkgDir = filepath.Join(out, a.cli)
	name, pkgVersion, err := readPackageIdentity(filepath.Join(pkgDir, "package.json"))
	if err != nil {
		return "", "", fmt.Errorf("generated package: %w\n%s", err, log)
	}
	if name != a.zastro {
		return "", "", fmt.Errorf("generated package %s is named %q, want %q", pkgDir, name, a.zastro)
	}
	return pkgDir, pkgVersion, nil
}

// install runs npm install in the project; a generated package (a file:
// dependency) is copied in as a real folder, as from a tarball, so that its
// peers (astro) resolve from the project's node_modules. It then checks the
// installed astro version.
func install(t *testing.T, app string, env []string, links bool, astroVersion string) error {
	t.Helper()
	args := []string{"install", "--no-audit", "--no-fund", "--prefer-offline", "--no-package-lock"}
	if links {
		args = append(args, "--install-links")
	}
	out, err := npmInstall(t, app, env, args)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, tail(out, 60))
	}
	if v, err := installedVersion(app, "astro"); err != nil || v != astroVersion {
		return fmt.Errorf("installed astro is %q (%v), want %s", v, err, astroVersion)
	}
	return nil
}

// ---------------------------------------------------------------- templates

var exactVersion = regexp.MustCompile(`^\d+\.\d+\.\d+$`)

// pinnedVersions reads the exact astro and upstream adapter versions of a
// package.json template.
func (a adapter) pinnedVersions(t *testing.T, path string) (astro, adapterVersion string) {
	t.Helper()
	var pj struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &pj)
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	astro, adapterVersion = pj.Dependencies["astro"], pj.Dependencies[a.upstream]
	if !exactVersion.MatchString(astro) || !exactVersion.MatchString(adapterVersion) {
		t.Fatalf("%s: astro (%q) and %s (%q) must be pinned to exact versions", path, astro, a.upstream, adapterVersion)
	}
	return astro, adapterVersion
}

// packageTemplates lists the package.json templates of appSrc that match name
// (whose first group is the major) and that the comma-separated selection
// in the environment variable env keeps (prefix optional: "astro7" or "7"),
// newest major first: the one that matters most.
func packageTemplates(t *testing.T, appSrc string, name *regexp.Regexp, env, prefix string) (majors []int, paths []string) {
	t.Helper()
	entries, err := os.ReadDir(appSrc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, s := range strings.Split(os.Getenv(env), ",") {
		if s = strings.TrimPrefix(strings.TrimSpace(s), prefix); s != "" {
			want[s] = true
		}
	}
	type found struct {
		major int
		path  string
	}
	var all []found
	for _, e := range entries {
		m := name.FindStringSubmatch(e.Name())
		if m == nil || (len(want) > 0 && !want[m[1]]) {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		all = append(all, found{n, filepath.Join(appSrc, e.Name())})
	}
	slices.SortFunc(all, func(a, b found) int { return b.major - a.major })
	for _, f := range all {
		majors, paths = append(majors, f.major), append(paths, f.path)
	}
	return majors, paths
}

// selectFrom reads a comma-separated subset of all from the environment
// variable name; unset means all, in all's order.
func selectFrom(t *testing.T, name string, all []string) []string {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return all
	}
	var out []string
	for _, m := range strings.Split(s, ",") {
		m = strings.TrimSpace(m)
		if !slices.Contains(all, m) {
			t.Fatalf("%s: unknown value %q (want %v)", name, m, all)
		}
		out = append(out, m)
	}
	return out
}

// templateFile matches the package.json templates of every e2e app.
var templateFile = regexp.MustCompile(`^package\.(astro|cf)\d+\.json$`)

// copyApp copies the project source, leaving out package.json templates,
// installs and build output.
func copyApp(src, dst string) error {
	return copyTree(src, dst, func(rel string, d fs.DirEntry) bool {
		name := d.Name()
		if d.IsDir() {
			return name == "node_modules" || name == ".astro" || strings.HasPrefix(name, "dist")
		}
		return templateFile.MatchString(name) || name == "package-lock.json"
	})
}

// copyTree copies src into dst, leaving out what skip says (a skipped folder
// with everything in it).
func copyTree(src, dst string, skip func(rel string, d fs.DirEntry) bool) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if rel != "." && skip(filepath.ToSlash(rel), d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// writePackageJSON writes a template with the upstream adapter dependency
// swapped for the package under test (kept as is for upstream).
func (a adapter) writePackageJSON(template, dst, pkgName, dep string) error {
	b, err := os.ReadFile(template)
	if err != nil {
		return err
	}
	var pj map[string]json.RawMessage
	if err := json.Unmarshal(b, &pj); err != nil {
		return fmt.Errorf("%s: %w", template, err)
	}
	var deps map[string]string
	if err := json.Unmarshal(pj["dependencies"], &deps); err != nil {
		return fmt.Errorf("%s: dependencies: %w", template, err)
	}
	if pkgName != a.upstream {
		delete(deps, a.upstream)
		deps[pkgName] = dep
	}
	if pj["dependencies"], err = json.Marshal(deps); err != nil {
		return err
	}
	out, err := json.MarshalIndent(pj, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(dst, append(out, '\n'), 0o644)
}

func readPackageIdentity(path string) (name, version string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	var pj struct{ Name, Version string }
	if err := json.Unmarshal(b, &pj); err != nil {
		return "", "", fmt.Errorf("%s: %w", path, err)
	}
	return pj.Name, pj.Version, nil
}

func installedVersion(app, pkg string) (string, error) {
	_, v, err := readPackageIdentity(filepath.Join(app, "node_modules", pkg, "package.json"))
	return v, err
}

// ---------------------------------------------------------------- servers, suites

// serve starts a server (stopped when the test ends) and waits until url
// answers 200; it returns the seconds that took.
func serve(t *testing.T, dir string, env []string, logPath, name string, args []string, url string, timeout time.Duration) (*server, float64, error) {
	t.Helper()
	srv, err := startServer(dir, env, logPath, name, args...)
	if err != nil {
		return nil, 0, err
	}
	t.Cleanup(srv.stop)
	start := time.Now()
	if err := srv.waitReady(url, timeout); err != nil {
		return srv, 0, err
	}
	return srv, secondsSince(start), nil
}

// passed says whether a client suite run counts as passing: it ran, nothing
// failed, something passed and, if strict, nothing was skipped.
func (r suiteRun) passed(strict bool) bool {
	return r.err == nil && r.summary.fail == 0 && r.summary.pass > 0 && !(strict && r.summary.skipped > 0)
}

// typesRun is the outcome of the type half of the contract.
type typesRun struct {
	syncSeconds, tscSeconds float64
	errors                  []string // tsc's error lines
}

var tscError = regexp.MustCompile(`(?m)^\S.*\(\d+,\d+\): error TS\d+: .*$`)

// checkTypes runs `astro sync <syncArgs>` and `tsc --noEmit` in the app: with
// the package installed, App.Locals has both members, typed without any, in a
// user's `tsc --noEmit`.
func checkTypes(t *testing.T, name, app string, env []string, nodeBin string, syncArgs ...string) (typesRun, error) {
	t.Helper()
	var r typesRun
	start := time.Now()
	if out, err := runCmd(context.Background(), astroBuildTimeout, app, env, nodeBin, append([]string{"node_modules/.bin/astro", "sync"}, syncArgs...)...); err != nil {
		return r, fmt.Errorf("astro sync: %w\n%s", err, tail(out, 40))
	}
	r.syncSeconds = secondsSince(start)
	start = time.Now()
	out, err := runCmd(context.Background(), astroBuildTimeout, app, env, nodeBin, "node_modules/typescript/bin/tsc", "-p", ".", "--noEmit")
	r.tscSeconds = secondsSince(start)
	r.errors = tscError.FindAllString(string(out), -1)
	t.Logf("%s/types: astro sync %.1fs, tsc %.1fs, %d errors", name, r.syncSeconds, r.tscSeconds, len(r.errors))
	if err != nil {
		return r, fmt.Errorf("tsc --noEmit: %w\n%s", err, tail(out, 60))
	}
	return r, nil
}

// toolchain is what every project of a suite uses: the Node binary (>= 22.12,
// scripts/node.sh), the tool environment, Node's version and, unless the
// suite installs the plain upstream adapter, a zastro CLI built for the run.
type toolchain struct {
	nodeBin, nodeVersion string
	env                  []string
	zastroBin            string
}

func prepareToolchain(t *testing.T, repo string, upstream bool) toolchain {
	t.Helper()
	start := time.Now()
	var tc toolchain
	tc.nodeBin = findNode(t, repo)
	tc.env = toolEnv(filepath.Dir(tc.nodeBin))
	tc.nodeVersion = strings.TrimSpace(string(mustOutput(t, tc.env, repo, tc.nodeBin, "--version")))
	t.Logf("node %s at %s (%.1fs)", tc.nodeVersion, tc.nodeBin, time.Since(start).Seconds())
	if !upstream {
		tc.zastroBin = buildCLI(t, repo, t.TempDir())
	}
	return tc
}

// eachProject runs one parallel subtest per name, at most parallel at once.
func eachProject(t *testing.T, names []string, parallel int, run func(t *testing.T, i int)) {
	slots := make(chan struct{}, max(parallel, 1))
	for i, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			slots <- struct{}{}
			defer func() { <-slots }()
			run(t, i)
		})
	}
}

// resultsName is the results file of an adapter's suite.
func (a adapter) resultsName(upstream bool) string {
	if upstream {
		return a.cli + "-upstream.json"
	}
	return a.cli + ".json"
}

// serveMode starts a mode's server from the app folder, logging to
// server-<mode>.log in work, and waits until base answers 200. It returns the
// log's path and the seconds until ready; on failure it logs the log's tail.
func serveMode(t *testing.T, label, mode, work, app string, env []string, nodeBin string, args []string, base string, timeout time.Duration) (string, float64, error) {
	t.Helper()
	logPath := filepath.Join(work, "server-"+mode+".log")
	_, ready, err := serve(t, app, env, logPath, nodeBin, args, base+"/", timeout)
	if err != nil {
		t.Logf("server log (%s):\n%s", logPath, tailFile(logPath, 80))
		return logPath, 0, fmt.Errorf("%s server not ready: %w", mode, err)
	}
	t.Logf("%s/%s: ready at %s after %.1fs", label, mode, base, ready)
	return logPath, ready, nil
}

// clientSuite runs a client suite (node --test) against base and logs its
// counts; when it did not pass (strict: skipped tests fail it too) it logs
// its output and the server log's tail and returns an error naming what.
func clientSuite(t *testing.T, what, label string, env []string, repo, nodeBin, suite, base, mode, logPath string, strict bool) (suiteRun, error) {
	t.Helper()
	run := runSuite(env, repo, nodeBin, suite, base, mode)
	sum := run.summary
	t.Logf("%s: %s %d passed, %d failed, %d skipped (%.1fs)", label, what, sum.pass, sum.fail, sum.skipped, run.seconds)
	if run.passed(strict) {
		return run, nil
	}
	t.Logf("%s output:\n%s", what, run.out)
	t.Logf("server log (%s):\n%s", logPath, tailFile(logPath, 60))
	err := run.err
	if err == nil {
		err = errors.New("tests failed, were skipped, or none passed")
	}
	return run, fmt.Errorf("%s: %s failed (%d failed, %d skipped of %d): %v", label, what, sum.fail, sum.skipped, sum.pass+sum.fail+sum.skipped, err)
}
