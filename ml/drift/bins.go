package drift

import (
	"math"
	"slices"
	"sort"
)

// DefaultBins is the number of reference-quantile bins freshet profiles
// use for a numeric feature.
const DefaultBins = 10

// Bins splits the real line at interior cut points, the way a stored
// profile does: bin 0 is (-Inf, Cuts[0]), bin i is [Cuts[i-1], Cuts[i])
// and the last bin is [Cuts[len-1], +Inf). Current values outside the
// reference range therefore still land in the outer bins. The zero value
// is a single bin holding everything.
type Bins struct {
	Cuts []float64 // strictly increasing
}

// Len is the number of bins, len(Cuts)+1.
func (b Bins) Len() int { return len(b.Cuts) + 1 }

// QuantileBins returns n bins whose cut points are the reference's
// quantiles at 1/n, 2/n, …, (n-1)/n (numpy.quantile, linear method, with
// probabilities from numpy.linspace(0, 1, n+1)). Repeated cut points
// (ties in the reference) are dropped, so a column with few distinct
// values gets fewer bins.
func QuantileBins(ref []float64, n int) (Bins, error) {
	if n < 1 {
		n = DefaultBins
	}
	if n == 1 {
		return Bins{}, nil
	}
	q, err := Quantiles(ref, quantileProbs(n))
	if err != nil {
		return Bins{}, err
	}
	return Bins{Cuts: slices.Compact(q)}, nil
}

// quantileProbs is numpy.linspace(0, 1, n+1)[1:-1], for n >= 2.
func quantileProbs(n int) []float64 {
	step := 1.0 / float64(n)
	probs := make([]float64, n-1)
	for i := range probs {
		probs[i] = float64(i+1) * step // numpy.linspace: i*step + start
	}
	return probs
}

