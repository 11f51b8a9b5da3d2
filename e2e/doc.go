// Package e2e proves the generated packages with real Astro projects from npm,
// real Node and real WebSocket clients (the last rung of zastro's checks, after
// the goldens and the contract check). It holds tests only.
//
// TestNodeE2E: for every Astro major with a package.json template in
// testdata/e2e/node-app (package.astro<N>.json pins astro and the
// @astrojs/node version the package is generated from), it builds
// zastro-websockets-node with the zastro CLI, installs the one e2e project
// with it, and runs the client suite testdata/e2e/client/node-contract.test.mjs
// against the standalone server, a node:http host in middleware mode
// (server.mjs) and `astro dev`; then "types" runs `astro sync` and
// `tsc --noEmit` over the routes and src/lib/contract-types.ts. Subtests are
// TestNodeE2E/astro7/standalone, .../middleware, .../dev, .../types.
//
// TestNodeClientSuiteReference runs the same client suite against a reference
// server written with `ws` (testdata/e2e/reference): every test must pass
// there, so a failure in TestNodeE2E belongs to the package, not the suite.
//
// Needs bash, npm and the npm registry (the shared ~/.npm cache makes reruns
// mostly offline) and Node >= 22.12, which scripts/node.sh provides. All four
// majors take about 3-5 minutes on 2 cores with a warm npm cache: give go test
// a -timeout of 30m or more. -short skips both tests (developer loop only).
//
// Environment:
//
//	ZASTRO_E2E_ADAPTER=upstream  install plain @astrojs/node instead of building
//	                             zastro-websockets-node (proves the harness itself;
//	                             the WebSocket checks then fail fast, by design)
//	ZASTRO_E2E_MAJORS=4,7        only these majors
//	ZASTRO_E2E_MODES=dev,types   only these steps (standalone, middleware, dev, types)
//	ZASTRO_E2E_PARALLEL=2        majors run at once (default 2: CI has 2 cores)
//	ZASTRO_E2E_KEEP=1            keep the work folders (their paths are logged)
//	ZASTRO_E2E_BUILD_FLAGS=...   extra flags for `zastro build` (e.g. --no-verify)
//
// The outcome of each major and step (versions, pass/fail, counts, failing
// tests, seconds per step, date) is merged over e2e/results/node.json
// (node-upstream.json for upstream runs) and written outside the source tree:
// to ZASTRO_E2E_RESULTS_DIR, else $ZASTRO_CACHE_DIR/e2e-results, else
// $TMPDIR/zastro-e2e-results (the path is logged). `go test ./e2e/ -update`
// writes e2e/results/*.json itself, the source of the README's compatibility
// tables (`go run ./cmd/compat -w node|cloudflare`).
//
// Both adapters' suites share one harness: project_test.go (toolchain,
// generated package, app copy, install with one retry helper, servers, client
// suites, type check), results_test.go (rows and their order) and
// harness_test.go (processes); their client suites share
// testdata/e2e/client/lib.mjs, the connection manager's share
// testdata/e2e/connmgr-app/test/lib.mjs.
package e2e
