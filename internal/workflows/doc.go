// Package workflows holds the checks of the repository's GitHub Actions
// workflows (.github/workflows): its test runs actionlint, pinned, through
// the Go module proxy, so CI lints every workflow without installing it.
package workflows
