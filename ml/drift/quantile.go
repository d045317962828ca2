package drift

import (
	"math"
	"slices"
)

// Quantiles returns numpy.quantile(x, probs) with numpy's default 'linear'
// method (Hyndman & Fan type 7), including numpy 1.24's lerp, which
// computes b - (b-a)(1-t) when t >= 0.5. x is not modified. NaNs are
// rejected.
//
// It selects only the order statistics it needs by a radix select (one
// pass for the key range, one for a 65536-bucket histogram, one to gather
// the needed buckets), so twenty quantiles of a million values cost a few
// milliseconds instead of a full sort.
func Quantiles(x []float64, probs []float64) ([]float64, error) {
	n := len(x)
	if n == 0 {
		return nil, ErrEmpty
	}
	prev := make([]int, len(probs))
	next := make([]int, len(probs))
	gamma := make([]float64, len(probs))
	var ranks []int
	for i, p := range probs {
		v := float64(n-1) * p
		lo := math.Floor(v)
		g := v - lo
		a, b := int(lo), int(lo)+1
		if v >= float64(n-1) {
			a, b = n-1, n-1
		} else if v < 0 {
			a, b = 0, 0
		}
		prev[i], next[i], gamma[i] = a, b, g
		ranks = append(ranks, a, b)
	}
	slices.Sort(ranks)
	ranks = slices.Compact(ranks)
	vals, err := selectRanks(x, ranks)
	if err != nil {
		return nil, err
	}
	at := func(r int) float64 {
		k, _ := slices.BinarySearch(ranks, r)
		return vals[k]
	}
	out := make([]float64, len(probs))
	for i := range probs {
		a, b, t := at(prev[i]), at(next[i]), gamma[i]
		diff := b - a
		if t >= 0.5 {
			out[i] = b - diff*(1-t)
		} else {
			out[i] = a + diff*t
		}
	}
	return out, nil
}

const selectBuckets = 1 << 12

// selectRanks returns the order statistics of x at the given sorted,
// distinct 0-based ranks.
func selectRanks(x []float64, ranks []int) ([]float64, error) {
	if len(x) <= selectBuckets { // small: sorting a copy is cheaper
		s, err := sortedCopy(x)
		if err != nil {
			return nil, err
		}
		out := make([]float64, len(ranks))
		for i, r := range ranks {
			out[i] = s[r]
		}
		return out, nil
	}
	lo, hi := uint64(math.MaxUint64), uint64(0)
	for _, f := range x {
		if f != f {
			return nil, ErrNaN
		}
		k := floatKey(f)
		lo = min(lo, k)
		hi = max(hi, k)
	}
	if lo == hi {
		out := make([]float64, len(ranks))
		for i := range out {
			out[i] = keyFloat(lo)
		}
		return out, nil
	}
	shift := uint(0)
	for (hi-lo)>>shift >= selectBuckets {
		shift++
	}
	counts := make([]int32, selectBuckets)
	for _, f := range x {
		counts[(floatKey(f)-lo)>>shift]++
	}
	// Map each needed rank to its bucket and the bucket's first rank.
	slot := make([]int32, selectBuckets) // 1 + index into lists, 0 = not needed
	type need struct {
		bucket, base int
	}
	needs := make([]need, len(ranks))
	var lists [][]float64
	cum, r := 0, 0
	for b := 0; b < selectBuckets && r < len(ranks); b++ {
		c := int(counts[b])
		for r < len(ranks) && ranks[r] < cum+c {
			if slot[b] == 0 {
				lists = append(lists, make([]float64, 0, c))
				slot[b] = int32(len(lists))
			}
			needs[r] = need{b, cum}
			r++
		}
		cum += c
	}
	for _, f := range x {
		if s := slot[(floatKey(f)-lo)>>shift]; s != 0 {
			lists[s-1] = append(lists[s-1], f)
		}
	}
	out := make([]float64, len(ranks))
	for i := 0; i < len(ranks); {
		b := needs[i].bucket
		base := needs[i].base
		list := lists[slot[b]-1]
		j := i
		var local []int
		for j < len(ranks) && needs[j].bucket == b {
			local = append(local, ranks[j]-base)
			j++
		}
		vals, err := selectRanks(list, local)
		if err != nil {
			return nil, err
		}
		copy(out[i:j], vals)
		i = j
	}
	return out, nil
}
