// Package npmretry runs npm commands that reach the registry the way every
// test and benchmark of the project does: a timeout per try, three tries,
// a growing pause between them. The shell scripts use scripts/npm-retry.sh,
// which follows the same policy.
package npmretry

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Tries is how many times a command is run before its failure is reported.
const Tries = 3

// Pause is the wait after the first failed try; the n-th waits n times as long.
const Pause = 5 * time.Second

// Options are where and how one npm command runs.
type Options struct {
	Dir     string
	Env     []string      // nil: the test's own environment
	Timeout time.Duration // per try; 0: 5 minutes
	// Logf, when set, hears of every failed try (testing.T.Logf fits).
	Logf func(format string, args ...any)
}

// Run runs `npm args...` in opts.Dir until it succeeds or Tries have failed,
// and returns the combined output of the last try. The whole process group of
// a try is killed when it times out.
func Run(ctx context.Context, opts Options, args ...string) ([]byte, error) {
	return run(ctx, opts, Pause, args...)
}

func run(ctx context.Context, opts Options, pause time.Duration, args ...string) ([]byte, error) {
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	what := "npm " + strings.Join(args, " ")
	if opts.Dir != "" {
		what += " in " + opts.Dir
	}
	var out []byte
	var err error
	for try := 1; try <= Tries; try++ {
		out, err = once(ctx, opts, timeout, args)
		if err == nil {
			return out, nil
		}
		if opts.Logf != nil {
			opts.Logf("%s, try %d/%d: %v\n%s", what, try, Tries, err, lastLines(out, 20))
		}
		if try < Tries {
			select {
			case <-ctx.Done():
				return out, fmt.Errorf("%s: %w", what, ctx.Err())
			case <-time.After(time.Duration(try) * pause):
			}
		}
	}
	return out, fmt.Errorf("%s: %w (after %d tries)", what, err, Tries)
}

func once(ctx context.Context, opts Options, timeout time.Duration, args []string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", args...)
	cmd.Dir, cmd.Env = opts.Dir, opts.Env
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	ownGroup(cmd) // a timeout stops npm's children too
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("timed out after %s: %w", timeout, err)
	}
	return buf.Bytes(), err
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
