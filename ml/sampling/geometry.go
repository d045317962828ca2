package sampling

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// Density returns, for every row of X (column-major, NaN = missing), its
// mean similarity to a sample of sample rows of X drawn with seed (all
// rows when sample ≤ 0 or ≥ the number of rows). Columns are standardised
// (mean 0, standard deviation 1; a missing value counts as the column
// mean; a constant column is left out) and the similarity of rows a and b
// is exp(−‖a − b‖² / 2d), d the number of columns used: two rows drawn at
// random from a Gaussian cloud are about e⁻¹ alike, a row in a crowded
// region scores near 1 and an outlier near 0.
func Density(X [][]float64, sample int, seed uint64) []float64 {
	if len(X) == 0 {
		return nil
	}
	n := len(X[0])
	z, d := standardise(X)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if sample > 0 && sample < n {
		rng := rand.New(rand.NewPCG(seed, 0x64656e73)) // "dens"
		for i := range sample {
			j := i + rng.IntN(n-i)
			idx[i], idx[j] = idx[j], idx[i]
		}
		idx = idx[:sample]
		slices.Sort(idx)
	}
	out := make([]float64, n)
	if d == 0 {
		for i := range out {
			out[i] = 1
		}
		return out
	}
	ref := make([]float64, 0, len(idx)*d)
	for _, j := range idx {
		ref = append(ref, z[j*d:(j+1)*d]...)
	}
	inv := -1 / (2 * float64(d))
	parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			a := z[i*d : (i+1)*d]
			s := 0.0
			for k := 0; k < len(ref); k += d {
				s += math.Exp(inv * sqDist(a, ref[k:k+d]))
			}
			out[i] = s / float64(len(idx))
		}
	})
	return out
}

// KCenterGreedy picks n of the candidate rows of X (column-major, NaN =
// missing) farthest-first: each pick is the candidate whose distance to
// the nearest labeled or already picked row is largest (Sener & Savarese
// 2018, Algorithm 1). With no labeled rows the first pick is candidates[0];
// ties go to the earlier candidate, so callers list candidates best first.
// Distances are Euclidean over per-column ranks (see the package
// documentation). It returns the picks in the order chosen, all the
// candidates when n ≥ len(candidates).
func KCenterGreedy(X [][]float64, candidates, labeled []int, n int) []int {
	picks, _ := kCenter(X, candidates, labeled, n)
	return picks
}

// kCenter is KCenterGreedy that also returns each pick's distance to the
// nearest row labeled or picked before it (+Inf for a first pick with no
// labeled rows).
func kCenter(X [][]float64, candidates, labeled []int, n int) ([]int, []float64) {
	n = min(n, len(candidates))
	if n <= 0 {
		return nil, nil
	}
	sc := newRankScaler(X)
	d := len(X)
	cv := sc.rows(candidates)
	lv := sc.rows(labeled)
	nc := len(candidates)
	minD := make([]float64, nc) // squared distance to the nearest centre
	for i := range minD {
		minD[i] = math.Inf(1)
	}
	if len(labeled) > 0 && d > 0 {
		parallel(nc, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				a := cv[i*d : (i+1)*d]
				best := math.Inf(1)
				for k := 0; k < len(lv); k += d {
					best = min(best, sqDistBound(a, lv[k:k+d], best))
				}
				minD[i] = best
			}
		})
	}
	picks := make([]int, 0, n)
	dists := make([]float64, 0, n)
	taken := make([]bool, nc)
	for len(picks) < n {
		best := -1
		for i, v := range minD {
			if !taken[i] && (best < 0 || v > minD[best]) {
				best = i
			}
		}
		taken[best] = true
		picks = append(picks, candidates[best])
		dists = append(dists, math.Sqrt(minD[best]))
		c := cv[best*d : (best+1)*d]
		for i := range minD {
			if !taken[i] {
				minD[i] = min(minD[i], sqDist(cv[i*d:(i+1)*d], c))
			}
		}
	}
	return picks, dists
}

