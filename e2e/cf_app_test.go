package e2e

// The Cloudflare e2e's project: generations read from the package.json
// templates, the app copied with its generation's variant, the environment
// of wrangler and workerd.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
)

// cfGeneration is one row of the compatibility table, read from a
// package.cf<N>.json template.
type cfGeneration struct {
	Name           string // "cf14"
	Template       string // absolute path of package.cf14.json
	AstroVersion   string
	AdapterVersion string // @astrojs/cloudflare version the package is built from
	// Variant is the folder of variants/ copied over the app: "runtime"
	// (10.x to 12.x: locals.runtime, wrangler.toml, platform proxy in dev) or
	// "workers" (13.x on: cloudflare:workers, wrangler.jsonc, Vite plugin).
	Variant string
}

var cfTemplateName = regexp.MustCompile(`^package\.cf(\d+)\.json$`)

func loadCloudflareGenerations(t *testing.T, appSrc string) []cfGeneration {
	t.Helper()
	entries, err := os.ReadDir(appSrc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, s := range strings.Split(os.Getenv("ZASTRO_E2E_CF_MAJORS"), ",") {
		if s = strings.TrimPrefix(strings.TrimSpace(s), "cf"); s != "" {
			want[s] = true
		}
	}
	var out []cfGeneration
	for _, e := range entries {
		m := cfTemplateName.FindStringSubmatch(e.Name())
		if m == nil || (len(want) > 0 && !want[m[1]]) {
			continue
		}
		path := filepath.Join(appSrc, e.Name())
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
		astro, adapter := pj.Dependencies["astro"], pj.Dependencies[cfUpstreamAdapter]
		if !exactVersion.MatchString(astro) || !exactVersion.MatchString(adapter) {
			t.Fatalf("%s: astro (%q) and %s (%q) must be pinned to exact versions", path, astro, cfUpstreamAdapter, adapter)
		}
		if !strings.HasPrefix(adapter, m[1]+".") {
			t.Fatalf("%s: %s is %s, not a %s.x version", path, cfUpstreamAdapter, adapter, m[1])
		}
		variant := "workers"
		if semver.MustParse(adapter).Major() < 13 {
			variant = "runtime"
		}
		out = append(out, cfGeneration{Name: "cf" + m[1], Template: path, AstroVersion: astro, AdapterVersion: adapter, Variant: variant})
	}
	sort.Slice(out, func(i, j int) bool { // newest first: the one that matters most
		a, _ := strconv.Atoi(strings.TrimPrefix(out[i].Name, "cf"))
		b, _ := strconv.Atoi(strings.TrimPrefix(out[j].Name, "cf"))
		return a > b
	})
	return out
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

// cloudflareEnv adds to the tool environment what keeps wrangler, miniflare
// and the Vite plugin local: no metrics, no error reports, no Request.cf
// download where the version honours it, no account, logs and config in the
// work folder, no interactive prompts.
func cloudflareEnv(env []string, work string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "CLOUDFLARE_") || strings.HasPrefix(k, "CF_") || strings.HasPrefix(k, "WRANGLER_") || k == "XDG_CONFIG_HOME" || k == "CI" {
			continue
		}
		out = append(out, kv)
	}
	return append(out,
		"CI=true",
		"DO_NOT_TRACK=1",
		"WRANGLER_SEND_METRICS=false",
		"WRANGLER_SEND_ERROR_REPORTS=false",
		"CLOUDFLARE_CF_FETCH_ENABLED=false",
		"WRANGLER_LOG_PATH="+filepath.Join(work, "wrangler-logs"),
		"XDG_CONFIG_HOME="+filepath.Join(work, "config"),
	)
}

// copyCloudflareApp copies the project without its templates, variants and
// rooms, then the variant's files over it, then (rooms: the generated
// package, which has them) rooms/common, rooms/<variant> and, where it
// exists, rooms/<generation> ("cf12").
func copyCloudflareApp(src, dst, variant, generation string, rooms bool) error {
	if err := copyApp(src, dst); err != nil {
		return err
	}
	for _, dir := range []string{"variants", "rooms"} {
		if err := os.RemoveAll(filepath.Join(dst, dir)); err != nil {
			return err
		}
	}
	matches, _ := filepath.Glob(filepath.Join(dst, "package.cf*.json"))
	for _, m := range matches {
		if err := os.Remove(m); err != nil {
			return err
		}
	}
	v := filepath.Join(src, "variants", variant)
	if _, err := os.Stat(v); err != nil {
		return fmt.Errorf("variant %s: %w", variant, err)
	}
	if err := copyApp(v, dst); err != nil {
		return err
	}
	if !rooms {
		return nil
	}
	// Rooms in Durable Objects: the class, then the variant's entry, bindings
	// and route, then what one generation does its own way (rooms/cf12).
	for _, dir := range []string{"common", variant, generation} {
		from := filepath.Join(src, "rooms", dir)
		if _, err := os.Stat(from); err != nil && dir == generation {
			continue
		}
		if err := copyApp(from, dst); err != nil {
			return fmt.Errorf("rooms/%s: %w", dir, err)
		}
	}
	return nil
}

// writeCloudflarePackageJSON writes the template with @astrojs/cloudflare
// swapped for the package under test (kept as is for upstream).
func writeCloudflarePackageJSON(template, dst, pkgName, dep string) error {
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
	if pkgName != cfUpstreamAdapter {
		delete(deps, cfUpstreamAdapter)
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

func trimSpace(s string) string { return strings.TrimSpace(s) }

func splitFields(s string) []string { return strings.Fields(s) }

// cfFreePort returns a free loopback port below the kernel's ephemeral range:
// a port from freePort may be handed to another process's listen(0) (workerd
// and miniflare open several) in the seconds before a slow server binds it.
func cfFreePort() (int, error) {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 11000 {
				low = n
			}
		}
	}
	for try := 0; try < 50; try++ {
		port := 10000 + rand.IntN(low-10000)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		l.Close()
		return port, nil
	}
	return freePort()
}
