// Package bench holds the runtime benchmarks of the generated packages
// against the plain platform primitive, measured in one run and interleaved:
// run.sh builds zastro-websockets-node and an Astro echo app, and
// runtime.mjs drives it (and the runtime alone on a bare node:http server,
// runtime-bare.mjs) against plain ws and prints the ratios; cf-run.sh builds
// zastro-websockets-cloudflare and its echo app and cf-runtime.mjs drives it
// under wrangler dev against a plain WebSocketPair Worker. The Go test only
// proves that the Node driver runs and reports (on two ws servers); it never
// asserts a figure.
package bench
