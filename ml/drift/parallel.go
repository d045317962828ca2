package drift

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
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
// per goroutine at a time). The result is exactly that of NewProfile,
// Window and PSI, but each worker reuses its buffers, and the reference
// is counted from its selection histogram (selector.countBelow) instead
// of a second pass whenever the cut points allow.
func PSIColumns(refs, curs [][]float64, nBins int) ([]float64, error) {
	if len(refs) != len(curs) {
		return nil, ErrLength
	}
	out := make([]float64, len(refs))
	errs := make([]error, len(refs))
	sels := make([]selector, min(runtime.GOMAXPROCS(0), len(refs)))
	parallelForWorker(len(refs), len(sels), func(w, f int) {
		out[f], errs[f] = psiColumn(refs[f], curs[f], nBins, &sels[w])
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// psiColumn is PSI(NewProfile(ref, nBins).Counts, …Window(cur).Counts).
func psiColumn(ref, cur []float64, nBins int, s *selector) (float64, error) {
	if nBins < 1 {
		nBins = DefaultBins
	}
	if nBins == 1 || len(ref) <= selectSmall {
		p, err := NewProfile(ref, nBins)
		if err != nil {
			return 0, err
		}
		return PSI(p.Counts, p.Window(cur).Counts)
	}
	q, err := s.quantiles(ref, quantileProbs(nBins))
	if err != nil {
		return 0, err
	}
	b := Bins{Cuts: slices.Compact(q)}
	var rc []float64
	below := make([]int, len(b.Cuts))
	if s.countBelow(b.Cuts, below) {
		// bin i holds the values in [Cuts[i-1], Cuts[i])
		ic := make([]int, len(b.Cuts)+1)
		prev := 0
		for i, c := range below {
			ic[i] = c - prev
			prev = c
		}
		ic[len(below)] = len(ref) - prev
		rc = intsToFloats(ic)
	} else {
		rc, _ = b.Count(ref)
	}
	cc, _ := b.Count(cur)
	return PSI(rc, cc)
}

// parallelFor runs fn(0..n-1) on GOMAXPROCS goroutines.
func parallelFor(n int, fn func(i int)) {
	parallelForWorker(n, runtime.GOMAXPROCS(0), func(_, i int) { fn(i) })
}

// parallelForWorker runs fn(w, i) for i in 0..n-1 on min(workers, n)
// goroutines; w < workers identifies the goroutine, so fn may use
// per-worker scratch space.
func parallelForWorker(n, workers int, fn func(w, i int)) {
	workers = max(1, min(workers, n))
	var wg sync.WaitGroup
	var next atomic.Int64
	for w := range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(w, i)
			}
		})
	}
	wg.Wait()
}
