package drift

import (
	"math"
	"slices"
	"sync"
)

// grid maps the real line onto buckets 0..top by
// bucket(v) = int(clamp((v-lo)·scale, 0, top)). Every floating-point step
// of that formula is monotone, so v <= w implies bucket(v) <= bucket(w): a
// bucket orders its values against every value in another bucket, and
// only values that share a bucket ever need comparing. Selection, KS and
// Count rely on exactly this, never on where a bucket's edges fall, so
// rounding cannot make them wrong, and values outside [lo, hi] merely
// pile up in the end buckets.
type grid struct {
	lo, scale, topF float64
	top             int
}

// makeGrid returns a grid of nb buckets over [lo, hi], or false when the
// range is empty, infinite or too narrow for a finite scale.
func makeGrid(lo, hi float64, nb int) (grid, bool) {
	w := hi - lo
	scale := float64(nb-1) / w
	if !(w > 0) || math.IsInf(w, 0) || !(scale > 0) || math.IsInf(scale, 0) {
		return grid{}, false
	}
	return grid{lo: lo, scale: scale, topF: float64(nb - 1), top: nb - 1}, true
}

// bucket is the bucket of a non-NaN v (NaN lands in bucket 0).
func (g grid) bucket(v float64) int {
	f := (v - g.lo) * g.scale
	if f >= 0 && f <= g.topF {
		return int(f)
	}
	if f > g.topF {
		return g.top
	}
	return 0
}

// sampleRange returns the extremes of about 1024 evenly spaced values of
// x, a cheap grid range for the bulk of x; ok is false when they are not
// finite and distinct. A NaN among them is reported as ErrNaN.
func sampleRange(x []float64) (lo, hi float64, ok bool, err error) {
	step := max(1, len(x)/1024)
	lo, hi = math.Inf(1), math.Inf(-1)
	for i := 0; i < len(x); i += step {
		v := x[i]
		if v != v {
			return 0, 0, false, ErrNaN
		}
		lo = min(lo, v)
		hi = max(hi, v)
	}
	ok = lo < hi && !math.IsInf(lo, 0) && !math.IsInf(hi, 0)
	return lo, hi, ok, nil
}

// histogram adds the buckets of x to hist, or returns ErrNaN.
func (g grid) histogram(x []float64, hist []int32) error {
	lo, scale, topF := g.lo, g.scale, g.topF
	for _, v := range x {
		f := (v - lo) * scale
		if f >= 0 && f <= topF {
			hist[int(f)]++
			continue
		}
		if v != v {
			return ErrNaN
		}
		hist[g.bucket(v)]++
	}
	return nil
}

// gather copies (as v+0, folding -0 into +0) every value of x whose bucket
// b has cursor[b] >= 0 to buf[cursor[b]], advancing the cursor.
func (g grid) gather(x []float64, cursor []int32, buf []float64) {
	lo, scale, topF := g.lo, g.scale, g.topF
	for _, v := range x {
		f := (v - lo) * scale
		var b int
		if f >= 0 && f <= topF {
			b = int(f)
		} else {
			b = g.bucket(v)
		}
		if p := cursor[b]; p >= 0 {
			buf[p] = v + 0
			cursor[b] = p + 1
		}
	}
}

// bucketsFor is the power-of-two bucket count for n values, about n/div
// within [minB, maxB].
func bucketsFor(n, div, minB, maxB int) int {
	nb := minB
	for nb < maxB && nb*div < n {
		nb *= 2
	}
	return nb
}

