package upstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Git loads an adapter from git objects at a tag, branch or commit. It reads
// the commit's tree only: no working tree is read or written and the
// repository is never modified, except that clones of URLs in CacheDir are
// created and fetched.
type Git struct {
	// Repo is the local path of a git repository (a normal checkout, a bare
	// repository, or a submodule folder whose .git is a file), or a URL to
	// clone ("https://github.com/withastro/astro.git", "git@host:owner/repo").
	// A file:// URL is opened in place like a local path.
	Repo string
	// CacheDir receives bare clones of URLs, one folder per URL (named by a
	// hash of the URL). A clone found there is reused; it is fetched when the
	// ref is missing or names a branch.
	CacheDir string
	// Ref is a tag ("@astrojs/node@9.4.3"), a branch ("main"), a full
	// reference name ("refs/tags/..."), or a full or abbreviated (at least 4
	// hex digits) commit sha. "" means HEAD.
	Ref string
	// Progress receives progress lines; nil discards them.
	Progress io.Writer
}

// refKind says how a ref was resolved.
type refKind int

const (
	kindHead refKind = iota
	kindTag
	kindBranch
	kindCommit
)

// errRefNotFound marks a ref that names nothing in the repository.
var errRefNotFound = errors.New("ref not found")

// Load reads adapter a from the repository at g.Ref.
func (g *Git) Load(ctx context.Context, a Adapter) (*Snapshot, error) {
	if g == nil || strings.TrimSpace(g.Repo) == "" {
		return nil, fmt.Errorf("git: no repository given")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("git %s: %w", g.Repo, err)
	}
	var (
		repo   *git.Repository
		origin string
		clone  bool
		reused bool
		err    error
	)
	if local, ok := strings.CutPrefix(g.Repo, "file://"); ok {
		// A local repository needs no clone.
		origin, err = filepath.Abs(filepath.FromSlash(local))
		if err == nil {
			repo, err = openLocal(origin)
		}
	} else if isGitURL(g.Repo) {
		origin = g.Repo
		clone = true
		repo, reused, err = g.openURL(ctx)
	} else {
		origin, err = filepath.Abs(g.Repo)
		if err == nil {
			repo, err = openLocal(origin)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("git %s: %w", g.Repo, err)
	}

	hash, kind, err := resolveRef(repo, g.Ref, clone)
	if clone && reused && (errors.Is(err, errRefNotFound) || (err == nil && (kind == kindBranch || kind == kindHead))) {
		// The cached clone may be stale: fetch, then resolve again.
		progressf(g.Progress, "fetching %s", origin)
		if ferr := fetchOrigin(ctx, repo, g.Progress); ferr != nil {
			if err != nil {
				return nil, fmt.Errorf("git %s: ref %q not in the cached clone and fetching failed: %w", origin, g.Ref, ferr)
			}
			progressf(g.Progress, "fetching %s failed (%v); using the cached clone", origin, ferr)
		} else {
			hash, kind, err = resolveRef(repo, g.Ref, clone)
		}
	}
	if err != nil {
		if errors.Is(err, errRefNotFound) {
			return nil, unknownRefError(repo, origin, g.Ref, a)
		}
		return nil, fmt.Errorf("git %s: ref %q: %w", origin, g.Ref, err)
	}

	commit, err := repo.CommitObject(hash)
	if err != nil {
		return nil, fmt.Errorf("git %s: commit %s: %w", origin, hash, err)
	}
	snap, err := snapshotFromCommit(repo, commit, a)
	if err != nil {
		return nil, fmt.Errorf("git %s at %s (%s): %w", origin, refLabel(g.Ref), hash.String()[:12], err)
	}
	snap.Provenance.Ref = g.Ref
	snap.Provenance.Origin = origin
	return snap, nil
}

func refLabel(ref string) string {
	if ref == "" {
		return "HEAD"
	}
	return ref
}

// scpLike matches scp-style git addresses such as git@github.com:owner/repo.
var scpLike = regexp.MustCompile(`^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^/\\]`)

// isGitURL reports whether s is a URL to clone rather than a local path.
func isGitURL(s string) bool {
	return strings.Contains(s, "://") || scpLike.MatchString(s)
}

// openLocal opens the repository at dir: a checkout, a bare repository, a
// submodule folder whose .git is a file, or a folder inside a checkout.
func openLocal(dir string) (*git.Repository, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot open repository: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("cannot open repository: %s is not a folder", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot open repository: %w", err)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%s is an empty folder (an uninitialised submodule? run: git submodule update --init %s)", dir, filepath.Base(dir))
	}
	opts := &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true}
	if isBareDir(dir) {
		// DetectDotGit would look for a .git folder and climb to the parent.
		opts.DetectDotGit = false
	}
	repo, err := git.PlainOpenWithOptions(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("cannot open repository: %w", err)
	}
	return repo, nil
}

