package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/zastro-dev/zastro/assemble"
	"github.com/zastro-dev/zastro/templates"
	"github.com/zastro-dev/zastro/verify"
)

func runVerify(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "verify", "verify [node|cloudflare ...] [--out DIR]",
		`Checks built packages (OUT/<adapter>) against the adapter's contract: the
integration is evaluated in an embedded JavaScript engine against a stub of
Astro's hook API and its wiring is asserted (names, entrypoints, exports, dev
server hook). zastro build runs the same check unless --no-verify is given.`)
	out := fs.String("out", "packages", "folder the packages were built into")
	names, err := parseOrHelp(fs, args)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		for _, a := range templates.Adapters() {
			if _, err := os.Stat(filepath.Join(abs(e, *out), a, "package.json")); err == nil {
				names = append(names, a)
			}
		}
		if len(names) == 0 {
			return fmt.Errorf("no built package in %s: run 'zastro build' first", *out)
		}
	}
	failed := false
	for _, a := range names {
		if _, err := verify.For(a); err != nil {
			return usagef("%v", err)
		}
		files, err := assemble.ReadDir(filepath.Join(abs(e, *out), a))
		if err != nil {
			return err
		}
		start := time.Now()
		probs := verify.Package(a, files)
		for _, p := range probs {
			fmt.Fprintln(e.stderr, p)
		}
		if len(probs) > 0 {
			failed = true
			continue
		}
		fmt.Fprintf(e.stderr, "zastro: %s: contract holds (%s)\n", a, time.Since(start).Round(time.Millisecond))
	}
	if failed {
		return errReported
	}
	return nil
}
