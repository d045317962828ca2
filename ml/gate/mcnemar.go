package gate

import (
	"math"

	"gonum.org/v1/gonum/mathext"

	"github.com/freshet/freshet/ml"
)

// McNemarResult compares the accuracies of two classifiers A and B on the
// same rows through their discordant pairs.
type McNemarResult struct {
	// B counts rows A gets right and B gets wrong; C rows A gets wrong and
	// B right.
	B, C int
	// Statistic is the continuity-corrected chi-square
	// max(0, |B−C|−1)² / (B+C) (0 when B+C = 0), and P its upper tail
	// under one degree of freedom.
	Statistic, P float64
	// PExact is the two-sided exact binomial p-value of B among B+C
	// discordant rows at probability ½, as scipy.stats.binomtest.
	PExact float64
}

// PBWorse is the one-sided exact p-value for "B is less accurate than A":
// P(X ≥ B) for X ~ Binomial(B+C, ½).
func (r McNemarResult) PBWorse() float64 { return binomUpper(r.B, r.B+r.C) }

// PBBetter is the one-sided exact p-value for "B is more accurate than
// A": P(X ≥ C) for X ~ Binomial(B+C, ½).
func (r McNemarResult) PBBetter() float64 { return binomUpper(r.C, r.B+r.C) }

// McNemar is McNemar's test (Q. McNemar, "Note on the sampling error of
// the difference between correlated proportions or percentages",
// Psychometrika 12 (1947) 153–157) of binary classifiers a and b, each
// predicting class 1 when its score is >= threshold, against labels y (0
// or 1). The chi-square carries Edwards' continuity correction (A. L.
// Edwards, Psychometrika 13 (1948) 185–187), floored at 0 so that B = C
// gives p = 1; the exact p-value is the binomial test on the discordant
// rows, which is the one to trust when B+C is small.
func McNemar(y, a, b []float64, threshold float64) (McNemarResult, error) {
	if len(a) != len(y) || len(b) != len(y) {
		return McNemarResult{}, ml.Errorf(ml.EINVALID, "mcnemar: %d labels, %d and %d scores", len(y), len(a), len(b))
	}
	var nb, nc int
	for i, v := range y {
		if v != 0 && v != 1 {
			return McNemarResult{}, ml.Errorf(ml.EINVALID, "mcnemar: label %v in row %d is neither 0 nor 1", v, i+1)
		}
		if math.IsNaN(a[i]) || math.IsNaN(b[i]) {
			return McNemarResult{}, ml.Errorf(ml.EINVALID, "mcnemar: score in row %d is NaN", i+1)
		}
		ra := (a[i] >= threshold) == (v == 1)
		rb := (b[i] >= threshold) == (v == 1)
		switch {
		case ra && !rb:
			nb++
		case rb && !ra:
			nc++
		}
	}
	return mcnemarCounts(nb, nc), nil
}

// mcnemarCounts is McNemar's test from the discordant counts.
func mcnemarCounts(b, c int) McNemarResult {
	r := McNemarResult{B: b, C: c, P: 1, PExact: 1}
	if b+c == 0 {
		return r
	}
	d := max(math.Abs(float64(b-c))-1, 0)
	r.Statistic = d * d / float64(b+c)
	r.P = math.Erfc(math.Sqrt(r.Statistic / 2)) // chi-square(1) upper tail
	if b != c {
		r.PExact = min(1, 2*binomLower(min(b, c), b+c))
	}
	return r
}

// binomLower is P(X <= k) for X ~ Binomial(n, ½), through the regularized
// incomplete beta function: I_{½}(n−k, k+1).
func binomLower(k, n int) float64 {
	if k >= n {
		return 1
	}
	if k < 0 {
		return 0
	}
	return mathext.RegIncBeta(float64(n-k), float64(k+1), 0.5)
}

// binomUpper is P(X >= k) for X ~ Binomial(n, ½): I_{½}(k, n−k+1).
func binomUpper(k, n int) float64 {
	if k <= 0 {
		return 1
	}
	if k > n {
		return 0
	}
	return mathext.RegIncBeta(float64(k), float64(n-k+1), 0.5)
}
