package assemble

import (
	"testing"

	"github.com/zastro-dev/zastro/transform/engine"
)

// A TypeScript error in upstream's sources is a compile-stage problem.
func TestCompileErrorsCarryTheCompileStage(t *testing.T) {
	_, msgs := compileAll(map[string][]byte{"src/broken.ts": []byte("export const x = ;\n")}, false)
	if len(msgs) == 0 {
		t.Fatal("no message for a syntax error")
	}
	for _, m := range msgs {
		if m.Stage != engine.StageCompile {
			t.Errorf("stage %q, want %q: %s", m.Stage, engine.StageCompile, m)
		}
	}
}
