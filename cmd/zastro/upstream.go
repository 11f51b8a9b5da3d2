package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/zastro-dev/zastro/upstream"
	"github.com/zastro-dev/zastro/versioning"
)

// versionFile holds the version that sync-version computed.
const versionFile = "VERSION"

func runSyncVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sync-version", "sync-version [--repo PATH] [--json]",
		`Computes the package version astroVersion-commit from the commit that the
superproject records for the astro-upstream submodule (the Astro version is read
from packages/astro/package.json at that commit) and writes it to VERSION.`)
	repo := fs.String("repo", "", "path of the astro repository (default: ./"+submodulePath+")")
	asJSON := fs.Bool("json", false, "print the result as JSON on stdout")
	pos, err := parseOrHelp(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	commit, err := upstream.SubmoduleCommit(e.dir, submodulePath)
	if err != nil {
		return err
	}
	r := *repo
	if r == "" {
		r = filepath.Join(e.dir, submodulePath)
		if !submoduleInitialised(r) {
			return fmt.Errorf("the %s submodule is not initialised: run 'git submodule update --init %s' (the Astro version is read from it)", submodulePath, submodulePath)
		}
	}
	astro, err := upstream.AstroVersionAt(ctx, r, commit)
	if err != nil {
		return err
	}
	v, err := versioning.FromCommit(astro, commit)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(e.dir, versionFile), []byte(v+"\n")); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "zastro: %s (astro %s, commit %s) written to %s\n", v, astro, commit[:12], versionFile)
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]string{"version": v, "astroVersion": astro, "commit": commit})
	}
	fmt.Fprintln(e.stdout, v)
	return nil
}

func runUpstream(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "upstream", "upstream status|checkout REF|reset",
		`status   shows the submodule's URL, the commit the project records and the one checked out
checkout moves the initialised submodule to REF (tag, branch or commit)
reset    moves it back to the commit the project records`)
	pos, err := parseOrHelp(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("want status, checkout REF or reset")
	}
	switch pos[0] {
	case "status":
		if len(pos) != 1 {
			return usagef("status takes no argument")
		}
		st, err := upstream.SubmoduleStatus(e.dir, submodulePath)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "path:        %s\nurl:         %s\nrecorded:    %s\n", st.Path, st.URL, st.Recorded)
		if !st.Initialised {
			fmt.Fprintf(e.stdout, "checked out: (not initialised; builds use npm)\n")
			return nil
		}
		state := "at the recorded commit"
		if st.CheckedOut != st.Recorded {
			state = "moved: run 'git add " + submodulePath + "' to record it or 'zastro upstream reset'"
		}
		if st.Dirty {
			state += ", with local changes"
		}
		fmt.Fprintf(e.stdout, "checked out: %s (%s)\n", st.CheckedOut, state)
	case "checkout":
		if len(pos) != 2 {
			return usagef("checkout takes one REF")
		}
		c, err := upstream.SubmoduleCheckout(ctx, e.dir, submodulePath, pos[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "zastro: %s now at %s (%s)\n", submodulePath, c, pos[1])
	case "reset":
		if len(pos) != 1 {
			return usagef("reset takes no argument")
		}
		if err := upstream.SubmoduleReset(e.dir, submodulePath); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "zastro: %s reset to the recorded commit\n", submodulePath)
	default:
		return usagef("unknown upstream command %q: want %s", pos[0], strings.Join([]string{"status", "checkout", "reset"}, ", "))
	}
	return nil
}
