package gate

import (
	"math"

	"github.com/freshet/freshet/ml"
)

// DeLongResult is the comparison of two correlated ROC curves, A and B,
// scored on the same rows.
type DeLongResult struct {
	AUCA, AUCB float64
	// VarA, VarB and Cov are DeLong's estimates of Var(AUCA), Var(AUCB)
	// and Cov(AUCA, AUCB).
	VarA, VarB, Cov float64
	// Z is (AUCA − AUCB) / sqrt(VarA + VarB − 2·Cov): positive when A is
	// the better ranker.
	Z float64
	// P is the two-sided p-value of Z under the standard normal.
	P float64
}

// PALess is the one-sided p-value for "A's AUC is below B's": small when Z
// is very negative.
func (r DeLongResult) PALess() float64 { return normCDF(r.Z) }

// DeLong compares the ROC AUCs of scores a and b against binary labels y
// (0 or 1) on the same rows, after E. R. DeLong, D. M. DeLong and D. L.
// Clarke-Pearson, "Comparing the areas under two or more correlated
// receiver operating characteristic curves: a nonparametric approach",
// Biometrics 44 (1988) 837–845.
//
// Each positive i has placement V10(i) = (#negatives scored below it +
// ½ #negatives tied with it) / n, each negative j has V01(j) = (#positives
// above it + ½ #tied) / m; the AUC is the mean of V10, and the covariance
// matrix of the two AUCs is S10/m + S01/n, where S10 and S01 are the
// sample covariance matrices (denominator m−1, n−1) of the placements of
// the m positives and the n negatives. The placements are computed as X.
// Sun and W. Xu do it ("Fast implementation of DeLong's algorithm for
// comparing the areas under correlated receiver operating characteristic
// curves", IEEE Signal Processing Letters 21 (2014) 1389–1393): from the
// midranks of one sort per score vector, so ties count one half and the
// cost is O(N log N) instead of DeLong's O(m·n) pairs.
//
// It needs at least two rows of each class. When the variance of the
// difference is zero, Z is 0 for equal AUCs and ±Inf otherwise.
func DeLong(y, a, b []float64) (DeLongResult, error) {
	if len(a) != len(y) || len(b) != len(y) {
		return DeLongResult{}, ml.Errorf(ml.EINVALID, "delong: %d labels, %d and %d scores", len(y), len(a), len(b))
	}
	m := 0
	for i, v := range y {
		if v != 0 && v != 1 {
			return DeLongResult{}, ml.Errorf(ml.EINVALID, "delong: label %v in row %d is neither 0 nor 1", v, i+1)
		}
		if !finite(a[i]) || !finite(b[i]) {
			return DeLongResult{}, ml.Errorf(ml.EINVALID, "delong: score in row %d is NaN or infinite", i+1)
		}
		if v == 1 {
			m++
		}
	}
	n := len(y) - m
	if m < 2 || n < 2 {
		return DeLongResult{}, ml.Errorf(ml.EINVALID, "delong: %d positives and %d negatives, at least 2 of each needed", m, n)
	}
	return delongOrders(y, newOrder(a), newOrder(b), m, n, nil), nil
}

// delongOrders is DeLong on validated input with m positives and n
// negatives, from the score orders of A and B; scratch, if not nil and
// long enough, holds the placements.
func delongOrders(y []float64, oa, ob order, m, n int, scratch []float64) DeLongResult {
	if len(scratch) < 2*len(y) {
		scratch = make([]float64, 2*len(y))
	}
	va, vb := scratch[:len(y)], scratch[len(y):2*len(y)]
	aucA := placements(y, oa, m, n, va)
	aucB := placements(y, ob, m, n, vb)
	// Sample covariances of the placements within each class.
	var mpA, mpB, mnA, mnB float64
	for i, v := range y {
		if v == 1 {
			mpA += va[i]
			mpB += vb[i]
		} else {
			mnA += va[i]
			mnB += vb[i]
		}
	}
	fm, fn := float64(m), float64(n)
	mpA, mpB, mnA, mnB = mpA/fm, mpB/fm, mnA/fn, mnB/fn
	var pAA, pBB, pAB, nAA, nBB, nAB float64
	for i, v := range y {
		if v == 1 {
			da, db := va[i]-mpA, vb[i]-mpB
			pAA += da * da
			pBB += db * db
			pAB += da * db
		} else {
			da, db := va[i]-mnA, vb[i]-mnB
			nAA += da * da
			nBB += db * db
			nAB += da * db
		}
	}
	r := DeLongResult{
		AUCA: aucA,
		AUCB: aucB,
		VarA: pAA/(fm-1)/fm + nAA/(fn-1)/fn,
		VarB: pBB/(fm-1)/fm + nBB/(fn-1)/fn,
		Cov:  pAB/(fm-1)/fm + nAB/(fn-1)/fn,
	}
	v := r.VarA + r.VarB - 2*r.Cov
	d := aucA - aucB
	switch {
	case v > 0:
		r.Z = d / math.Sqrt(v)
	case d == 0:
		r.Z = 0
	default:
		r.Z = math.Copysign(math.Inf(1), d)
	}
	r.P = math.Erfc(math.Abs(r.Z) / math.Sqrt2)
	return r
}

// placements fills v with the placement value of every row (V10 for
// positives, V01 for negatives) and returns the AUC. Sun & Xu's midrank
// form reduces, within a group of tied scores, to counting the rows of
// the other class below the group plus half those in it.
func placements(y []float64, o order, m, n int, v []float64) float64 {
	fm, fn := float64(m), float64(n)
	var posBelow, negBelow int
	var sum float64
	for g := 0; g < len(o.rows); {
		e := g
		var gp, gn int
		for e < len(o.rows) && o.keys[e] == o.keys[g] {
			if y[o.rows[e]] == 1 {
				gp++
			} else {
				gn++
			}
			e++
		}
		vPos := (float64(negBelow) + 0.5*float64(gn)) / fn
		vNeg := (float64(m-posBelow-gp) + 0.5*float64(gp)) / fm
		for _, i := range o.rows[g:e] {
			if y[i] == 1 {
				v[i] = vPos
			} else {
				v[i] = vNeg
			}
		}
		sum += float64(gp) * vPos
		posBelow += gp
		negBelow += gn
		g = e
	}
	return sum / fm
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// normCDF is the standard normal distribution function.
func normCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }
