package assemble

import (
	"context"
	"io"
	"sync"

	"github.com/zastro-dev/zastro/upstream"
)

// RunEach runs several builds at once (one per adapter, say) and returns
// their results in the order of opts. Git sources load one at a time, since
// they may share a clone in the cache; npm sources (whose cache files are
// named by content and written atomically) and the rest of each build
// (recipe, compile, contract check, write) run in parallel. Progress lines
// are written whole.
func RunEach(ctx context.Context, opts []Options) []Result {
	var gitLoad, out sync.Mutex
	opts = append([]Options(nil), opts...)
	for i := range opts {
		o := &opts[i]
		if o.Progress != nil {
			o.Progress = &LockedWriter{W: o.Progress, mu: &out}
		}
		if g, ok := o.Source.(*upstream.Git); ok {
			o.Source = serialSource{g, &gitLoad}
		}
	}
	res := make([]Result, len(opts))
	var wg sync.WaitGroup
	for i := range opts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = Run(ctx, opts[i])
		}()
	}
	wg.Wait()
	return res
}

// serialSource loads through a lock shared by the builds of one RunEach.
type serialSource struct {
	src upstream.Source
	mu  *sync.Mutex
}

func (s serialSource) Load(ctx context.Context, a upstream.Adapter) (*upstream.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.src.Load(ctx, a)
}

// LockedWriter serializes writes to W: several builds can then share one
// progress writer (each progress line is one Write). The zero value of the
// lock field is ready: &LockedWriter{W: os.Stderr}.
type LockedWriter struct {
	W   io.Writer
	mu  *sync.Mutex // nil: own
	own sync.Mutex
}

func (w *LockedWriter) Write(p []byte) (int, error) {
	mu := w.mu
	if mu == nil {
		mu = &w.own
	}
	mu.Lock()
	defer mu.Unlock()
	return w.W.Write(p)
}
