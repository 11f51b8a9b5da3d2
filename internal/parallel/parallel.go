// Package parallel runs independent pieces of a stage (files to parse,
// compile or write) on several goroutines.
package parallel

import (
	"runtime"
	"sync"
)

// Each calls f(0) to f(n-1) on up to GOMAXPROCS goroutines and returns when
// all have returned.
func Each(n int, f func(i int)) { On(runtime.GOMAXPROCS(0), n, f) }

// On is Each on up to workers goroutines; one worker (or none) runs f in order
// on the calling goroutine.
func On(workers, n int, f func(i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}