// SturgesBins returns the equal-width bins Evidently's get_binned_data
// uses for a numeric column with more than 20 distinct reference values:
// numpy.histogram_bin_edges over reference and current together with
// bins="sturges". They depend on the current window, so they cannot back a
// stored profile; they exist to reproduce Evidently's PSI and JS exactly.
// Values are assumed finite and NaN-free.
func SturgesBins(ref, cur []float64) (Bins, error) {
	n := len(ref) + len(cur)
	if n == 0 {
		return Bins{}, ErrEmpty
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range [][]float64{ref, cur} {
		for _, f := range s {
			if f != f {
				return Bins{}, ErrNaN
			}
			lo = min(lo, f)
			hi = max(hi, f)
		}
	}
	width := (hi - lo) / (math.Log2(float64(n)) + 1.0)
	if lo == hi { // numpy widens an empty range by ±0.5
		lo, hi = lo-0.5, hi+0.5
	}
	nbins := 1
	if width != 0 {
		nbins = int(math.Ceil((hi - lo) / width))
	}
	// numpy.linspace(lo, hi, nbins+1): i*step + lo, last = hi exactly.
	step := (hi - lo) / float64(nbins)
	cuts := make([]float64, 0, nbins-1)
	for i := 1; i < nbins; i++ {
		cuts = append(cuts, float64(i)*step+lo)
	}
	return Bins{Cuts: slices.Compact(cuts)}, nil
}

// Index returns the bin of v: the number of cut points <= v.
func (b Bins) Index(v float64) int {
	return sort.Search(len(b.Cuts), func(i int) bool { return b.Cuts[i] > v })
}

// Count counts x into the bins. NaNs are skipped and returned as missing.
//
// A value's bin is read from a countTable (a lookup table over a uniform
// grid spanning the cut points), so most values cost one multiply, two
// clamps and one table load; only values in the few grid cells that hold a
// cut point are compared with it. The answer is exactly Index(v).
func (b Bins) Count(x []float64) (counts []float64, missing int) {
	cuts := b.Cuts
	n := len(cuts)
	ic := make([]int, n+1)
	switch n {
	case 0:
		for _, v := range x {
			if v != v {
				missing++
			}
		}
		ic[0] = len(x) - missing
	case 1:
		c := cuts[0]
		for _, v := range x {
			if v != v {
				missing++
				continue
			}
			ic[b2i(v >= c)]++
		}
	default:
		if t, ok := newCountTable(cuts); ok {
			missing = t.count(x, ic)
			break
		}
		for _, v := range x {
			if v != v {
				missing++
				continue
			}
			ic[b.Index(v)]++
		}
	}
	return intsToFloats(ic), missing
}

func intsToFloats(ic []int) []float64 {
	counts := make([]float64, len(ic))
	for i, c := range ic {
		counts[i] = float64(c)
	}
	return counts
}

// countTable finds bins by a lookup table over a uniform grid of cells:
// cell(v) = int(clamp((v-lo)·scale, 0, top)). cell is monotone in v, so a
// cut point in a cell other than v's orders against v by cell alone: a
// cell that holds no cut point (as computed by cell itself, never by
// arithmetic on its edges) has one bin, the number of cut points in
// earlier cells. A cell that holds cut points is flagged, and its values
// are compared with those cut points only.
type countTable struct {
	lo, scale, top float64
	cells          []uint16 // bin, or countAmbiguous | first cut to compare
	cuts           []float64
}

const (
	countCells     = 8192
	countAmbiguous = 1 << 15
)

// newCountTable builds the table for strictly increasing cuts
// (len(cuts) >= 2); false if the cuts are not finite or too many.
func newCountTable(cuts []float64) (countTable, bool) {
	n := len(cuts)
	if n+1 >= countAmbiguous {
		return countTable{}, false
	}
	lo, hi := cuts[0], cuts[n-1]
	w := hi - lo
	margin := 2 * w // so that outliers rarely need the clamp
	nc := countCells
	for nc < 1<<15 && nc < 32*n {
		nc *= 2
	}
	start := lo - margin
	scale := float64(nc-1) / (w + 2*margin)
	if !(w > 0) || math.IsInf(w+2*margin, 0) || math.IsInf(start, 0) || !(scale > 0) || math.IsInf(scale, 0) {
		return countTable{}, false
	}
	t := countTable{lo: start, scale: scale, top: float64(nc - 1), cells: make([]uint16, nc), cuts: cuts}
	// Cut k lies in cell ck; cells before c1 hold bin 0, cells strictly
	// between ck and ck+1 hold bin k+1, and so on.
	c, bin := 0, 0
	for k := 0; k < n; {
		ck := t.cell(cuts[k])
		for ; c < ck; c++ {
			t.cells[c] = uint16(bin)
		}
		// cell ck holds cuts k.. with the same cell
		t.cells[ck] = countAmbiguous | uint16(k)
		for k < n && t.cell(cuts[k]) == ck {
			k++
		}
		bin = k
		c = ck + 1
	}
	for ; c < nc; c++ {
		t.cells[c] = uint16(n)
	}
	return t, true
}

func (t countTable) cell(v float64) int {
	return int(min(max((v-t.lo)*t.scale, 0), t.top))
}

// count adds the bins of x to ic and returns the number of NaNs.
func (t countTable) count(x []float64, ic []int) (missing int) {
	lo, scale, top, cells, cuts := t.lo, t.scale, t.top, t.cells, t.cuts
	n := len(cuts)
	for _, v := range x {
		f := (v - lo) * scale
		var e int
		if f >= 0 && f <= top {
			e = int(cells[int(f)])
		} else {
			if v != v {
				missing++
				continue
			}
			e = int(cells[int(min(max(f, 0), top))])
		}
		if e >= countAmbiguous {
			e -= countAmbiguous
			for e < n && cuts[e] <= v {
				e++
			}
		}
		ic[e]++
	}
	return missing
}

func b2i(b bool) int {
	var i int
	if b {
		i = 1
	}
	return i
}
