package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zastro-dev/zastro/internal/npmretry"
)

func command(t *testing.T, timeout time.Duration, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.Bytes())
	}
	return out.Bytes()
}

// checkRatioLine checks that the last line of out is exactly the keys given,
// in order, each =<positive number>.
func checkRatioLine(t *testing.T, out []byte, wantKeys ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	fields := strings.Fields(lines[len(lines)-1])
	if len(fields) != len(wantKeys) {
		t.Fatalf("last line %q, want %v", lines[len(lines)-1], wantKeys)
	}
	for i, field := range fields {
		key, value, _ := strings.Cut(field, "=")
		if v, err := strconv.ParseFloat(value, 64); key != wantKeys[i] || err != nil || !(v > 0) {
			t.Errorf("last line: field %q, want %s=<positive number>", field, wantKeys[i])
		}
	}
}

// installWs installs bench/'s own dependencies (ws) unless they are there.
func installWs(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("node_modules/ws/package.json"); err == nil {
		return
	}
	out, err := npmretry.Run(context.Background(), npmretry.Options{Timeout: 3 * time.Minute, Logf: t.Logf}, "ci", "--no-audit", "--no-fund", "--prefer-offline")
	if err != nil {
		t.Fatalf("npm ci in bench/: %v\n%s", err, out)
	}
}

// TestWsEchoReadsText checks the baseline's text-reading mode: it echoes text
// as text and binary as binary, byte for byte, and it decoded every text
// message (the count it prints when stopped).
func TestWsEchoReadsText(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node and installs ws from npm")
	}
	installWs(t)
	script := `
import { spawn } from "node:child_process"
import { once } from "node:events"
import { open, close } from "./ws-client.mjs"
const port = 4700 + (process.pid % 200)
const server = spawn(process.execPath, ["ws-echo.mjs"], { env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", ZASTRO_BENCH_WS_READS_TEXT: "1" }, stdio: ["ignore", "pipe", "inherit"] })
let out = ""
server.stdout.on("data", (d) => (out += d))
const deadline = Date.now() + 30000
while (!out.includes("listening")) {
  if (Date.now() > deadline) throw new Error("ws-echo.mjs did not start: " + out)
  await new Promise((r) => setTimeout(r, 50))
}
const ws = await open("ws://127.0.0.1:" + port + "/")
const got = []
ws.on("message", (data, isBinary) => got.push([isBinary, Buffer.from(data).toString("hex")]))
for (const m of ["héllo ✓", "", "plain"]) ws.send(m)
ws.send(Buffer.from([0, 255, 1]))
while (got.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
await close(ws)
server.kill("SIGTERM")
await once(server, "exit")
console.log(JSON.stringify({ got, out }))
`
	out := command(t, time.Minute, "node", "--input-type=module", "-e", script)
	var res struct {
		Got [][2]any
		Out string
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := [][2]any{{false, "68c3a96c6c6f20e29c93"}, {false, ""}, {false, "706c61696e"}, {true, "00ff01"}}
	if len(res.Got) != len(want) {
		t.Fatalf("echoes %v, want %v", res.Got, want)
	}
	for i := range want {
		if res.Got[i] != want[i] {
			t.Errorf("echo %d: %v, want %v", i, res.Got[i], want[i])
		}
	}
	// "héllo ✓" is 7 UTF-16 code units, "plain" 5.
	if !strings.Contains(res.Out, "decoded 12 characters") {
		t.Errorf("server output %q, want it to have decoded 12 characters", res.Out)
	}
}

