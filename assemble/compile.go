package assemble

import (
	"crypto/sha256"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/zastro-dev/zastro/internal/parallel"
	"github.com/zastro-dev/zastro/transform/engine"
)

// Target is the JavaScript level of the compiled files, the one upstream's own
// per-file build uses for its adapters.
const Target = api.ES2022

// compileTS compiles one TypeScript file to an ES module, file by file as
// upstream's own build does: no bundling, imports left as written.
func compileTS(name string, src []byte) ([]byte, []engine.Message) {
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
		msgs := make([]engine.Message, 0, len(res.Errors))
		for _, e := range res.Errors {
			msgs = append(msgs, esbuildMessage(name, e))
		}
		return nil, msgs
	}
	return res.Code, nil
}

// compileAll compiles each TypeScript file of srcs (name to source) on its
// own, spread over the machine's cores, and returns the JavaScript under the
// same names. Messages come sorted by file. cached says whether a file's
// output may be kept for the life of the process (see compileCached).
func compileAll(srcs map[string][]byte, cached bool) (map[string][]byte, []engine.Message) {
	names := sortedBytesKeys(srcs)
	js := make([][]byte, len(names))
	msgs := make([][]engine.Message, len(names))
	compile := compileTS
	if cached {
		compile = compileCached
	}
	parallel.Each(len(names), func(i int) {
		js[i], msgs[i] = compile(names[i], srcs[names[i]])
	})
	out := make(map[string][]byte, len(names))
	var all []engine.Message
	for i, name := range names {
		out[name] = js[i]
		all = append(all, msgs[i]...)
	}
	return out, all
}

// compiledFiles memoizes compileCached by file name and content: the
// WebSocket runtime is embedded in the binary, identical for every build, so
// a process compiles each of its files once (and an adapter reuses what
// another compiled: cloudflare ships the Node runtime too). The set is bounded
// by the embedded files.
var compiledFiles sync.Map // compileKey -> *compiledFile

type compileKey struct {
	name string
	sum  [sha256.Size]byte
}

type compiledFile struct {
	once sync.Once
	js   []byte
	msgs []engine.Message
}

// compileCached is compileTS, memoized for the life of the process. The
// returned bytes are shared between builds: callers must not modify them.
func compileCached(name string, src []byte) ([]byte, []engine.Message) {
	v, _ := compiledFiles.LoadOrStore(compileKey{name, sha256.Sum256(src)}, &compiledFile{})
	c := v.(*compiledFile)
	c.once.Do(func() { c.js, c.msgs = compileTS(name, src) })
	return c.js[:len(c.js):len(c.js)], c.msgs // an append copies
}

func esbuildMessage(name string, e api.Message) engine.Message {
	m := engine.Message{Text: "compile: " + e.Text, Stage: engine.StageCompile, Step: "esbuild"}
	if e.Location != nil {
		m.Location = &engine.Location{File: name, Line: e.Location.Line, Column: e.Location.Column, LineText: e.Location.LineText}
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

func compileError(file string, err error) engine.Message {
	return engine.Message{Text: fmt.Sprintf("%s: %v", file, err), Stage: engine.StageCompile, Step: "esbuild"}
}
