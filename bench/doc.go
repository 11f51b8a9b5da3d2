// Package bench holds the runtime benchmark of the generated Node adapter
// against plain ws: run.sh builds the package and an Astro echo app, and
// runtime.mjs drives both servers, interleaved, and prints the ratios. The Go
// test only proves that the driver runs and reports (on two ws servers); it
// never asserts a figure.
package bench
