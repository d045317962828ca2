package drift

import (
	"cmp"
	"math"
	"slices"
)

// Statistics over count vectors. ref[i] and cur[i] count the same bin or
// category; counts may be weighted (any non-negative float). They are
// what a stored profile holds, so monitoring never needs the raw rows.

func checkCounts(ref, cur []float64) (sr, sc float64, err error) {
	if len(ref) != len(cur) {
		return 0, 0, ErrLength
	}
	for i := range ref {
		if ref[i] != ref[i] || cur[i] != cur[i] {
			return 0, 0, ErrNaN
		}
		sr += ref[i]
		sc += cur[i]
	}
	if sr <= 0 || sc <= 0 {
		return 0, 0, ErrEmpty
	}
	return sr, sc, nil
}

// fillZeroes applies Evidently's rule for empty bins (get_binned_data,
// feel_zeroes=True): zero shares become min(non-zero share)/1e6 when that
// minimum is <= 1e-4, and 1e-4 otherwise.
func fillZeroes(p []float64) {
	mn := math.Inf(1)
	for _, v := range p {
		if v != 0 {
			mn = min(mn, v)
		}
	}
	fill := 0.0001
	if mn <= 0.0001 {
		fill = mn / 1e6
	}
	for i, v := range p {
		if v == 0 {
			p[i] = fill
		}
	}
}

func shares(c []float64, total float64) []float64 {
	p := make([]float64, len(c))
	for i, v := range c {
		p[i] = v / total
	}
	return p
}

// PSI is the population stability index Σ (r-c)·ln(r/c) over bin shares,
// as Evidently's psi stattest computes it (shares = count / total, empty
// bins filled by Evidently's epsilon rule, summed left to right). Its
// conventional drift threshold is 0.1.
func PSI(ref, cur []float64) (float64, error) {
	sr, sc, err := checkCounts(ref, cur)
	if err != nil {
		return 0, err
	}
	r, c := shares(ref, sr), shares(cur, sc)
	fillZeroes(r)
	fillZeroes(c)
	psi := 0.0
	for i := range r {
		psi += (r[i] - c[i]) * math.Log(r[i]/c[i])
	}
	return psi, nil
}

// JensenShannon is the Jensen–Shannon distance in base 2: the square root
// of the JS divergence, in [0, 1], as scipy.spatial.distance.jensenshannon
// (p, q, base=2). Inputs are normalised first.
func JensenShannon(ref, cur []float64) (float64, error) {
	sr, sc, err := checkCounts(ref, cur)
	if err != nil {
		return 0, err
	}
	left, right := 0.0, 0.0
	for i := range ref {
		p, q := ref[i]/sr, cur[i]/sc
		m := (p + q) / 2.0
		left += relEntr(p, m)
		right += relEntr(q, m)
	}
	js := (left + right) / math.Ln2
	return math.Sqrt(js / 2.0), nil
}

// relEntr is scipy.special.rel_entr.
func relEntr(x, y float64) float64 {
	switch {
	case x > 0 && y > 0:
		return x * math.Log(x/y)
	case x == 0 && y >= 0:
		return 0
	default:
		return math.Inf(1)
	}
}

// LInf is the L-infinity distance max |p_i - q_i| between the two
// normalised frequency vectors.
func LInf(ref, cur []float64) (float64, error) {
	sr, sc, err := checkCounts(ref, cur)
	if err != nil {
		return 0, err
	}
	d := 0.0
	for i := range ref {
		d = max(d, math.Abs(ref[i]/sr-cur[i]/sc))
	}
	return d, nil
}

// ChiSquare is Evidently's chisquare stattest: Pearson's goodness-of-fit
// of the current counts against the reference proportions scaled to the
// current total (scipy.stats.chisquare(f_obs=cur, f_exp=ref·n_cur/n_ref)),
// with k-1 degrees of freedom. A category absent from the reference but
// present now gives an infinite statistic and p = 0.
func ChiSquare(ref, cur []float64) (stat, p float64, err error) {
	sr, sc, err := checkCounts(ref, cur)
	if err != nil {
		return 0, 0, err
	}
	if len(ref) < 2 {
		return 0, math.NaN(), nil
	}
	k := sc / sr
	for i := range ref {
		exp := ref[i] * k
		d := cur[i] - exp
		stat += d * d / exp
	}
	if math.IsNaN(stat) {
		return stat, math.NaN(), nil
	}
	return stat, chi2SF(stat, float64(len(ref)-1)), nil
}

