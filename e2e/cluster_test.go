//go:build unix

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// redisReadyTimeout bounds the wait for a started redis-server to answer PING.
const redisReadyTimeout = 20 * time.Second

// runConnmgrCluster is the cluster part of TestNodeConnectionManagerE2E: a
// real redis-server (scripts/redis.sh installs the Debian package when it is
// absent) on a free loopback port without persistence, and three standalone
// server processes of the app built by the parent test, joined by the
// connection manager's `cluster` option with a short heartbeat. The client
// scenarios of testdata/e2e/connmgr-app/test/cluster.test.mjs check, in
// order: cross-instance broadcast exactly once, except, tags, close and
// statistics (delivery); maxConnectionsPerIP across instances (per-ip);
// Redis killed: cluster:down and local delivery (redis-down); Redis back on
// the same port: cluster:up and cross-instance delivery again (redis-up);
// the rate limit across instances, 429 with Retry-After (rate);
// one instance killed with SIGKILL: it drops out of the others' statistics
// when its heartbeat expires (gone); an instance started while its Redis is
// down serves alone with cluster:down (unreachable) and joins with cluster:up
// once that Redis starts (late-redis).
//
// Redis that cannot be installed fails the test: it is never skipped.
func runConnmgrCluster(t *testing.T, r connmgrRun) {
	out, err := runCmd(context.Background(), 15*time.Minute, r.repo, os.Environ(), "bash", filepath.Join(r.repo, "scripts", "redis.sh"))
	if err != nil {
		t.Fatalf("scripts/redis.sh could not provide redis-server: %v\n%s", err, tail(out, 40))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	redisBin := strings.TrimSpace(lines[len(lines)-1])
	if _, err := os.Stat(redisBin); err != nil {
		t.Fatalf("scripts/redis.sh printed %q: %v", redisBin, err)
	}

	redisPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	redisDir := filepath.Join(r.work, "redis")
	if err := os.MkdirAll(redisDir, 0o755); err != nil {
		t.Fatal(err)
	}
	redisStarts := 0
	startRedis := func(port int) *server {
		t.Helper()
		redisStarts++
		logPath := filepath.Join(r.work, fmt.Sprintf("redis-%d.log", redisStarts))
		srv, err := startServer(redisDir, os.Environ(), logPath, redisBin,
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--daemonize", "no", "--dir", redisDir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.stop)
		if err := waitRedis(srv, port, redisReadyTimeout); err != nil {
			t.Fatalf("redis-server not ready: %v\n%s", err, tailFile(logPath, 30))
		}
		return srv
	}
	redis := startRedis(redisPort)
	t.Logf("redis-server (%s) on 127.0.0.1:%d", redisBin, redisPort)

	entry, err := findServerEntry(filepath.Join(r.app, r.outDirs["standalone"]))
	if err != nil {
		t.Fatal(err)
	}
	options := func(port int) string {
		connections, err := json.Marshal(map[string]any{
			// Counted across the instances; the scenarios open connections to fit.
			"rateLimitMaxConnections": 12,
			"rateLimitWindow":         60_000,
			"cluster": map[string]any{
				"redis":             fmt.Sprintf("redis://127.0.0.1:%d", port),
				"channel":           fmt.Sprintf("zastro-e2e-%d", os.Getpid()),
				"heartbeatInterval": 200,
				"heartbeatTimeout":  1000,
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return string(connections)
	}
	type instance struct {
		srv     *server
		base    string
		logPath string
	}
	var instances []instance
	startInstance := func(redisPort int) instance {
		t.Helper()
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		env := append(slices.Clone(r.env), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "ZASTRO_MODE=standalone", "ZASTRO_CONNECTIONS="+options(redisPort))
		logPath := filepath.Join(r.work, fmt.Sprintf("cluster-%d.log", len(instances)))
		srv, err := startServer(r.app, env, logPath, r.nodeBin, "--import", "./connections.mjs", entry)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.stop)
		in := instance{srv: srv, base: fmt.Sprintf("http://127.0.0.1:%d", port), logPath: logPath}
		instances = append(instances, in)
		return in
	}
	for range 3 {
		startInstance(redisPort)
	}
	for i, in := range instances {
		if err := in.srv.waitReady(in.base+"/", readyTimeout); err != nil {
			t.Fatalf("instance %d not ready: %v\n%s", i, err, tailFile(in.logPath, 60))
		}
	}
	logs := func() string {
		var b strings.Builder
		for i, in := range instances {
			fmt.Fprintf(&b, "--- instance %d (%s):\n%s\n", i, in.base, tailFile(in.logPath, 30))
		}
		return b.String()
	}

	suite := filepath.Join(r.app, "test", "cluster.test.mjs")
	run := func(scenario string, live []instance, extra ...string) {
		t.Helper()
		var bases []string
		for _, in := range live {
			bases = append(bases, in.base)
		}
		env := append(slices.Clone(r.env), "ZASTRO_SCENARIO="+scenario, "ZASTRO_BASES="+strings.Join(bases, ","))
		res := runSuite(append(env, extra...), r.repo, r.nodeBin, suite, bases[0], "standalone")
		t.Logf("%s: %d passed, %d failed (%.1fs)", scenario, res.summary.pass, res.summary.fail, res.seconds)
		if !res.passed(false) {
			t.Fatalf("scenario %s failed (%v):\n%s\n%s", scenario, res.err, res.out, logs())
		}
	}

	run("delivery", instances)
	run("per-ip", instances)

	// Redis dies while the instances run.
	_ = redis.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-redis.done:
	case <-time.After(10 * time.Second):
		t.Fatal("redis-server did not exit after SIGKILL")
	}
	run("redis-down", instances)

	// And comes back, empty, on the same port.
	startRedis(redisPort)
	run("redis-up", instances)
	run("rate", instances)

	// An instance dies without a word: its heartbeat expires.
	gone := instances[2]
	_ = syscall.Kill(-gone.srv.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-gone.srv.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the killed instance did not exit")
	}
	run("gone", instances[:2], "ZASTRO_GONE_PID="+strconv.Itoa(gone.srv.cmd.Process.Pid))

	// An instance whose Redis is not there at start serves alone, then joins
	// when that Redis starts.
	latePort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	late := startInstance(latePort)
	if err := late.srv.waitReady(late.base+"/", readyTimeout); err != nil {
		t.Fatalf("the instance without Redis did not serve: %v\n%s", err, tailFile(late.logPath, 60))
	}
	run("unreachable", []instance{late})
	startRedis(latePort)
	run("late-redis", []instance{late})
}

// waitRedis polls redis-server with PING until it answers +PONG, the process
// exits, or the timeout.
func waitRedis(srv *server, port int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-srv.done:
			return fmt.Errorf("redis-server exited: %v", srv.err)
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
			_, err = conn.Write([]byte("PING\r\n"))
			var line string
			if err == nil {
				line, err = bufio.NewReader(conn).ReadString('\n')
			}
			conn.Close()
			if err == nil && strings.TrimSpace(line) == "+PONG" {
				return nil
			}
			if err == nil {
				err = fmt.Errorf("PING answered %q", line)
			}
		}
		last = err
		time.Sleep(100 * time.Millisecond) // poll interval
	}
	return fmt.Errorf("no PONG on %s within %s (last: %v)", addr, timeout, last)
}
