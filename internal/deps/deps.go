// Package deps pins the module's chosen dependencies while the stages that use
// them are written; it is removed once every dependency is imported for real.
package deps

import (
	_ "github.com/Masterminds/semver/v3"
	_ "github.com/dop251/goja"
	_ "github.com/evanw/esbuild/pkg/api"
	_ "github.com/go-git/go-git/v5"
	_ "github.com/smacker/go-tree-sitter"
	_ "github.com/smacker/go-tree-sitter/typescript/typescript"
)