// ZTest is Evidently's z stattest for a binary category: the two-sided
// two-proportion Z-test (pooled variance) of the share of the first
// category, p = 2·(1 - Φ(|z|)). refFirst of refN reference rows and
// curFirst of curN current rows are in that category.
func ZTest(refFirst, refN, curFirst, curN float64) (z, p float64, err error) {
	if refN <= 0 || curN <= 0 {
		return 0, 0, ErrEmpty
	}
	// Evidently short-cuts a column that holds one and the same value in
	// both samples.
	if (refFirst == refN && curFirst == curN) || (refFirst == 0 && curFirst == 0) {
		return 0, 1, nil
	}
	// Evidently encodes the first category as 0 and the rest as 1.
	p1 := (refN - refFirst) / refN
	p2 := (curN - curFirst) / curN
	P := (p1*refN + p2*curN) / (refN + curN)
	z = (p1 - p2) / math.Sqrt(P*(1-P)*(1.0/refN+1.0/curN))
	return z, 2 * (1 - ndtr(math.Abs(z))), nil
}

// Align turns two category→count maps into aligned count vectors over the
// sorted union of their keys.
func Align[K cmp.Ordered](ref, cur map[K]float64) (keys []K, r, c []float64) {
	for k := range ref {
		keys = append(keys, k)
	}
	for k := range cur {
		if _, ok := ref[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	r = make([]float64, len(keys))
	c = make([]float64, len(keys))
	for i, k := range keys {
		r[i], c[i] = ref[k], cur[k]
	}
	return keys, r, c
}

// CountCodes counts integer category codes.
func CountCodes(codes []int) map[int]float64 {
	m := make(map[int]float64)
	for _, c := range codes {
		m[c]++
	}
	return m
}

// Wasserstein is the first Wasserstein (earth mover's) distance between
// the two empirical distributions, as scipy.stats.wasserstein_distance:
// ∫ |F_u - F_v| over the merged sample, with the ECDFs evaluated as
// count/n. The sum is compensated (Neumaier), so it agrees with numpy's
// pairwise sum to rounding.
func Wasserstein(u, v []float64) (float64, error) {
	if len(u) == 0 || len(v) == 0 {
		return 0, ErrEmpty
	}
	a, err := sortedCopy(u)
	if err != nil {
		return 0, err
	}
	b, err := sortedCopy(v)
	if err != nil {
		return 0, err
	}
	return wassersteinSorted(a, b), nil
}

// WassersteinSorted is Wasserstein on samples already sorted ascending.
func WassersteinSorted(u, v []float64) (float64, error) {
	if len(u) == 0 || len(v) == 0 {
		return 0, ErrEmpty
	}
	if err := checkSorted(u); err != nil {
		return 0, err
	}
	if err := checkSorted(v); err != nil {
		return 0, err
	}
	return wassersteinSorted(u, v), nil
}

func wassersteinSorted(a, b []float64) float64 {
	na, nb := len(a), len(b)
	fa, fb := float64(na), float64(nb)
	i, j := 0, 0
	var sum, comp float64
	prev := math.Inf(-1)
	var fprev float64 // |F_a - F_b| at prev
	for i < na || j < nb {
		var v float64
		switch {
		case i == na:
			v = b[j]
		case j == nb:
			v = a[i]
		default:
			v = min(a[i], b[j])
		}
		if i+j > 0 { // one term per gap between distinct values
			term := fprev * (v - prev)
			t := sum + term
			if math.Abs(sum) >= math.Abs(term) {
				comp += (sum - t) + term
			} else {
				comp += (term - t) + sum
			}
			sum = t
		}
		for i < na && a[i] <= v {
			i++
		}
		for j < nb && b[j] <= v {
			j++
		}
		prev, fprev = v, math.Abs(float64(i)/fa-float64(j)/fb)
	}
	return sum + comp
}

// WassersteinNorm is Evidently's normed Wasserstein distance: the
// distance divided by max(std(ref), 0.001), std with ddof=0. Evidently's
// default drift threshold for it is 0.1.
func WassersteinNorm(ref, cur []float64) (float64, error) {
	w, err := Wasserstein(ref, cur)
	if err != nil {
		return 0, err
	}
	return w / max(stdPop(ref), 0.001), nil
}

// stdPop is numpy.std(x) (ddof=0), two-pass with compensated sums.
func stdPop(x []float64) float64 {
	n := float64(len(x))
	mean := ksum(x) / n
	var s, c float64
	for _, v := range x {
		d := v - mean
		t := s + d*d
		if math.Abs(s) >= d*d {
			c += (s - t) + d*d
		} else {
			c += (d*d - t) + s
		}
		s = t
	}
	return math.Sqrt((s + c) / n)
}

// ksum is a Neumaier-compensated sum.
func ksum(x []float64) float64 {
	var s, c float64
	for _, v := range x {
		t := s + v
		if math.Abs(s) >= math.Abs(v) {
			c += (s - t) + v
		} else {
			c += (v - t) + s
		}
		s = t
	}
	return s + c
}

// CountFloats counts the distinct values of x (NaNs skipped), for a
// numeric column binned by value as Evidently does when it has few
// distinct values.
func CountFloats(x []float64) map[float64]float64 {
	m := make(map[float64]float64)
	for _, v := range x {
		if v == v {
			m[v+0]++
		}
	}
	return m
}
