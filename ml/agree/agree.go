// Package agree measures agreement between annotators: Cohen's kappa for
// two (Cohen 1960) and Fleiss' kappa for more (Fleiss 1971). Written by
// hand: a few lines, no library needed.
package agree

import "math"

// Cohen is Cohen's kappa of two annotators' labels on the same items
// (NaN when there are no items or chance agreement is 1).
func Cohen(a, b []float64) float64 {
	n := min(len(a), len(b))
	if n == 0 {
		return math.NaN()
	}
	agree := 0
	ca, cb := map[float64]int{}, map[float64]int{}
	for i := range n {
		if a[i] == b[i] {
			agree++
		}
		ca[a[i]]++
		cb[b[i]]++
	}
	po := float64(agree) / float64(n)
	pe := 0.0
	for k, x := range ca {
		pe += float64(x) / float64(n) * float64(cb[k]) / float64(n)
	}
	if pe == 1 {
		return math.NaN()
	}
	return (po - pe) / (1 - pe)
}

// Fleiss is Fleiss' kappa: counts[i][k] is how many annotators put item i
// in category k; every item must have the same number of ratings r ≥ 2.
// Items with another count are skipped. NaN when nothing is left.
func Fleiss(counts [][]int) float64 {
	r := 0
	for _, row := range counts {
		s := 0
		for _, c := range row {
			s += c
		}
		if s >= 2 && (r == 0 || s > r) {
			r = s
		}
	}
	if r < 2 {
		return math.NaN()
	}
	var pbar float64
	var totals []float64
	n := 0
	for _, row := range counts {
		s := 0
		for _, c := range row {
			s += c
		}
		if s != r {
			continue
		}
		n++
		pi := 0.0
		for k, c := range row {
			pi += float64(c * (c - 1))
			for len(totals) <= k {
				totals = append(totals, 0)
			}
			totals[k] += float64(c)
		}
		pbar += pi / float64(r*(r-1))
	}
	if n == 0 {
		return math.NaN()
	}
	pbar /= float64(n)
	pe := 0.0
	for _, t := range totals {
		p := t / float64(n*r)
		pe += p * p
	}
	if pe == 1 {
		return math.NaN()
	}
	return (pbar - pe) / (1 - pe)
}
