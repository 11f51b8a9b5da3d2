package build

import (
	"fmt"
	"path"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
	"github.com/zastro-dev/zastro/transform"
)

// Target is the JavaScript level of the compiled files, the one upstream's own
// per-file build uses for its adapters.
const Target = api.ES2022

// compileTS compiles one TypeScript file to an ES module, file by file as
// upstream's own build does: no bundling, imports left as written.
func compileTS(name string, src []byte) ([]byte, []transform.Message) {
	res := api.Transform(string(src), api.TransformOptions{
		Loader:            api.LoaderTS,
		Format:            api.FormatESModule,
		Target:            Target,
		Platform:          api.PlatformNode,
		Sourcefile:        name,
		LegalComments:     api.LegalCommentsInline,
		TsconfigRaw:       `{"compilerOptions":{"verbatimModuleSyntax":false,"preserveValueImports":false}}`,
		MinifyWhitespace:  false,
		MinifyIdentifiers: false,
		MinifySyntax:      false,
	})
	if len(res.Errors) > 0 {
		msgs := make([]transform.Message, 0, len(res.Errors))
		for _, e := range res.Errors {
			msgs = append(msgs, esbuildMessage(name, e))
		}
		return nil, msgs
	}
	return res.Code, nil
}

func esbuildMessage(name string, e api.Message) transform.Message {
	m := transform.Message{Text: "compile: " + e.Text, Step: "esbuild"}
	if e.Location != nil {
		m.Location = &transform.Location{File: name, Line: e.Location.Line, Column: e.Location.Column, LineText: e.Location.LineText}
	}
	return m
}

// isCompiled reports whether a source path is TypeScript that the build turns
// into JavaScript (declaration files are kept as types, not compiled).
func isCompiled(p string) bool {
	if strings.HasSuffix(p, ".d.ts") || strings.HasSuffix(p, ".d.mts") {
		return false
	}
	return strings.HasSuffix(p, ".ts") || strings.HasSuffix(p, ".mts")
}

// jsName maps "src/serve-app.ts" to "dist/serve-app.js".
func jsName(p string) string {
	rel := strings.TrimPrefix(p, "src/")
	ext := path.Ext(rel)
	out := strings.TrimSuffix(rel, ext) + ".js"
	if ext == ".mts" {
		out = strings.TrimSuffix(rel, ext) + ".mjs"
	}
	return "dist/" + out
}

func compileError(file string, err error) transform.Message {
	return transform.Message{Text: fmt.Sprintf("%s: %v", file, err), Step: "esbuild"}
}
