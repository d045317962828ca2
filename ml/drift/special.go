package drift

import "math"

// Special functions written by hand because ml/drift imports only the
// standard library: the regularized upper incomplete gamma function (for
// the chi-squared survival function, scipy.special.chdtrc) and the normal
// CDF (scipy.special.ndtr). Both follow Cephes (S. L. Moshier), which
// scipy wraps: igam.c's power series and continued fraction, ndtr.c's
// erf/erfc split.

const (
	machEp = 1.11022302462515654042e-16 // 2^-53
	big    = 4.503599627370496e15
	bigInv = 2.22044604925031308085e-16
)

// chi2SF is the survival function of the chi-squared distribution with df
// degrees of freedom, Pr(X > x).
func chi2SF(x, df float64) float64 {
	if x < 0 || df <= 0 {
		return math.NaN()
	}
	if math.IsInf(x, 1) {
		return 0
	}
	return igamc(df/2, x/2)
}

// igamc is the regularized upper incomplete gamma function Q(a, x).
func igamc(a, x float64) float64 {
	if x < 0 || a <= 0 {
		return math.NaN()
	}
	if x == 0 {
		return 1
	}
	if x < 1.0 || x < a {
		return 1.0 - igam(a, x)
	}
	lg, _ := math.Lgamma(a)
	ax := a*math.Log(x) - x - lg
	if ax < -709.78271289338399 {
		return 0
	}
	ax = math.Exp(ax)
	// Continued fraction (Cephes igamc).
	y := 1.0 - a
	z := x + y + 1.0
	c := 0.0
	pkm2 := 1.0
	qkm2 := x
	pkm1 := x + 1.0
	qkm1 := z * x
	ans := pkm1 / qkm1
	for range 2000 {
		c += 1.0
		y += 1.0
		z += 2.0
		yc := y * c
		pk := pkm1*z - pkm2*yc
		qk := qkm1*z - qkm2*yc
		t := 1.0
		if qk != 0 {
			r := pk / qk
			t = math.Abs((ans - r) / r)
			ans = r
		}
		pkm2, pkm1 = pkm1, pk
		qkm2, qkm1 = qkm1, qk
		if math.Abs(pk) > big {
			pkm2 *= bigInv
			pkm1 *= bigInv
			qkm2 *= bigInv
			qkm1 *= bigInv
		}
		if t <= machEp {
			break
		}
	}
	return ans * ax
}

// igam is the regularized lower incomplete gamma function P(a, x).
func igam(a, x float64) float64 {
	if x <= 0 || a <= 0 {
		return 0
	}
	if x > 1.0 && x > a {
		return 1.0 - igamc(a, x)
	}
	lg, _ := math.Lgamma(a)
	ax := a*math.Log(x) - x - lg
	if ax < -709.78271289338399 {
		return 0
	}
	ax = math.Exp(ax)
	// Power series.
	r := a
	c := 1.0
	ans := 1.0
	for range 10000 {
		r += 1.0
		c *= x / r
		ans += c
		if c/ans <= machEp {
			break
		}
	}
	return ans * ax / a
}

// ndtr is the standard normal CDF, computed as Cephes ndtr.
func ndtr(a float64) float64 {
	x := a * math.Sqrt2 / 2
	z := math.Abs(x)
	if z < math.Sqrt2/2 {
		return 0.5 + 0.5*math.Erf(x)
	}
	y := 0.5 * math.Erfc(z)
	if x > 0 {
		y = 1.0 - y
	}
	return y
}
