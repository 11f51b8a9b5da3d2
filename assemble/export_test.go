package assemble

import (
	"errors"
	"sync"

	"github.com/zastro-dev/zastro/templates"
)

// CompileRuntimeCold compiles an adapter's runtime as the first build of a
// process does: with the per-process memo emptied first (benchmarks only).
func CompileRuntimeCold(adapter string) error {
	compiledFiles = sync.Map{}
	rt, err := templates.Files(adapter)
	if err != nil {
		return err
	}
	srcs := map[string][]byte{}
	for p, b := range rt {
		if isCompiled(p) {
			srcs["templates/"+p] = b
		}
	}
	if _, msgs := compileAll(srcs, true); len(msgs) > 0 {
		return errors.New(msgs[0].String())
	}
	return nil
}
