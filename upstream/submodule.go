package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// SubmoduleState describes a submodule of the superproject.
type SubmoduleState struct {
	// Path is the submodule's slash path in the superproject, e.g.
	// "astro-upstream".
	Path string
	// URL is the submodule's URL from .gitmodules ("" when not listed).
	URL string
	// Recorded is the commit recorded in the superproject's HEAD tree.
	Recorded string
	// CheckedOut is the HEAD commit of the submodule's own repository; ""
	// when the submodule is not initialised.
	CheckedOut string
	// Initialised says whether the submodule folder holds a repository
	// (a .git file or folder).
	Initialised bool
	// Dirty says whether the submodule's working tree or index differs from
	// its HEAD commit in tracked files (untracked files do not count).
	Dirty bool
	// Moved says whether CheckedOut differs from Recorded.
	Moved bool
}

// openSuper opens the superproject at superDir (a checkout or a worktree).
func openSuper(superDir string) (*git.Repository, error) {
	repo, err := git.PlainOpenWithOptions(superDir, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return nil, fmt.Errorf("superproject %s: %w", superDir, err)
	}
	return repo, nil
}

// cleanSubPath validates a submodule path and returns it as a slash path.
func cleanSubPath(p string) (string, error) {
	sp := path.Clean(filepath.ToSlash(p))
	if !validPath(sp) {
		return "", fmt.Errorf("invalid submodule path %q: want a relative path inside the superproject", p)
	}
	return sp, nil
}

// SubmoduleCommit returns the commit recorded for the submodule at path (a
// gitlink) in the tree of the superproject's HEAD commit. The index and the
// working tree are not consulted.
func SubmoduleCommit(superDir, path string) (string, error) {
	sp, err := cleanSubPath(path)
	if err != nil {
		return "", err
	}
	repo, err := openSuper(superDir)
	if err != nil {
		return "", err
	}
	return recordedCommit(repo, superDir, sp)
}

func recordedCommit(repo *git.Repository, superDir, sp string) (string, error) {
	head, err := repo.Head()
	if err != nil {
		return "", fmt.Errorf("superproject %s: no HEAD commit: %w", superDir, err)
	}
	commit, err := repo.CommitObject(head.Hash())
	if err != nil {
		return "", fmt.Errorf("superproject %s: HEAD %s: %w", superDir, head.Hash(), err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return "", fmt.Errorf("superproject %s: HEAD %s: %w", superDir, head.Hash(), err)
	}
	e, err := tree.FindEntry(sp)
	if err != nil {
		return "", fmt.Errorf("superproject %s: no submodule %q in HEAD commit %s", superDir, sp, head.Hash().String()[:12])
	}
	if e.Mode != filemode.Submodule {
		return "", fmt.Errorf("superproject %s: %q in HEAD commit %s is not a submodule (mode %s)", superDir, sp, head.Hash().String()[:12], e.Mode)
	}
	return e.Hash.String(), nil
}

// submoduleURL returns the URL of the submodule at sp from .gitmodules in the
// working tree, or from the HEAD tree when the file is not checked out.
func submoduleURL(repo *git.Repository, superDir, sp string) (string, error) {
	data, err := os.ReadFile(filepath.Join(superDir, ".gitmodules"))
	if errors.Is(err, os.ErrNotExist) {
		data = nil
		if head, herr := repo.Head(); herr == nil {
			if c, cerr := repo.CommitObject(head.Hash()); cerr == nil {
				if f, ferr := c.File(".gitmodules"); ferr == nil {
					if s, serr := f.Contents(); serr == nil {
						data = []byte(s)
					}
				}
			}
		}
	} else if err != nil {
		return "", fmt.Errorf("superproject %s: .gitmodules: %w", superDir, err)
	}
	if data == nil {
		return "", nil
	}
	m := config.NewModules()
	if err := m.Unmarshal(data); err != nil {
		return "", fmt.Errorf("superproject %s: .gitmodules: %w", superDir, err)
	}
	for _, s := range m.Submodules {
		if path.Clean(s.Path) == sp {
			return s.URL, nil
		}
	}
	return "", nil
}

// openSubmodule opens the submodule repository at superDir/sp, or reports
// that it is not initialised.
func openSubmodule(superDir, sp string) (*git.Repository, string, error) {
	dir := filepath.Join(superDir, filepath.FromSlash(sp))
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		return nil, dir, fmt.Errorf("submodule %s is not initialised (run: git submodule update --init %s)", sp, sp)
	}
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return nil, dir, fmt.Errorf("submodule %s: %w", sp, err)
	}
	return repo, dir, nil
}

// SubmoduleStatus reports the submodule at path: its URL from .gitmodules,
// the recorded commit, and, when it is initialised, the commit checked out
// and whether its working tree is dirty.
func SubmoduleStatus(superDir, path string) (SubmoduleState, error) {
	sp, err := cleanSubPath(path)
	if err != nil {
		return SubmoduleState{}, err
	}
	st := SubmoduleState{Path: sp}
	repo, err := openSuper(superDir)
	if err != nil {
		return st, err
	}
	if st.Recorded, err = recordedCommit(repo, superDir, sp); err != nil {
		return st, err
	}
	if st.URL, err = submoduleURL(repo, superDir, sp); err != nil {
		return st, err
	}
	if _, err := os.Stat(filepath.Join(superDir, filepath.FromSlash(sp), ".git")); err != nil {
		return st, nil
	}
	sub, dir, err := openSubmodule(superDir, sp)
	if err != nil {
		return st, err
	}
	head, err := sub.Head()
	if err != nil {
		return st, fmt.Errorf("submodule %s: HEAD: %w", sp, err)
	}
	st.Initialised = true
	st.CheckedOut = head.Hash().String()
	st.Moved = st.CheckedOut != st.Recorded
	if st.Dirty, err = worktreeDirty(sub, dir); err != nil {
		return st, fmt.Errorf("submodule %s: %w", sp, err)
	}
	return st, nil
}