// isBareDir reports whether dir looks like a bare repository (or a git dir).
func isBareDir(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return false
	}
	for _, name := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}

// cacheKey names the cache folder of a URL.
func cacheKey(url string) string {
	sum := sha256.Sum256([]byte(url))
	return hex.EncodeToString(sum[:])[:20] + ".git"
}

// openURL opens the cached bare clone of g.Repo, cloning it first when it is
// not cached. reused says whether an existing clone was opened.
func (g *Git) openURL(ctx context.Context) (repo *git.Repository, reused bool, err error) {
	if g.CacheDir == "" {
		return nil, false, fmt.Errorf("cloning a URL needs a cache folder (Git.CacheDir)")
	}
	dir := filepath.Join(g.CacheDir, cacheKey(g.Repo))
	if _, err := os.Stat(dir); err == nil {
		repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{})
		if err != nil {
			return nil, false, fmt.Errorf("cached clone %s is unusable (delete it to clone again): %w", dir, err)
		}
		return repo, true, nil
	}
	if err := os.MkdirAll(g.CacheDir, 0o755); err != nil {
		return nil, false, fmt.Errorf("cache: %w", err)
	}
	tmp, err := os.MkdirTemp(g.CacheDir, cacheKey(g.Repo)+".tmp-")
	if err != nil {
		return nil, false, fmt.Errorf("cache: %w", err)
	}
	progressf(g.Progress, "cloning %s into %s", g.Repo, dir)
	_, err = git.PlainCloneContext(ctx, tmp, true, &git.CloneOptions{
		URL:      g.Repo,
		Tags:     git.AllTags,
		Progress: g.Progress,
	})
	if err != nil {
		os.RemoveAll(tmp)
		return nil, false, fmt.Errorf("clone: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if _, serr := os.Stat(dir); serr != nil {
			return nil, false, fmt.Errorf("cache: %w", err)
		}
		// Another process finished the same clone first: use theirs.
	}
	repo, err = git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{})
	if err != nil {
		return nil, false, fmt.Errorf("cached clone %s: %w", dir, err)
	}
	return repo, false, nil
}

// fetchOrigin fetches branches and tags of the "origin" remote.
func fetchOrigin(ctx context.Context, repo *git.Repository, progress io.Writer) error {
	err := repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: "origin",
		Tags:       git.AllTags,
		Force:      true,
		Progress:   progress,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return err
	}
	return nil
}

// hexRef matches full and abbreviated commit shas.
var hexRef = regexp.MustCompile(`^[0-9a-fA-F]{4,40}$`)

