package gbdt

import (
	"math"
	"math/rand/v2"
	"slices"
)

// binSampleRows is how many rows the bin edges are computed from when a
// data set is larger (LightGBM's bin_construct_sample_cnt).
const binSampleRows = 200_000

// binned is a data set cut into uint8 bins, built once per training call.
// Bin 0 of every feature holds missing values; value bin b ≥ 1 holds the x
// with edges[f][b-2] < x <= edges[f][b-1].
type binned struct {
	n, nf int
	// cols[f][r] is the bin of row r for feature f (used to partition rows).
	cols [][]uint8
	// rm16 (or rm32 when the histogram has more than 65536 bins) holds
	// off[f] + bin at [r*nf+f]: row-major global histogram indices for the
	// histogram loop, which reads every feature of a row at once.
	rm16 []uint16
	rm32 []uint32
	// edges[f] are the upper edges of the value bins; the last is +Inf.
	edges [][]float64
	// nbin[f] is the number of bins of feature f including the missing bin;
	// off[f] is where feature f starts in a histogram of totalBins entries.
	nbin, off []int
	totalBins int
}

// binData computes edges from (a sample of) the data and bins every row.
func binData(X [][]float64, n, maxBins int, seed uint64, pl *pool) *binned {
	nf := len(X)
	b := &binned{n: n, nf: nf, cols: make([][]uint8, nf), edges: make([][]float64, nf),
		nbin: make([]int, nf), off: make([]int, nf)}
	var sample []int32
	if n > binSampleRows {
		rng := rand.New(rand.NewPCG(seed, 0x6264_7462_696e)) // "bdtbin"
		perm := rng.Perm(n)[:binSampleRows]
		sample = make([]int32, binSampleRows)
		for i, r := range perm {
			sample[i] = int32(r)
		}
		slices.Sort(sample)
	}
	pl.run(nf, 20*n*nf, func(f int) {
		b.edges[f] = binEdges(X[f][:n], maxBins, sample)
		col := make([]uint8, n)
		e := b.edges[f]
		for r, x := range X[f][:n] {
			col[r] = binOf(e, x)
		}
		b.cols[f] = col
	})
	for f := range nf {
		b.off[f] = b.totalBins
		b.nbin[f] = len(b.edges[f]) + 1
		b.totalBins += b.nbin[f]
	}
	if b.totalBins <= 1<<16 {
		b.rm16 = make([]uint16, n*nf)
		fillRowMajor(b, b.rm16, pl)
	} else {
		b.rm32 = make([]uint32, n*nf)
		fillRowMajor(b, b.rm32, pl)
	}
	return b
}

func fillRowMajor[T uint16 | uint32](b *binned, rm []T, pl *pool) {
	const blk = 4096
	nf := b.nf
	pl.run((b.n+blk-1)/blk, b.n*nf, func(i int) {
		lo, hi := i*blk, min(b.n, (i+1)*blk)
		for f, col := range b.cols {
			off := T(b.off[f])
			for r := lo; r < hi; r++ {
				rm[r*nf+f] = off + T(col[r])
			}
		}
	})
}

// binOf returns the bin of x: 0 for NaN, else 1 + the index of the first
// edge e with x <= e. This is the same comparison leaves makes with a split
// threshold, which is what keeps training and serving in agreement.
func binOf(edges []float64, x float64) uint8 {
	if x != x {
		return 0
	}
	lo, hi := 0, len(edges)-1 // the last edge is +Inf, so the answer is ≤ hi
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if x <= edges[mid] {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return uint8(lo + 1)
}

// binEdges returns the upper edges of at most maxBins value bins holding
// about equal numbers of the non-missing values of col (or of the rows in
// sample); the last edge is +Inf. Values with a large share get a bin of
// their own. Edges lie halfway between neighbouring distinct values.
func binEdges(col []float64, maxBins int, sample []int32) []float64 {
	var vals []float64
	if sample != nil {
		vals = make([]float64, 0, len(sample))
		for _, r := range sample {
			if x := col[r]; x == x {
				vals = append(vals, x)
			}
		}
	} else {
		vals = make([]float64, 0, len(col))
		for _, x := range col {
			if x == x {
				vals = append(vals, x)
			}
		}
	}
	if len(vals) == 0 {
		return nil
	}
	slices.Sort(vals)
	distinct := vals[:0:0]
	var counts []int
	for i, x := range vals {
		if i == 0 || x != vals[i-1] {
			distinct = append(distinct, x)
			counts = append(counts, 1)
		} else {
			counts[len(counts)-1]++
		}
	}
	edges := make([]float64, 0, min(maxBins, len(distinct)))
	remaining, binsLeft, acc := len(vals), maxBins, 0
	for i := 0; i < len(distinct)-1 && binsLeft > 1; i++ {
		acc += counts[i]
		target := float64(remaining) / float64(binsLeft)
		if float64(acc) >= target || len(distinct)-1-i < binsLeft {
			edges = append(edges, midpoint(distinct[i], distinct[i+1]))
			remaining -= acc
			acc = 0
			binsLeft--
		}
	}
	return append(edges, math.Inf(1))
}

// midpoint returns an edge m with a <= m < b for a < b.
func midpoint(a, b float64) float64 {
	m := a + (b-a)/2
	if math.IsInf(b-a, 0) {
		m = a/2 + b/2
	}
	if !(m >= a && m < b) || math.IsInf(m, 0) {
		m = a
	}
	return m
}
