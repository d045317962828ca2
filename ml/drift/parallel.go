package drift

import (
	"runtime"
	"sync"
)

// Profile is the stored summary of a numeric column: its reference bins
// and the counts of a window in them.
type Profile struct {
	Bins    Bins
	Counts  []float64
	Missing int // NaNs skipped
}

// NewProfile bins ref at its own quantiles and counts it.
func NewProfile(ref []float64, nBins int) (Profile, error) {
	b, err := QuantileBins(ref, nBins)
	if err != nil {
		return Profile{}, err
	}
	c, miss := b.Count(ref)
	return Profile{Bins: b, Counts: c, Missing: miss}, nil
}

// Window counts cur into the profile's bins, giving the current profile.
func (p Profile) Window(cur []float64) Profile {
	c, miss := p.Bins.Count(cur)
	return Profile{Bins: p.Bins, Counts: c, Missing: miss}
}

// PSIColumns computes, for every feature f, the PSI of curs[f] against
// refs[f] over nBins reference-quantile bins, using all CPUs (one feature
// per goroutine at a time).
func PSIColumns(refs, curs [][]float64, nBins int) ([]float64, error) {
	if len(refs) != len(curs) {
		return nil, ErrLength
	}
	out := make([]float64, len(refs))
	errs := make([]error, len(refs))
	parallelFor(len(refs), func(f int) {
		p, err := NewProfile(refs[f], nBins)
		if err != nil {
			errs[f] = err
			return
		}
		out[f], errs[f] = PSI(p.Counts, p.Window(curs[f]).Counts)
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parallelFor runs fn(0..n-1) on GOMAXPROCS goroutines.
func parallelFor(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
