//go:build unix

package e2e

// The Cloudflare e2e's project: generations read from the package.json
// templates, the app copied with its generation's variant, the environment
// of wrangler and workerd.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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
	var out []cfGeneration
	numbers, paths := packageTemplates(t, appSrc, cfTemplateName, "ZASTRO_E2E_CF_MAJORS", "cf")
	for i, path := range paths {
		astro, adapter := cloudflareAdapter.pinnedVersions(t, path)
		if n := strconv.Itoa(numbers[i]); !strings.HasPrefix(adapter, n+".") {
			t.Fatalf("%s: %s is %s, not a %s.x version", path, cfUpstreamAdapter, adapter, n)
		}
		variant := "workers"
		if semver.MustParse(adapter).Major() < 13 {
			variant = "runtime"
		}
		out = append(out, cfGeneration{Name: fmt.Sprintf("cf%d", numbers[i]), Template: path, AstroVersion: astro, AdapterVersion: adapter, Variant: variant})
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
