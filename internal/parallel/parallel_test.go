package parallel

import (
	"sync/atomic"
	"testing"
)

// Every index is called exactly once, whatever the number of workers.
func TestOnCallsEachIndexOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 8} {
		const n = 100
		var calls [n]atomic.Int32
		On(workers, n, func(i int) { calls[i].Add(1) })
		for i := range calls {
			if c := calls[i].Load(); c != 1 {
				t.Fatalf("workers %d: index %d called %d times", workers, i, c)
			}
		}
	}
	Each(0, func(int) { t.Fatal("called for n = 0") })
}
