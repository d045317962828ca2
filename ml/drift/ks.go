package drift

import (
	"errors"
	"math"
	"sync"
)

// Errors returned for inputs the statistics cannot handle.
var (
	ErrEmpty     = errors.New("drift: empty sample")
	ErrNaN       = errors.New("drift: sample contains NaN")
	ErrNotSorted = errors.New("drift: sample is not sorted")
	ErrLength    = errors.New("drift: count vectors differ in length")
)

// KSMethod selects how KS computes its p-value, as scipy's ks_2samp method.
type KSMethod int

// KS p-value methods.
const (
	// KSAuto is exact when max(n1, n2) <= 10000, asymptotic otherwise.
	KSAuto KSMethod = iota
	// KSExact counts lattice paths; it falls back to KSAsymp when the
	// lcm of the sizes is too large or the computation loses precision.
	KSExact
	// KSAsymp uses the Kolmogorov distribution of D_n with
	// n = round(n1·n2/(n1+n2)).
	KSAsymp
)

// ksMaxAutoN is scipy's MAX_AUTO_N.
const ksMaxAutoN = 10000

// KSResult is the outcome of a two-sample Kolmogorov–Smirnov test
// (two-sided alternative).
type KSResult struct {
	Statistic float64 // sup |F_ref - F_cur|
	PValue    float64
	Exact     bool    // the p-value came from the exact distribution
	Location  float64 // value at which the statistic is attained
	Sign      int     // +1 if F_ref - F_cur is largest there, -1 otherwise
}

// KS runs the two-sample Kolmogorov–Smirnov test of scipy.stats.ks_2samp
// (alternative='two-sided', method='auto') on unsorted samples. The inputs
// are not modified. Small samples are sorted (copies, concurrently); large
// ones are bucketed instead and only the few buckets where the statistic
// can be attained are sorted (ksBucketed), with the same result.
func KS(ref, cur []float64) (KSResult, error) {
	return KSWith(ref, cur, KSAuto)
}

// KSWith is KS with an explicit p-value method.
func KSWith(ref, cur []float64, method KSMethod) (KSResult, error) {
	if len(ref) == 0 || len(cur) == 0 {
		return KSResult{}, ErrEmpty
	}
	if len(ref)+len(cur) >= ksBucketMin {
		sc, ok, err := ksBucketed(ref, cur)
		if err != nil {
			return KSResult{}, err
		}
		if ok {
			return sc.result(method), nil
		}
	}
	var a, b []float64
	var errA, errB error
	var wg sync.WaitGroup
	wg.Go(func() { a, errA = sortedCopy(ref) })
	b, errB = sortedCopy(cur)
	wg.Wait()
	if errA != nil {
		return KSResult{}, errA
	}
	if errB != nil {
		return KSResult{}, errB
	}
	return ksSorted(a, b, method), nil
}

// KSSorted is KS on samples already sorted ascending, for example read back
// from a stored profile. It checks the order in O(n).
func KSSorted(ref, cur []float64) (KSResult, error) {
	if len(ref) == 0 || len(cur) == 0 {
		return KSResult{}, ErrEmpty
	}
	if err := checkSorted(ref); err != nil {
		return KSResult{}, err
	}
	if err := checkSorted(cur); err != nil {
		return KSResult{}, err
	}
	return ksSorted(ref, cur, KSAuto), nil
}

func checkSorted(x []float64) error {
	for i, f := range x {
		if f != f {
			return ErrNaN
		}
		if i > 0 && f < x[i-1] {
			return ErrNotSorted
		}
	}
	return nil
}

// ksSorted computes what ks_2samp computes from its searchsorted ECDFs, in
// one merge pass: at every distinct value v, cdf1(v) - cdf2(v) with both
// ECDFs right-continuous, evaluated as count/n exactly as numpy does.
func ksSorted(a, b []float64, method KSMethod) KSResult {
	sc := newKSScan(len(a), len(b))
	sc.scan(a, b, 0, 0)
	return sc.result(method)
}

// ksScan holds the running extremes of ksSorted's merge, so that the merge
// can also run over pieces of the samples (ksBucketed).
type ksScan struct {
	n1, n2                             int
	maxS, minS                         float64
	maxLocA, maxLocB, minLocA, minLocB float64
	maxInA, maxInB, minInA, minInB     bool
}

func newKSScan(n1, n2 int) ksScan {
	return ksScan{n1: n1, n2: n2, maxS: math.Inf(-1), minS: math.Inf(1)}
}

