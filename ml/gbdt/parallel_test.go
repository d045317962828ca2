package gbdt

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// A pool is closed right after a job its caller finished alone: the
// workers must still see the close. (A worker that read the generation
// after the quit flag could miss a close that came between the two reads
// and park for ever, hanging the training call. That needs the worker
// descheduled between two loads, so this stress test rarely catches it;
// it was found in a goroutine dump of a hung backtest.)
func TestPoolCloseNeverHangs(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one CPU: the pool has no workers")
	}
	done := make(chan struct{})
	var sum atomic.Int64
	go func() {
		defer close(done)
		for range 20000 {
			p := newPool(runtime.GOMAXPROCS(0))
			p.run(4, parallelMinWork, func(i int) { sum.Add(int64(i)) })
			p.close()
		}
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		buf := make([]byte, 1<<16)
		t.Fatalf("a pool's close hangs:\n%s", buf[:runtime.Stack(buf, true)])
	}
	if got := sum.Load(); got != 20000*6 {
		t.Fatalf("tasks summed to %d, want %d", got, 20000*6)
	}
}