// TestRuntimeDriver runs runtime.mjs briefly with a plain ws echo server on
// both sides: every metric and ratio must come out as a positive number.
func TestRuntimeDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node and installs ws from npm")
	}
	for _, tool := range []string{"node", "npm", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed: %v", tool, err)
		}
	}
	command(t, time.Minute, "bash", "-n", "run.sh")
	command(t, time.Minute, "bash", "-n", "cf-run.sh")
	command(t, time.Minute, "node", "--check", "cf-runtime.mjs")
	installWs(t)
	out := command(t, 2*time.Minute, "node", "runtime.mjs", "--zastro-entry", "ws-echo.mjs", "--ws-server", "ws-echo.mjs",
		"--label", "ws-twin", "--rounds", "2", "--seconds", "0.5", "--connections", "4", "--concurrency", "2", "--idle", "200", "--json")
	// The last line carries every ratio, for scripts.
	checkRatioLine(t, out, "throughput_ratio", "cpu_per_rt_ratio", "handshake_ratio", "mem_ratio", "p99_ratio")
	start := bytes.IndexByte(out, '{')
	if start < 0 {
		t.Fatalf("no JSON report:\n%s", out)
	}
	var rep struct {
		Results map[string]map[string]float64
		Ratios  map[string]float64
	}
	if err := json.NewDecoder(bytes.NewReader(out[start:])).Decode(&rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	for _, name := range []string{"ws-twin", "ws"} {
		r := rep.Results[name]
		for _, k := range []string{"echo_round_trips_per_s", "cpu_us_per_round_trip", "p99_echo_ms", "handshakes_per_s", "plain_gets_per_s", "heap_bytes_per_idle_connection"} {
			if v, ok := r[k]; !ok || !(v > 0) || math.IsInf(v, 0) {
				t.Errorf("%s %s = %v, want a positive figure", name, k, v)
			}
		}
	}
	for _, k := range []string{"echo_round_trips_per_s", "cpu_per_round_trip", "p99_echo", "handshakes_per_s", "plain_gets_per_s", "heap_bytes_per_idle_connection"} {
		if v := rep.Ratios[k]; !(v > 0) || math.IsInf(v, 0) {
			t.Errorf("ratio %s = %v", k, v)
		}
	}
	t.Logf("ws against itself: echo %.2f×, handshakes %.2f×, heap %.2f× (noise on this machine)",
		rep.Ratios["echo_round_trips_per_s"], rep.Ratios["handshakes_per_s"], rep.Ratios["heap_bytes_per_idle_connection"])

	// --echo-only: the echo figures alone, the others reported as not measured.
	out = command(t, 2*time.Minute, "node", "runtime.mjs", "--zastro-entry", "ws-echo.mjs", "--ws-server", "ws-echo.mjs",
		"--label", "ws-twin", "--rounds", "2", "--seconds", "0.5", "--connections", "4", "--echo-only")
	text := string(out)
	for _, row := range []string{"| echo round-trips/s |", "| server CPU per round trip |", "| p99 echo latency |"} {
		if !strings.Contains(text, row) {
			t.Errorf("--echo-only: no row %q in\n%s", row, text)
		}
	}
	if strings.Contains(text, "handshakes/s") || strings.Contains(text, "memory per idle connection") {
		t.Errorf("--echo-only reported handshakes or memory:\n%s", text)
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for _, field := range strings.Fields(lines[len(lines)-1]) {
		key, value, _ := strings.Cut(field, "=")
		v, err := strconv.ParseFloat(value, 64)
		measured := key == "throughput_ratio" || key == "cpu_per_rt_ratio" || key == "p99_ratio"
		if measured && (err != nil || !(v > 0)) || !measured && value != "NaN" {
			t.Errorf("--echo-only last line: field %q", field)
		}
	}
}

// TestInstructionsDriver runs instructions.mjs briefly under valgrind (which
// scripts/debian-tool.sh installs when it is missing) with a plain ws echo
// server on both sides: both must report instruction counts of the same
// order, and the ratios must be numbers.
func TestInstructionsDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node under valgrind and installs ws from npm")
	}
	command(t, time.Minute, "node", "--check", "instructions.mjs")
	valgrind := strings.TrimSpace(string(command(t, 15*time.Minute, "bash", "../scripts/debian-tool.sh", "valgrind", "valgrind")))
	command(t, time.Minute, "bash", "../scripts/debian-tool.sh", "callgrind_control", "valgrind")
	installWs(t)
	out := command(t, 5*time.Minute, "node", "instructions.mjs", "--valgrind", valgrind,
		"--zastro-entry", "ws-echo.mjs", "--ws-server", "ws-echo.mjs", "--label", "ws-twin",
		"--connections", "2", "--messages", "100", "--single-messages", "100", "--handshakes", "10", "--warmup-messages", "200", "--warmup-handshakes", "20")
	text := string(out)
	counts := map[string][2]float64{}
	for _, line := range strings.Split(text, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 6 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "per ") {
			continue
		}
		var pair [2]float64
		for i := range pair {
			v, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(cells[2+i]), ",", ""), 64)
			if err != nil {
				t.Fatalf("row %q: %v", line, err)
			}
			pair[i] = v
		}
		counts[strings.TrimSpace(cells[1])] = pair
	}
	for _, row := range []string{"per echo round trip", "per echo round trip, one connection", "per handshake"} {
		pair, ok := counts[row]
		if !ok {
			t.Fatalf("no row %q in\n%s", row, text)
		}
		// A round trip of a ws echo runs thousands of instructions; the same
		// server measured twice must land within a factor of two of itself.
		if !(pair[0] > 1000 && pair[1] > 1000) || pair[0] > 2*pair[1] || pair[1] > 2*pair[0] {
			t.Errorf("%s: %v and %v instructions for the same server", row, pair[0], pair[1])
		}
	}
	checkRatioLine(t, out, "instructions_per_rt_ratio", "instructions_per_rt_one_connection_ratio", "instructions_per_handshake_ratio")
	t.Logf("ws against itself under callgrind: %v", counts)
}