// scan merges sorted a and b, which follow i0 values of the first sample
// and j0 of the second and precede all the rest of both.
func (sc *ksScan) scan(a, b []float64, i0, j0 int) {
	f1, f2 := float64(sc.n1), float64(sc.n2)
	maxS, minS := sc.maxS, sc.minS
	maxLocA, maxLocB, minLocA, minLocB := sc.maxLocA, sc.maxLocB, sc.minLocA, sc.minLocB
	maxInA, maxInB, minInA, minInB := sc.maxInA, sc.maxInB, sc.minInA, sc.minInB
	n1, n2 := len(a), len(b)
	i, j := 0, 0
	for i < n1 || j < n2 {
		var v float64
		switch {
		case i == n1:
			v = b[j]
		case j == n2:
			v = a[i]
		default:
			v = min(a[i], b[j])
		}
		ia, jb := i, j
		for i < n1 && a[i] <= v {
			i++
		}
		for j < n2 && b[j] <= v {
			j++
		}
		inA, inB := i > ia, j > jb
		diff := float64(i0+i)/f1 - float64(j0+j)/f2
		if diff > maxS {
			maxS, maxInA, maxInB = diff, false, false
		}
		if diff == maxS {
			if inA && !maxInA {
				maxInA, maxLocA = true, v
			}
			if inB && !maxInB {
				maxInB, maxLocB = true, v
			}
		}
		if diff < minS {
			minS, minInA, minInB = diff, false, false
		}
		if diff == minS {
			if inA && !minInA {
				minInA, minLocA = true, v
			}
			if inB && !minInB {
				minInB, minLocB = true, v
			}
		}
	}
	sc.maxS, sc.minS = maxS, minS
	sc.maxLocA, sc.maxLocB, sc.minLocA, sc.minLocB = maxLocA, maxLocB, minLocA, minLocB
	sc.maxInA, sc.maxInB, sc.minInA, sc.minInB = maxInA, maxInB, minInA, minInB
}

// result turns the extremes into ks_2samp's statistic, location, sign and
// p-value.
func (sc *ksScan) result(method KSMethod) KSResult {
	// np.argmax returns the first hit in concatenate([data1, data2]).
	loc := func(inA bool, la, lb float64) float64 {
		if inA {
			return la
		}
		return lb
	}
	negMin := clip01(-sc.minS)
	res := KSResult{Statistic: sc.maxS, Sign: 1, Location: loc(sc.maxInA, sc.maxLocA, sc.maxLocB)}
	if negMin > sc.maxS {
		res = KSResult{Statistic: negMin, Sign: -1, Location: loc(sc.minInA, sc.minLocA, sc.minLocB)}
	}
	res.Statistic, res.PValue, res.Exact = KSPValue(res.Statistic, sc.n1, sc.n2, method)
	return res
}

// ksBucketMin is the total size from which KS buckets instead of sorting.
const ksBucketMin = 1 << 13

// ksBucketed is KSWith's merge without sorting the samples. Both go into the same
// monotone grid (see grid); the difference of the ECDFs at the last value
// of every non-empty bucket is one that ksSorted evaluates, so the largest
// and smallest of those bound the statistic's extremes from inside, while
// a bucket's counts bound every difference within it from outside
// (count/n and their difference are monotone in floating point too). Only
// buckets whose outer bound reaches the inner one can hold the extremes or
// a tie with them; those are gathered, sorted and merged in order with
// ksScan, which therefore sees every point ksSorted would pick and
// returns the identical result. ok is false when the samples do not fit a
// grid (infinities, or all values equal); the caller then sorts.
func ksBucketed(ref, cur []float64) (sc ksScan, ok bool, err error) {
	n1, n2 := len(ref), len(cur)
	var lo1, hi1, lo2, hi2 float64
	var ok1, ok2 bool
	var err1, err2 error
	lo1, hi1, ok1, err1 = sampleRange(ref)
	lo2, hi2, ok2, err2 = sampleRange(cur)
	if err1 != nil || err2 != nil {
		return ksScan{}, false, ErrNaN
	}
	if !ok1 || !ok2 {
		both(func() { lo1, hi1, err1 = minMax(ref) }, func() { lo2, hi2, err2 = minMax(cur) })
		if err1 != nil || err2 != nil {
			return ksScan{}, false, ErrNaN
		}
	}
	nb := bucketsFor(n1+n2, 128, 1<<8, 1<<14)
	g, ok := makeGrid(min(lo1, lo2), max(hi1, hi2), nb)
	if !ok {
		return ksScan{}, false, nil
	}
	h1, h2 := make([]int32, nb), make([]int32, nb)
	both(func() { err1 = g.histogram(ref, h1) }, func() { err2 = g.histogram(cur, h2) })
	if err1 != nil || err2 != nil {
		return ksScan{}, false, ErrNaN
	}
	f1, f2 := float64(n1), float64(n2)
	inMax, inMin := math.Inf(-1), math.Inf(1)
	c1, c2 := 0, 0
	for b := range nb {
		k1, k2 := int(h1[b]), int(h2[b])
		if k1 == 0 && k2 == 0 {
			continue
		}
		c1, c2 = c1+k1, c2+k2
		d := float64(c1)/f1 - float64(c2)/f2
		inMax, inMin = max(inMax, d), min(inMin, d)
	}
	// Candidate buckets; h1, h2 become the gather cursors.
	type cand struct{ b, c1, c2, s1, s2, e1, e2 int }
	var cands []cand
	c1, c2 = 0, 0
	t1, t2 := 0, 0
	for b := range nb {
		k1, k2 := int(h1[b]), int(h2[b])
		h1[b], h2[b] = -1, -1
		if k1 == 0 && k2 == 0 {
			continue
		}
		upper := float64(c1+k1)/f1 - float64(c2)/f2
		lower := float64(c1)/f1 - float64(c2+k2)/f2
		if upper >= inMax || lower <= inMin {
			cands = append(cands, cand{b, c1, c2, t1, t2, t1 + k1, t2 + k2})
			h1[b], h2[b] = int32(t1), int32(t2)
			t1, t2 = t1+k1, t2+k2
		}
		c1, c2 = c1+k1, c2+k2
	}
	buf1, buf2 := make([]float64, t1), make([]float64, t2)
	both(func() { g.gather(ref, h1, buf1) }, func() { g.gather(cur, h2, buf2) })
	sc = newKSScan(n1, n2)
	for _, c := range cands {
		a, b := buf1[c.s1:c.e1], buf2[c.s2:c.e2]
		sortFloats(a)
		sortFloats(b)
		sc.scan(a, b, c.c1, c.c2)
	}
	return sc, true, nil
}

