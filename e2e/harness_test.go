//go:build unix

package e2e

// Shared plumbing of the end-to-end tests: processes in their own process
// groups, the Node binary, the tool environment, the client suite's results.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ---------------------------------------------------------------- processes

// server is a host process in its own process group, so that stopping it also
// stops whatever it spawned (astro dev's workers, esbuild).
type server struct {
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error
	once sync.Once
}

func startServer(dir string, env []string, logPath, name string, args ...string) (*server, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, f, f
	cmd.SysProcAttr = processGroup()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s %s: %w", name, strings.Join(args, " "), err)
	}
	s := &server{cmd: cmd, log: f, done: make(chan struct{})}
	go func() { s.err = cmd.Wait(); close(s.done) }()
	return s, nil
}

// waitReady polls url until it answers 200, the process exits, or the timeout.
func (s *server) waitReady(url string, timeout time.Duration) error {
	client := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("process exited before it was ready: %v", s.err)
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-s.done:
		case <-time.After(200 * time.Millisecond): // poll interval
		}
	}
	return fmt.Errorf("no 200 from %s within %s (last: %s)", url, timeout, last)
}

func (s *server) stop() {
	s.once.Do(func() {
		pgid := s.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(stopGrace):
		}
		// Whatever is left of the group (the leader may have exited first).
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.done
		s.log.Close()
	})
}

// runCmd runs a command to completion in its own process group, killing the
// whole group on timeout, and returns its combined output.
func runCmd(ctx context.Context, timeout time.Duration, dir string, env []string, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.SysProcAttr = processGroup()
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("timed out after %s: %w", timeout, err)
	}
	return buf.Bytes(), err
}

func mustOutput(t *testing.T, env []string, dir, name string, args ...string) []byte {
	t.Helper()
	out, err := runCmd(context.Background(), time.Minute, dir, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// findNode runs scripts/node.sh: a Node >= 22.12, fetched once if needed.
func findNode(t *testing.T, repo string) string {
	t.Helper()
	out, err := runCmd(context.Background(), 10*time.Minute, repo, os.Environ(), "bash", filepath.Join(repo, "scripts", "node.sh"))
	if err != nil {
		t.Fatalf("scripts/node.sh: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	bin := strings.TrimSpace(lines[len(lines)-1])
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("scripts/node.sh printed %q: %v\n%s", bin, err, out)
	}
	return bin
}

// toolEnv is the environment of every npm/astro/node subprocess: the chosen
// Node first on PATH (npm and the astro bin run on it), no telemetry, no update
// checks, no prompts.
func toolEnv(nodeDir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PATH", "NODE_OPTIONS", "HOST", "PORT":
			continue
		}
		if strings.HasPrefix(k, "ZASTRO_") && !strings.HasPrefix(k, "ZASTRO_E2E_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"PATH="+nodeDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"ASTRO_TELEMETRY_DISABLED=1",
		"ASTRO_DISABLE_UPDATE_CHECK=true",
		"npm_config_update_notifier=false",
		"npm_config_fund=false",
		"npm_config_audit=false",
		"NO_COLOR=1",
	)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// suiteRun is one run of the client suite (node --test) against a server.
type suiteRun struct {
	summary specSummary
	out     []byte
	err     error
	seconds float64
}

func runSuite(env []string, repo, nodeBin, suite, base, mode string) suiteRun {
	start := time.Now()
	env = append(slices.Clone(env), "ZASTRO_BASE="+base, "ZASTRO_MODE="+mode)
	// --test-force-exit: a server that never answers a handshake leaves
	// undici sockets behind that would otherwise keep the runner alive.
	out, err := runCmd(context.Background(), suiteTimeout, repo, env, nodeBin,
		"--test", "--test-force-exit", "--test-reporter=spec", suite)
	return suiteRun{summary: parseSpec(out), out: out, err: err, seconds: secondsSince(start)}
}

// lowPort returns a free loopback port below the kernel's ephemeral range:
// a port from freePort may be handed to another process's listen(0) (workerd
// and miniflare open several) in the seconds before a slow server binds it.
func lowPort() (int, error) {
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

// ---------------------------------------------------------------- results

type specSummary struct {
	pass, fail, skipped int
	failedNames         []string
}

var (
	specCount  = regexp.MustCompile(`^ℹ (pass|fail|skipped|cancelled) (\d+)$`)
	specFailed = regexp.MustCompile(`^✖ (.+?) \(\d+(\.\d+)?m?s\)`)
)

// parseSpec reads the summary of node --test's spec reporter.
func parseSpec(out []byte) specSummary {
	var s specSummary
	inFailures := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := specCount.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[2])
			switch m[1] {
			case "pass":
				s.pass = n
			case "fail", "cancelled":
				s.fail += n
			case "skipped":
				s.skipped = n
			}
			continue
		}
		if strings.HasPrefix(line, "✖ failing tests:") {
			inFailures = true
			continue
		}
		if m := specFailed.FindStringSubmatch(line); m != nil && !inFailures {
			s.failedNames = append(s.failedNames, m[1])
		}
	}
	return s
}

// ---------------------------------------------------------------- small helpers

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(wd) // go test runs in e2e/
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repo root not found above %s: %v", wd, err)
	}
	return root
}

func workDir(t *testing.T, prefix string) string {
	if os.Getenv("ZASTRO_E2E_KEEP") == "1" {
		d, err := os.MkdirTemp("", prefix)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("keeping %s (ZASTRO_E2E_KEEP=1)", d)
		return d
	}
	return t.TempDir()
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

func secondsSince(t time.Time) float64 {
	return float64(time.Since(t).Milliseconds()) / 1000
}

func tail(b []byte, lines int) string {
	parts := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

func tailFile(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return tail(b, lines)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