// resolveRef resolves ref to a commit hash. Tags are tried first
// (refs/tags/<ref>, annotated tags peeled), then branches, then hex shas.
// In clones (clone=true) the remote-tracking branches refs/remotes/origin/*
// are preferred to local branches, which a fetch does not update.
func resolveRef(repo *git.Repository, ref string, clone bool) (plumbing.Hash, refKind, error) {
	if ref == "" || ref == "HEAD" {
		head, err := repo.Reference(plumbing.HEAD, false)
		if err != nil {
			return plumbing.ZeroHash, kindHead, fmt.Errorf("HEAD: %w", err)
		}
		if clone && head.Type() == plumbing.SymbolicReference && head.Target().IsBranch() {
			remote := plumbing.NewRemoteReferenceName("origin", head.Target().Short())
			if r, err := repo.Reference(remote, true); err == nil {
				h, err := peelToCommit(repo, r.Hash())
				return h, kindHead, err
			}
		}
		r, err := repo.Reference(plumbing.HEAD, true)
		if err != nil {
			return plumbing.ZeroHash, kindHead, fmt.Errorf("HEAD: %w", err)
		}
		h, err := peelToCommit(repo, r.Hash())
		return h, kindHead, err
	}

	type candidate struct {
		name plumbing.ReferenceName
		kind refKind
	}
	var cands []candidate
	if strings.HasPrefix(ref, "refs/") {
		k := kindBranch
		if strings.HasPrefix(ref, "refs/tags/") {
			k = kindTag
		}
		cands = append(cands, candidate{plumbing.ReferenceName(ref), k})
	} else {
		cands = append(cands, candidate{plumbing.NewTagReferenceName(ref), kindTag})
		heads := candidate{plumbing.NewBranchReferenceName(ref), kindBranch}
		remote := candidate{plumbing.NewRemoteReferenceName("origin", ref), kindBranch}
		if clone {
			cands = append(cands, remote, heads)
		} else {
			cands = append(cands, heads, remote)
		}
	}
	for _, c := range cands {
		r, err := repo.Reference(c.name, true)
		if errors.Is(err, plumbing.ErrReferenceNotFound) {
			continue
		}
		if err != nil {
			return plumbing.ZeroHash, c.kind, fmt.Errorf("%s: %w", c.name, err)
		}
		h, err := peelToCommit(repo, r.Hash())
		if err != nil {
			return plumbing.ZeroHash, c.kind, fmt.Errorf("%s: %w", c.name, err)
		}
		return h, c.kind, nil
	}
	if hexRef.MatchString(ref) {
		h, err := resolvePrefix(repo, strings.ToLower(ref))
		return h, kindCommit, err
	}
	return plumbing.ZeroHash, kindCommit, errRefNotFound
}

// peelToCommit follows annotated tags from h to the commit they name.
func peelToCommit(repo *git.Repository, h plumbing.Hash) (plumbing.Hash, error) {
	for i := 0; i < 16; i++ {
		obj, err := repo.Storer.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("object %s: %w", h, err)
		}
		switch obj.Type() {
		case plumbing.CommitObject:
			return h, nil
		case plumbing.TagObject:
			tag, err := object.DecodeTag(repo.Storer, obj)
			if err != nil {
				return plumbing.ZeroHash, fmt.Errorf("tag %s: %w", h, err)
			}
			h = tag.Target
		default:
			return plumbing.ZeroHash, fmt.Errorf("%s is a %s, not a commit", h, obj.Type())
		}
	}
	return plumbing.ZeroHash, fmt.Errorf("tag chain at %s is too deep", h)
}

