package build

import (
	"context"
	"io"
	"sync"

	"github.com/zastro-dev/zastro/upstream"
)

// RunEach runs several builds at once (one per adapter, say) and returns
// their results in the order of opts. Loading the upstream sources (and the
// type declarations of git builds) happens one at a time, since sources may
// share a cache folder or a clone; the rest of each build (recipe, compile,
// contract check, write) runs in parallel. Progress lines are written whole.
func RunEach(ctx context.Context, opts []Options) []Result {
	var load, out sync.Mutex
	opts = append([]Options(nil), opts...)
	for i := range opts {
		o := &opts[i]
		if o.Progress != nil {
			o.Progress = &LockedWriter{W: o.Progress, mu: &out}
		}
		if o.Source != nil {
			o.Source = serialSource{o.Source, &load}
		}
		if o.Types == nil {
			o.Types = npmTypes(o.NpmCache, o.Progress)
		}
		types := o.Types
		o.Types = func(ctx context.Context, a upstream.Adapter, version string) (*upstream.Snapshot, error) {
			load.Lock()
			defer load.Unlock()
			return types(ctx, a, version)
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
