package gbdt

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// workerSpin is how long an idle worker keeps polling for the next task
// list before it parks. Growing a tree alternates short serial steps with
// parallel ones many times per millisecond, and waking a parked thread
// costs tens of microseconds on a VM, so the workers spin briefly, like an
// OpenMP runtime (OMP_WAIT_POLICY). waitSpin is the same for the caller
// waiting on tasks other goroutines are still running; after it the caller
// blocks, so an overloaded machine (where the other goroutine's thread may
// be descheduled for milliseconds) does not burn the caller's time slice.
const (
	workerSpin = 100 * time.Microsecond
	waitSpin   = 20 * time.Microsecond
)

// pool runs task lists on the calling goroutine plus a fixed set of worker
// goroutines for the duration of one training call. Tasks are handed out in
// order from a shared counter; each task must write only its own results,
// so the outcome never depends on which goroutine ran which task.
type pool struct {
	gen      atomic.Uint64
	job      atomic.Pointer[poolJob]
	sleepers atomic.Int32
	quit     atomic.Bool
	wake     []chan struct{}
	wg       sync.WaitGroup
}

type poolJob struct {
	n        int64
	fn       func(int)
	next     atomic.Int64
	done     atomic.Int64
	finished chan struct{} // closed by whoever finishes the last task
}

// newPool starts threads-1 workers (no more than GOMAXPROCS-1). Call close
// when done.
func newPool(threads int) *pool {
	p := &pool{}
	workers := min(threads, runtime.GOMAXPROCS(0)) - 1
	for i := range max(0, workers) {
		c := make(chan struct{}, 1)
		p.wake = append(p.wake, c)
		p.wg.Add(1)
		go p.worker(i)
	}
	return p
}

// close stops the workers.
func (p *pool) close() {
	p.quit.Store(true)
	p.gen.Add(1)
	for _, c := range p.wake {
		select {
		case c <- struct{}{}:
		default:
		}
	}
	p.wg.Wait()
}

// parallelMinWork is the least estimated work (in row-feature updates,
// roughly nanoseconds) worth handing to the workers; below it the caller
// runs the tasks alone, which beats waking a parked thread.
const parallelMinWork = 1 << 15

// run calls fn(0) … fn(n-1) and returns when all have returned. work
// estimates the total cost; small task lists run on the caller alone.
func (p *pool) run(n, work int, fn func(i int)) {
	if n <= 0 {
		return
	}
	if n == 1 || len(p.wake) == 0 || work < parallelMinWork {
		for i := range n {
			fn(i)
		}
		return
	}
	j := &poolJob{n: int64(n), fn: fn, finished: make(chan struct{})}
	p.job.Store(j)
	p.gen.Add(1)
	if p.sleepers.Load() > 0 {
		for _, c := range p.wake {
			select {
			case c <- struct{}{}:
			default:
			}
		}
	}
	j.work()
	deadline := time.Now().Add(waitSpin)
	for spins := 0; j.done.Load() < j.n; spins++ {
		if spins&63 == 63 && time.Now().After(deadline) {
			<-j.finished
			return
		}
	}
}

func (j *poolJob) work() {
	for {
		i := j.next.Add(1) - 1
		if i >= j.n {
			return
		}
		j.fn(int(i))
		if j.done.Add(1) == j.n {
			close(j.finished)
		}
	}
}

func (p *pool) worker(id int) {
	defer p.wg.Done()
	seen := uint64(0)
	for {
		deadline := time.Now().Add(workerSpin)
		for spins := 0; p.gen.Load() == seen; spins++ {
			if spins&255 != 255 {
				continue
			}
			if time.Now().Before(deadline) {
				runtime.Gosched()
				continue
			}
			// Park. The generation is re-checked after announcing the
			// sleep, so a dispatch in between is never missed.
			p.sleepers.Add(1)
			if p.gen.Load() == seen {
				<-p.wake[id]
			}
			p.sleepers.Add(-1)
			deadline = time.Now().Add(workerSpin)
		}
		// Read the generation before quit: close sets quit before it
		// moves the generation, so either quit is seen now or the
		// generation moves past seen and the loop above ends again. (Read
		// after quit, a close between the two reads was missed and the
		// worker parked for ever, hanging close.)
		seen = p.gen.Load()
		if p.quit.Load() {
			return
		}
		if j := p.job.Load(); j != nil {
			j.work()
		}
	}
}
