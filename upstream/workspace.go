package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// workspaceVersions finds, for each "workspace:" dependency of the adapter's
// package.json, the version of that package in the same commit. pnpm replaces
// the protocol with that version when it publishes; zastro does the same.
func workspaceVersions(root *object.Tree, pkgJSON []byte) (map[string]string, error) {
	var pj struct {
		Dependencies     map[string]string `json:"dependencies"`
		PeerDependencies map[string]string `json:"peerDependencies"`
	}
	if err := json.Unmarshal(pkgJSON, &pj); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	var names []string
	for _, deps := range []map[string]string{pj.Dependencies, pj.PeerDependencies} {
		for name, spec := range deps {
			if strings.HasPrefix(spec, "workspace:") {
				names = append(names, name)
			}
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	sort.Strings(names)
	out := map[string]string{}
	for _, name := range names {
		base := path.Base(name)
		found := false
		for _, dir := range []string{"packages/" + base, "packages/integrations/" + base, "packages/" + strings.TrimPrefix(name, "@")} {
			f, err := root.File(dir + "/package.json")
			if err != nil {
				if errors.Is(err, object.ErrFileNotFound) || errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound) {
					continue
				}
				return nil, fmt.Errorf("%s/package.json: %w", dir, err)
			}
			data, err := f.Contents()
			if err != nil {
				return nil, fmt.Errorf("%s/package.json: %w", dir, err)
			}
			var dep packageJSON
			if json.Unmarshal([]byte(data), &dep) != nil || dep.Name != name || CheckExactVersion(dep.Version) != nil {
				continue
			}
			out[name] = dep.Version
			found = true
			break
		}
		if !found {
			return nil, fmt.Errorf("workspace dependency %s: no package of that name in packages/ at this commit", name)
		}
	}
	return out, nil
}

// AstroVersionAt reads packages/astro/package.json of the repository at repoDir
// at commit: the Astro version that a git build of that commit targets.
func AstroVersionAt(ctx context.Context, repoDir, commit string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	dir, err := filepath.Abs(repoDir)
	if err != nil {
		return "", err
	}
	repo, err := openLocal(dir)
	if err != nil {
		return "", fmt.Errorf("git %s: %w", repoDir, err)
	}
	c, err := repo.CommitObject(plumbing.NewHash(commit))
	if err != nil {
		return "", fmt.Errorf("git %s: commit %s: %w (fetch it into the submodule first)", repoDir, commit, err)
	}
	root, err := c.Tree()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", repoDir, err)
	}
	v, err := monorepoAstroVersion(root)
	if err != nil {
		return "", fmt.Errorf("git %s at %s: %w", repoDir, commit[:12], err)
	}
	if v == "" {
		return "", fmt.Errorf("git %s at %s: no packages/astro/package.json: not the astro monorepo", repoDir, commit[:12])
	}
	return v, nil
}