func sqDist(a, b []float64) float64 {
	s := 0.0
	for k := range a {
		t := a[k] - b[k]
		s += t * t
	}
	return s
}

// sqDistBound is sqDist, except that it may stop early and return any
// value ≥ bound once the sum reaches bound.
func sqDistBound(a, b []float64, bound float64) float64 {
	s := 0.0
	for k := range a {
		t := a[k] - b[k]
		s += t * t
		if s >= bound {
			return s
		}
	}
	return s
}

// standardise returns X's rows, row-major, with every non-constant column
// standardised and missing values at 0 (the column mean), and the number
// of columns kept.
func standardise(X [][]float64) ([]float64, int) {
	n := len(X[0])
	type stat struct{ mean, inv float64 }
	var keep []stat
	var cols [][]float64
	for _, col := range X {
		s, m := 0.0, 0
		for _, v := range col {
			if !math.IsNaN(v) {
				s += v
				m++
			}
		}
		if m == 0 {
			continue
		}
		mean := s / float64(m)
		ss := 0.0
		for _, v := range col {
			if !math.IsNaN(v) {
				ss += (v - mean) * (v - mean)
			}
		}
		sd := math.Sqrt(ss / float64(m))
		if !(sd > 0) || math.IsInf(sd, 0) {
			continue
		}
		keep = append(keep, stat{mean, 1 / sd})
		cols = append(cols, col)
	}
	d := len(cols)
	z := make([]float64, n*d)
	for j, col := range cols {
		st := keep[j]
		for i, v := range col {
			if !math.IsNaN(v) {
				z[i*d+j] = (v - st.mean) * st.inv
			}
		}
	}
	return z, d
}

// rankScaler maps a value to its mid-rank in its column, in [0, 1],
// estimated from an evenly spaced sample of the column (deterministic, so
// KCenterGreedy needs no seed). A missing value maps to ½.
type rankScaler struct {
	X      [][]float64
	sorted [][]float64 // per column, a sorted sample of its non-missing values
}

// rankSample is the most values per column the ranks are estimated from:
// a rank is then within about 1/2048 of the exact one, far below any
// distance that matters to k-center.
const rankSample = 2048

func newRankScaler(X [][]float64) *rankScaler {
	sc := &rankScaler{X: X, sorted: make([][]float64, len(X))}
	for j, col := range X {
		step := max(1, len(col)/rankSample)
		s := make([]float64, 0, len(col)/step+1)
		for i := 0; i < len(col); i += step {
			if !math.IsNaN(col[i]) {
				s = append(s, col[i])
			}
		}
		slices.Sort(s)
		sc.sorted[j] = s
	}
	return sc
}

// rows returns the scaled rows idx, row-major.
func (sc *rankScaler) rows(idx []int) []float64 {
	d := len(sc.X)
	out := make([]float64, len(idx)*d)
	for j, col := range sc.X {
		for n, i := range idx {
			out[n*d+j] = sc.rank(j, col[i])
		}
	}
	return out
}

// rank is v's mid-rank in column j: (values below v + values up to v) / 2n.
func (sc *rankScaler) rank(j int, v float64) float64 {
	s := sc.sorted[j]
	if math.IsNaN(v) || len(s) == 0 {
		return 0.5
	}
	below, _ := slices.BinarySearch(s, v)
	upTo, _ := slices.BinarySearchFunc(s, v, func(e, t float64) int {
		if e <= t {
			return -1
		}
		return 1
	})
	return float64(below+upTo) / float64(2*len(s))
}

// parallel runs fn over [0, n) in contiguous blocks on all CPUs. Each
// index is handled by exactly one call, so results do not depend on the
// number of CPUs.
func parallel(n int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+255)/256)
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += per {
		wg.Go(func() { fn(lo, min(n, lo+per)) })
	}
	wg.Wait()
}