// minMax returns the extremes of a non-empty x, or ErrNaN.
func minMax(x []float64) (lo, hi float64, err error) {
	lo, hi = x[0], x[0]
	for _, v := range x {
		if !(v >= lo) { // v < lo, or NaN
			if v != v {
				return 0, 0, ErrNaN
			}
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	return lo, hi, nil
}

// both runs f and g concurrently.
func both(f, g func()) {
	var wg sync.WaitGroup
	wg.Go(f)
	g()
	wg.Wait()
}

const (
	// selectSmall is the length up to which selectRanks sorts a copy.
	selectSmall = 1 << 12
	// selectSortMax is the largest bucket selectRanks sorts rather than
	// selects in recursively.
	selectSortMax = 1 << 13
)

// selector finds order statistics without sorting: a grid over the range
// of a small sample (the true extremes when the sample is degenerate), one
// pass for a histogram over about n/64 buckets (which also finds NaNs),
// one that gathers the few buckets holding the wanted ranks, then a sort
// of those (or, for an oversized bucket, a recursive selection). After a successful histogram selection, ok is set and the
// histogram and the sorted buckets can also count the sample below any
// cut point inside a gathered bucket (countBelow), which saves Profile a
// pass over the reference. A selector's buffers are reused between calls.
type selector struct {
	counts []int32 // per bucket; then the gather cursor (-1: not gathered)
	hist   []int32 // per bucket, kept for countBelow
	buf    []float64
	segs   []segment
	g      grid
	ok     bool
}

// segment is a gathered bucket: buf[start:end], holding the ranks from
// base on.
type segment struct {
	bucket, base, start, end int
	sorted                   bool
}

func growInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

// selectRanks sets out[i] to the order statistic of x at ranks[i] (0-based,
// sorted, distinct). -0 is returned as +0, as the radix sort does.
func (s *selector) selectRanks(x []float64, ranks []int, out []float64) error {
	return s.selectDepth(x, ranks, out, 0)
}

// selectMaxDepth bounds the recursion; deeper buckets are sorted.
const selectMaxDepth = 6

func (s *selector) selectDepth(x []float64, ranks []int, out []float64, depth int) error {
	s.ok = false
	s.segs = s.segs[:0]
	if len(x) <= selectSmall || depth > selectMaxDepth {
		return selectBySort(x, ranks, out)
	}
	lo, hi, ok, err := sampleRange(x)
	if err != nil {
		return err
	}
	if !ok {
		if lo, hi, err = minMax(x); err != nil {
			return err
		}
		if lo == hi {
			for i := range out {
				out[i] = lo + 0
			}
			return nil
		}
	}
	nb := bucketsFor(len(x), 256, 1<<8, 1<<12)
	g, ok := makeGrid(lo, hi, nb)
	if !ok { // infinities, or a range a grid cannot resolve
		return selectBySort(x, ranks, out)
	}
	hist := growInt32(s.hist, nb)
	clear(hist)
	if err := g.histogram(x, hist); err != nil {
		return err
	}
	s.hist = hist
	// Buckets holding wanted ranks get a slice of buf; cursor -1 skips.
	cursor := growInt32(s.counts, nb)
	s.counts = cursor
	for i := range cursor {
		cursor[i] = -1
	}
	total, cum, r := 0, 0, 0
	for b := 0; r < len(ranks); b++ {
		c := int(hist[b])
		if ranks[r] < cum+c {
			s.segs = append(s.segs, segment{bucket: b, base: cum, start: total, end: total + c})
			cursor[b] = int32(total)
			total += c
			for r < len(ranks) && ranks[r] < cum+c {
				r++
			}
		}
		cum += c
	}
	if cap(s.buf) < total {
		s.buf = make([]float64, total)
	}
	buf := s.buf[:total]
	g.gather(x, cursor, buf)
	r = 0
	for k := range s.segs {
		seg := &s.segs[k]
		list := buf[seg.start:seg.end]
		j := r
		for j < len(ranks) && ranks[j] < seg.base+len(list) {
			j++
		}
		if len(list) <= selectSortMax {
			sortFloats(list)
			seg.sorted = true
			for i := r; i < j; i++ {
				out[i] = list[ranks[i]-seg.base]
			}
		} else {
			local := make([]int, j-r)
			for i := range local {
				local[i] = ranks[r+i] - seg.base
			}
			var sub selector
			if err := sub.selectDepth(list, local, out[r:j], depth+1); err != nil {
				return err
			}
		}
		r = j
	}
	s.g = g
	s.ok = true
	return nil
}

// selectBySort is selectRanks by sorting a copy.
func selectBySort(x []float64, ranks []int, out []float64) error {
	sorted, err := sortedCopy(x)
	if err != nil {
		return err
	}
	for i, r := range ranks {
		out[i] = sorted[r]
	}
	return nil
}

// countBelow sets below[k] to the number of values of the last selected
// sample that are < cuts[k], for ascending cuts, using only the histogram
// and the sorted gathered buckets. It reports false when some cut falls
// in a non-empty bucket that was not gathered and sorted; the caller must
// then count by a pass over the sample.
func (s *selector) countBelow(cuts []float64, below []int) bool {
	if !s.ok {
		return false
	}
	b, cum, seg := 0, 0, 0
	for k, c := range cuts {
		if c != c {
			return false
		}
		bc := s.g.bucket(c)
		if bc < b {
			return false // cuts not ascending
		}
		for ; b < bc; b++ {
			cum += int(s.hist[b])
		}
		in := 0
		if s.hist[bc] != 0 {
			for seg < len(s.segs) && s.segs[seg].bucket < bc {
				seg++
			}
			if seg == len(s.segs) || s.segs[seg].bucket != bc || !s.segs[seg].sorted {
				return false
			}
			list := s.buf[s.segs[seg].start:s.segs[seg].end]
			in, _ = slices.BinarySearch(list, c) // first i with list[i] >= c
		}
		below[k] = cum + in
	}
	return true
}
