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
// It selects only the order statistics it needs (selector: one pass for
// the range, one for a histogram over about n/64 buckets, one to gather
// the few buckets holding the wanted ranks, which are then sorted), so
// twenty quantiles of a million values cost a few milliseconds instead of
// a full sort.
func Quantiles(x []float64, probs []float64) ([]float64, error) {
	var s selector
	return s.quantiles(x, probs)
}

// quantiles is Quantiles with the selector's buffers; afterwards s can
// count x below cut points (countBelow).
func (s *selector) quantiles(x []float64, probs []float64) ([]float64, error) {
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
	vals := make([]float64, len(ranks))
	if err := s.selectRanks(x, ranks, vals); err != nil {
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