// SubmoduleCheckout moves the working tree of the initialised submodule at
// path to ref (a tag such as "@astrojs/node@9.4.3", a branch, or a full or
// abbreviated sha), fetching from its origin when the ref is not known
// locally, and returns the commit now checked out (HEAD is detached, as git
// submodule update leaves it). The superproject's recorded gitlink is not
// changed: commit it with git. A submodule with uncommitted changes is left
// alone and an error returned.
func SubmoduleCheckout(ctx context.Context, superDir, path, ref string) (string, error) {
	sp, err := cleanSubPath(path)
	if err != nil {
		return "", err
	}
	if ref == "" {
		return "", fmt.Errorf("submodule %s: no ref given", sp)
	}
	return moveSubmodule(ctx, superDir, sp, ref)
}

// SubmoduleReset moves the submodule's working tree back to the commit
// recorded in the superproject's HEAD tree.
func SubmoduleReset(superDir, path string) error {
	sp, err := cleanSubPath(path)
	if err != nil {
		return err
	}
	rec, err := SubmoduleCommit(superDir, sp)
	if err != nil {
		return err
	}
	_, err = moveSubmodule(context.Background(), superDir, sp, rec)
	return err
}

func moveSubmodule(ctx context.Context, superDir, sp, ref string) (string, error) {
	repo, dir, err := openSubmodule(superDir, sp)
	if err != nil {
		return "", err
	}
	hash, _, err := resolveRef(repo, ref, false)
	if errors.Is(err, errRefNotFound) {
		if _, rerr := repo.Remote("origin"); rerr == nil {
			if ferr := fetchOrigin(ctx, repo, io.Discard); ferr != nil {
				return "", fmt.Errorf("submodule %s: ref %q not found locally and fetching origin failed: %w", sp, ref, ferr)
			}
			hash, _, err = resolveRef(repo, ref, false)
		}
	}
	if errors.Is(err, errRefNotFound) {
		return "", fmt.Errorf("submodule %s: unknown ref %q: not a tag, branch or commit (list tags with: git -C %s tag --list)", sp, ref, sp)
	}
	if err != nil {
		return "", fmt.Errorf("submodule %s: ref %q: %w", sp, ref, err)
	}
	dirty, err := worktreeDirty(repo, dir)
	if err != nil {
		return "", fmt.Errorf("submodule %s: %w", sp, err)
	}
	if dirty {
		return "", fmt.Errorf("submodule %s has uncommitted changes; commit or discard them before moving it", sp)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", fmt.Errorf("submodule %s: %w", sp, err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: hash}); err != nil {
		return "", fmt.Errorf("submodule %s: checkout %s: %w", sp, hash, err)
	}
	return hash.String(), nil
}

// worktreeDirty reports whether the index differs from the HEAD tree or the
// working tree at dir differs from the index, in tracked files only. It
// stats every tracked file and hashes only those whose size or modification
// time differ from the index.
func worktreeDirty(repo *git.Repository, dir string) (bool, error) {
	idx, err := repo.Storer.Index()
	if err != nil {
		return false, fmt.Errorf("index: %w", err)
	}
	head, err := repo.Head()
	if err != nil {
		return false, fmt.Errorf("HEAD: %w", err)
	}
	commit, err := repo.CommitObject(head.Hash())
	if err != nil {
		return false, fmt.Errorf("HEAD: %w", err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return false, fmt.Errorf("HEAD: %w", err)
	}
	type entry struct {
		hash plumbing.Hash
		mode filemode.FileMode
	}
	headFiles := map[string]entry{}
	walker := object.NewTreeWalker(tree, true, nil)
	defer walker.Close()
	for {
		name, e, err := walker.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return false, fmt.Errorf("HEAD tree: %w", err)
		}
		if e.Mode == filemode.Dir {
			continue
		}
		headFiles[name] = entry{e.Hash, e.Mode}
	}
	if len(idx.Entries) != len(headFiles) {
		return true, nil
	}
	for _, ie := range idx.Entries {
		if ie.Stage != 0 {
			return true, nil
		}
		he, ok := headFiles[ie.Name]
		if !ok || he.hash != ie.Hash {
			return true, nil
		}
		if ie.Mode == filemode.Submodule {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(ie.Name))
		fi, err := os.Lstat(p)
		if err != nil {
			return true, nil
		}
		var content []byte
		switch {
		case ie.Mode == filemode.Symlink:
			if fi.Mode()&os.ModeSymlink == 0 {
				return true, nil
			}
			target, err := os.Readlink(p)
			if err != nil {
				return true, nil
			}
			content = []byte(filepath.ToSlash(target))
		case !fi.Mode().IsRegular():
			return true, nil
		default:
			if uint32(fi.Size()) != ie.Size {
				return true, nil
			}
			if fi.ModTime().Equal(ie.ModifiedAt) {
				continue
			}
			if content, err = os.ReadFile(p); err != nil {
				return false, fmt.Errorf("%s: %w", ie.Name, err)
			}
		}
		if plumbing.ComputeHash(plumbing.BlobObject, content) != ie.Hash {
			return true, nil
		}
	}
	return false, nil
}
