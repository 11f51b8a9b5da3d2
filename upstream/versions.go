package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"time"

	"github.com/Masterminds/semver/v3"
)

// Published is what an npm registry lists for an adapter package.
type Published struct {
	Package string
	// Versions are the published versions in semver order, oldest first.
	// Entries that are not strict semver versions are left out.
	Versions []string
	// Latest is the "latest" dist-tag ("" when the registry gives none).
	Latest string
	// Deprecated maps deprecated versions to their deprecation message.
	Deprecated map[string]string
}

// ListVersions returns every version of adapter a published on the npm
// registry (registry "" means RegistryURL of the current folder and
// environment; client nil means a client with a 2-minute timeout). Network
// errors and 5xx answers are retried like [Npm.Load] does.
func ListVersions(ctx context.Context, registry string, client *http.Client, a Adapter) (*Published, error) {
	if registry == "" {
		wd, _ := os.Getwd()
		registry = RegistryURL(wd, os.Getenv)
	}
	registry = withSlash(registry)
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Minute}
	}
	docURL := registry + escapePackage(a.Package)
	status, body, err := httpGet(ctx, client, docURL, acceptPackument, maxPackument, nil)
	if err != nil {
		return nil, fmt.Errorf("npm %s: registry %s: %w", a.Package, registry, err)
	}
	switch {
	case status == http.StatusNotFound:
		return nil, fmt.Errorf("npm %s: registry %s: no such package (HTTP 404)", a.Package, registry)
	case status != http.StatusOK:
		return nil, fmt.Errorf("npm %s: registry %s: %s: HTTP %d", a.Package, registry, docURL, status)
	}
	var doc struct {
		Name     string            `json:"name"`
		DistTags map[string]string `json:"dist-tags"`
		Versions map[string]struct {
			Deprecated json.RawMessage `json:"deprecated"`
		} `json:"versions"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("npm %s: registry %s: bad packument: %w", a.Package, registry, err)
	}
	if doc.Name != "" && doc.Name != a.Package {
		return nil, fmt.Errorf("npm %s: registry %s: the packument is for %q", a.Package, registry, doc.Name)
	}
	if len(doc.Versions) == 0 {
		return nil, errors.New("npm " + a.Package + ": registry " + registry + ": no published versions")
	}
	p := &Published{Package: a.Package, Latest: doc.DistTags["latest"], Deprecated: map[string]string{}}
	parsed := map[string]*semver.Version{}
	for v, meta := range doc.Versions {
		sv, err := semver.StrictNewVersion(v)
		if err != nil {
			continue
		}
		parsed[v] = sv
		p.Versions = append(p.Versions, v)
		// npm writes "deprecated" as a message; false or "" means not deprecated.
		var msg string
		if json.Unmarshal(meta.Deprecated, &msg) == nil && msg != "" {
			p.Deprecated[v] = msg
		}
	}
	sort.Slice(p.Versions, func(i, j int) bool { return parsed[p.Versions[i]].LessThan(parsed[p.Versions[j]]) })
	return p, nil
}