// resolvePrefix resolves a lower-case hex sha of 4 to 40 digits to the one
// commit it names. An ambiguous prefix is an error.
func resolvePrefix(repo *git.Repository, prefix string) (plumbing.Hash, error) {
	if len(prefix) == 40 {
		h := plumbing.NewHash(prefix)
		if _, err := repo.Storer.EncodedObject(plumbing.AnyObject, h); err != nil {
			return plumbing.ZeroHash, errRefNotFound
		}
		return peelToCommit(repo, h)
	}
	b, err := hex.DecodeString(prefix[:len(prefix)&^1])
	if err != nil {
		return plumbing.ZeroHash, errRefNotFound
	}
	var hashes []plumbing.Hash
	type prefixer interface {
		HashesWithPrefix(prefix []byte) ([]plumbing.Hash, error)
	}
	if p, ok := repo.Storer.(prefixer); ok {
		hashes, err = p.HashesWithPrefix(b)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("looking up %s: %w", prefix, err)
		}
	} else {
		iter, err := repo.Storer.IterEncodedObjects(plumbing.AnyObject)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("looking up %s: %w", prefix, err)
		}
		_ = iter.ForEach(func(o plumbing.EncodedObject) error {
			hashes = append(hashes, o.Hash())
			return nil
		})
	}
	var matches []plumbing.Hash
	for _, h := range hashes {
		if strings.HasPrefix(h.String(), prefix) {
			matches = append(matches, h)
		}
	}
	if len(matches) == 0 {
		return plumbing.ZeroHash, errRefNotFound
	}
	commits := map[plumbing.Hash]bool{}
	var lastErr error
	for _, h := range matches {
		c, err := peelToCommit(repo, h)
		if err != nil {
			lastErr = err
			continue
		}
		commits[c] = true
	}
	switch len(commits) {
	case 0:
		return plumbing.ZeroHash, fmt.Errorf("%s names no commit: %w", prefix, lastErr)
	case 1:
		for c := range commits {
			return c, nil
		}
	}
	var list []string
	for c := range commits {
		list = append(list, c.String())
	}
	sort.Strings(list)
	if len(list) > 5 {
		list = append(list[:5], "...")
	}
	return plumbing.ZeroHash, fmt.Errorf("abbreviated sha %s is ambiguous: it matches commits %s; give more digits", prefix, strings.Join(list, ", "))
}

// unknownRefError explains an unknown ref and lists the adapter's tags that
// are nearest to it.
func unknownRefError(repo *git.Repository, origin, ref string, a Adapter) error {
	prefix := a.Package + "@"
	byVersion := map[string]string{}
	var versions []string
	if iter, err := repo.Tags(); err == nil {
		_ = iter.ForEach(func(r *plumbing.Reference) error {
			name := r.Name().Short()
			if v, ok := strings.CutPrefix(name, prefix); ok {
				byVersion[v] = name
				versions = append(versions, v)
			}
			return nil
		})
	}
	target := strings.TrimPrefix(strings.TrimPrefix(ref, prefix), "v")
	near := nearestVersions(target, versions, 5)
	list := fmt.Sprintf("git -C %s tag --list '%s*'", origin, prefix)
	if isGitURL(origin) {
		list = fmt.Sprintf("git ls-remote --tags %s 'refs/tags/%s*'", origin, prefix)
	}
	hint := fmt.Sprintf("; the repository has no %s* tags", prefix)
	if len(near) > 0 {
		names := make([]string, len(near))
		for i, v := range near {
			names[i] = byVersion[v]
		}
		hint = fmt.Sprintf("; nearest %s tags: %s (list them all with: %s)", a.Package, strings.Join(names, ", "), list)
	}
	return fmt.Errorf("git %s: unknown ref %q: not a tag, branch or commit of this repository%s", origin, refLabel(ref), hint)
}

// snapshotFromCommit reads adapter a from the tree of commit.
func snapshotFromCommit(repo *git.Repository, commit *object.Commit, a Adapter) (*Snapshot, error) {
	root, err := commit.Tree()
	if err != nil {
		return nil, fmt.Errorf("tree: %w", err)
	}
	var (
		dir  string
		tree *object.Tree
	)
	for _, d := range a.Dirs {
		e, err := root.FindEntry(d)
		if err != nil || e.Mode != filemode.Dir {
			continue
		}
		t, err := repo.TreeObject(e.Hash)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d, err)
		}
		dir, tree = d, t
		break
	}
	if tree == nil {
		return nil, fmt.Errorf("no %s adapter folder: tried %s", a.Package, strings.Join(a.Dirs, ", "))
	}

	w := &treeWalker{repo: repo, files: map[string][]byte{}}
	if err := w.walk(tree, ""); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	files := w.files
	pj, err := readPackageJSON(files, a)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if !hasLicense(files) {
		if data, ok, err := rootLicense(repo, root); err != nil {
			return nil, err
		} else if ok {
			files["LICENSE"] = data
		}
	}
	astro, err := monorepoAstroVersion(root)
	if err != nil {
		return nil, err
	}
	if astro == "" {
		astro = exactAstro(pj)
	}
	ws, err := workspaceVersions(root, files["package.json"])
	if err != nil {
		return nil, err
	}
	return &Snapshot{
		Files:     files,
		Workspace: ws,
		Provenance: Provenance{
			Source:       "git",
			Adapter:      a.Name,
			Package:      a.Package,
			Version:      pj.Version,
			AstroVersion: astro,
			Commit:       commit.Hash.String(),
			Dir:          dir,
		},
	}, nil
}

