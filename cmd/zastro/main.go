// Command zastro regenerates WebSocket-enabled forks of Astro's server adapters.
//
//	zastro build node --from npm --version 11.1.6
//	zastro diff node
//	zastro pack
//
// Human output goes to stderr, machine output (--json) to stdout. Exit status is
// 1 on failure and 2 on usage errors.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"build", "build the packages from an upstream adapter", runBuild},
		{"diff", "show, per file, what the recipes change upstream", runDiff},
		{"pack", "write npm tarballs of the built packages", runPack},
		{"verify", "check built packages against the adapter contract", runVerify},
		{"sweep", "build and check every published version of an adapter", runSweep},
		{"sync-version", "compute the package version from the upstream submodule and write it", runSyncVersion},
		{"upstream", "status, checkout or reset of the upstream submodule", runUpstream},
	}
}

// env is what a command may touch: streams, working folder, environment.
type env struct {
	stdout, stderr io.Writer
	dir            string
	getenv         func(string) string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "zastro:", err)
		os.Exit(1)
	}
	os.Exit(run(ctx, &env{stdout: os.Stdout, stderr: os.Stderr, dir: wd, getenv: os.Getenv}, os.Args[1:]))
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		mainUsage(e.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case isUsage(err):
			fmt.Fprintf(e.stderr, "zastro %s: %v\nRun 'zastro %s --help' for usage.\n", c.name, err, c.name)
			return 2
		case errors.Is(err, errReported):
			return 1
		default:
			fmt.Fprintf(e.stderr, "zastro %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(e.stderr, "zastro: unknown command %q\n", args[0])
	mainUsage(e.stderr)
	return 2
}

// errReported means the command already printed its errors.
var errReported = errors.New("failed")

func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

func mainUsage(w io.Writer) {
	fmt.Fprintln(w, "zastro regenerates WebSocket-enabled forks of Astro's server adapters.")
	fmt.Fprintln(w, "\nUsage: zastro <command> [arguments]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'zastro <command> --help' for a command's flags.")
}

// parse parses flags that may come before, between or after positional
// arguments ("build node --from npm" as well as "build --from npm node").
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// helpFor prints a command's usage and flags.
func helpFor(w io.Writer, fs *flag.FlagSet, usage, doc string) {
	fmt.Fprintf(w, "Usage: zastro %s\n\n%s\n", usage, strings.TrimSpace(doc))
	has := false
	fs.VisitAll(func(*flag.Flag) { has = true })
	if has {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

func newFlags(e *env, name, usage, doc string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() { helpFor(e.stderr, fs, usage, doc) }
	return fs
}

// parseOrHelp is parse plus the --help output.
func parseOrHelp(fs *flag.FlagSet, args []string) ([]string, error) {
	pos, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
	}
	return pos, err
}