// KSPValue returns the two-sided p-value of the two-sample statistic d for
// sample sizes n1 and n2, following scipy 1.10 ks_2samp. When the exact
// method is used, d is first rounded to the nearest multiple of
// 1/lcm(n1, n2) and the rounded value is returned, as scipy does.
func KSPValue(d float64, n1, n2 int, method KSMethod) (stat, p float64, exact bool) {
	g := gcd(n1, n2)
	n1g, n2g := n1/g, n2/g
	switch method {
	case KSAuto:
		if max(n1, n2) <= ksMaxAutoN {
			method = KSExact
		} else {
			method = KSAsymp
		}
	case KSExact:
		if float64(n1g) >= float64(math.MaxInt32)/float64(n2g) {
			method = KSAsymp
		}
	}
	if method == KSExact {
		ok, dd, prob := ksExact(n1, n2, g, d)
		d = dd
		if ok {
			return d, clip01(prob), true
		}
	}
	m, n := float64(max(n1, n2)), float64(min(n1, n2))
	en := m * n / (m + n)
	nn := math.RoundToEven(en)
	if nn < 1 {
		return d, math.NaN(), false
	}
	if d <= 0.5/nn {
		return d, 1, false
	}
	return d, kolmogn(int(nn), d, false), false
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// ksExact mirrors scipy's _attempt_exact_2kssamp for the two-sided case.
func ksExact(n1, n2, g int, d float64) (ok bool, dOut, prob float64) {
	lcm := int64(n1/g) * int64(n2)
	h := int64(math.RoundToEven(d * float64(lcm)))
	d = float64(h) / float64(lcm)
	if h == 0 {
		return true, d, 1
	}
	if n1 == n2 {
		prob = probOutsideSquare(n1, int(h))
	} else {
		prob = outerProbInside(n1, n2, g, int(h))
	}
	if math.IsInf(prob, 0) || !(0 <= prob && prob <= 1) {
		return false, d, prob
	}
	return true, d, prob
}

// probOutsideSquare is scipy's _compute_prob_outside_square: the share of
// lattice paths from (0,0) to (n,n) that leave |x-y| < h, by the
// alternating reflection sum in Horner form.
func probOutsideSquare(n, h int) float64 {
	P := 0.0
	k := n / h
	for ; k >= 0; k-- {
		p1 := 1.0
		for j := 0; j < h; j++ {
			p1 = float64(n-k*h-j) * p1 / float64(n+k*h+j+1)
		}
		P = p1 * (1.0 - P)
	}
	return 2 * P
}

// outerProbInside is scipy's _compute_outer_prob_inside_method (Hodges'
// inside method with Viehmann's recursion for 1-p, arXiv:2102.08037).
func outerProbInside(m, n, g, h int) float64 {
	if m < n {
		m, n = n, m
	}
	mg, ng := m/g, n/g
	minj, maxj := 0, min(int(math.Ceil(float64(h)/float64(mg))), n+1)
	curlen := maxj - minj
	lenA := min(2*maxj+2, n+1)
	A := make([]float64, lenA)
	for i := range A {
		A[i] = 1
	}
	for i := minj; i < maxj; i++ {
		A[i] = 0
	}
	fmg := float64(mg)
	for i := 1; i <= m; i++ {
		lastminj, lastlen := minj, curlen
		minj = max(int(math.Floor(float64(ng*i-h)/fmg))+1, 0)
		minj = min(minj, n)
		maxj = min(int(math.Ceil(float64(ng*i+h)/fmg)), n+1)
		if maxj <= minj {
			return 1.0
		}
		val := 1.0
		if minj == 0 {
			val = 0
		}
		fi := float64(i)
		for jj := 0; jj < maxj-minj; jj++ {
			j := jj + minj
			val = (A[jj+minj-lastminj]*fi + val*float64(j)) / (fi + float64(j))
			A[jj] = val
		}
		curlen = maxj - minj
		if lastlen > curlen {
			for t := maxj - minj; t < min(maxj-minj+(lastlen-curlen), len(A)); t++ {
				A[t] = 1
			}
		}
	}
	return A[maxj-minj-1]
}