// treeWalker reads the files of a tree, applying the snapshot limits.
type treeWalker struct {
	repo  *git.Repository
	files map[string][]byte
	total int64
	count int
}

func (w *treeWalker) walk(t *object.Tree, prefix string) error {
	for _, e := range t.Entries {
		p := e.Name
		if prefix != "" {
			p = prefix + "/" + e.Name
		}
		if !validPath(p) {
			return fmt.Errorf("unsafe path %q", p)
		}
		w.count++
		if w.count > maxEntries {
			return fmt.Errorf("more than %d entries", maxEntries)
		}
		switch e.Mode {
		case filemode.Dir:
			if skipPath(p, true) {
				continue
			}
			sub, err := w.repo.TreeObject(e.Hash)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			if err := w.walk(sub, p); err != nil {
				return err
			}
		case filemode.Regular, filemode.Executable, filemode.Deprecated:
			if skipPath(p, false) {
				continue
			}
			data, err := readBlob(w.repo, e.Hash, p)
			if err != nil {
				return err
			}
			w.total += int64(len(data))
			if w.total > MaxTotalSize {
				return fmt.Errorf("%s: files exceed %d bytes in total", p, MaxTotalSize)
			}
			w.files[p] = data
		case filemode.Symlink:
			if skipPath(p, false) {
				continue
			}
			return fmt.Errorf("%s: symbolic links are not supported", p)
		case filemode.Submodule:
			if skipPath(p, true) {
				continue
			}
			return fmt.Errorf("%s: nested submodules are not supported", p)
		default:
			return fmt.Errorf("%s: unsupported file mode %s", p, e.Mode)
		}
	}
	return nil
}

// readBlob reads a blob of at most MaxFileSize bytes.
func readBlob(repo *git.Repository, h plumbing.Hash, name string) ([]byte, error) {
	blob, err := repo.BlobObject(h)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if blob.Size > MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes exceeds the %d-byte limit", name, blob.Size, MaxFileSize)
	}
	r, err := blob.Reader()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: exceeds the %d-byte limit", name, MaxFileSize)
	}
	return data, nil
}

// rootLicense reads the repository root's license file, preferring LICENSE.
func rootLicense(repo *git.Repository, root *object.Tree) ([]byte, bool, error) {
	var pick *object.TreeEntry
	for i := range root.Entries {
		e := &root.Entries[i]
		if !e.Mode.IsFile() || e.Mode == filemode.Symlink || !isLicenseName(e.Name) {
			continue
		}
		if e.Name == "LICENSE" {
			pick = e
			break
		}
		if pick == nil {
			pick = e
		}
	}
	if pick == nil {
		return nil, false, nil
	}
	data, err := readBlob(repo, pick.Hash, pick.Name)
	if err != nil {
		return nil, false, fmt.Errorf("root license: %w", err)
	}
	return data, true, nil
}

// monorepoAstroVersion returns the version of packages/astro/package.json in
// root, or "" when the repository has no such file.
func monorepoAstroVersion(root *object.Tree) (string, error) {
	const name = "packages/astro/package.json"
	f, err := root.File(name)
	if err != nil {
		if errors.Is(err, object.ErrFileNotFound) || errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound) {
			return "", nil
		}
		return "", fmt.Errorf("%s: %w", name, err)
	}
	if f.Size > MaxFileSize {
		return "", fmt.Errorf("%s: too large", name)
	}
	data, err := f.Contents()
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	var pj packageJSON
	if err := json.Unmarshal([]byte(data), &pj); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	if pj.Name != "" && pj.Name != "astro" {
		return "", nil
	}
	return pj.Version, nil
}
