package decay

import "math"

// TTestResult is the outcome of Welch's two-sample t-test.
type TTestResult struct {
	T  float64 // (mean(cur) − mean(base)) / standard error
	DF float64 // Welch–Satterthwaite degrees of freedom
	// P is the two-sided p-value, as scipy.stats.ttest_ind(cur, base,
	// equal_var=False).pvalue.
	P float64
	// PGreater is the one-sided p-value for mean(cur) > mean(base)
	// (scipy's alternative="greater"): for losses, evidence of decay.
	PGreater float64
}

// TTestMean is Welch's t-test (unequal variances) of mean(cur) against
// mean(base), the fallback of BootstrapDiff when resampling is too costly.
// Both samples need at least two values. When both variances are zero the
// statistic is ±Inf (or NaN for equal means), as in scipy.
func TTestMean(cur, base []float64) (TTestResult, error) {
	if len(cur) < 2 || len(base) < 2 {
		return TTestResult{}, ErrEmpty
	}
	m1, v1 := meanVar(cur)
	m2, v2 := meanVar(base)
	n1, n2 := float64(len(cur)), float64(len(base))
	a, b := v1/n1, v2/n2
	se := math.Sqrt(a + b)
	t := (m1 - m2) / se
	df := (a + b) * (a + b) / (a*a/(n1-1) + b*b/(n2-1))
	if math.IsNaN(t) || math.IsNaN(df) {
		return TTestResult{T: t, DF: df, P: math.NaN(), PGreater: math.NaN()}, nil
	}
	sf := StudentTSF(math.Abs(t), df)
	res := TTestResult{T: t, DF: df, P: math.Min(1, 2*sf), PGreater: StudentTSF(t, df)}
	return res, nil
}

// meanVar returns the mean and the unbiased variance (ddof=1), computed in
// two passes.
func meanVar(x []float64) (m, v float64) {
	m = mean(x)
	for _, xi := range x {
		d := xi - m
		v += d * d
	}
	return m, v / float64(len(x)-1)
}

// StudentTSF is the survival function P(T > t) of Student's t distribution
// with df > 0 degrees of freedom (df need not be an integer), from the
// regularized incomplete beta function: P(T > |t|) = I_x(df/2, 1/2)/2 with
// x = df/(df+t²).
func StudentTSF(t, df float64) float64 {
	if math.IsNaN(t) || !(df > 0) {
		return math.NaN()
	}
	if math.IsInf(t, 1) {
		return 0
	}
	if math.IsInf(t, -1) {
		return 1
	}
	if t == 0 {
		return 0.5
	}
	if math.IsInf(df, 1) {
		return 0.5 * math.Erfc(t/math.Sqrt2)
	}
	tail := 0.5 * incbet(0.5*df, 0.5, df/(df+t*t))
	if t > 0 {
		return tail
	}
	return 1 - tail
}

// Cephes constants (mconf.h, IEEE double).
const (
	machEp = 1.11022302462515654042e-16
	maxLog = 7.09782712893383996843e2
	minLog = -7.08396418532264106224e2
	maxGam = 171.624376956302725
	big    = 4.503599627370496e15
	bigInv = 2.22044604925031308085e-16
)

// incbet is the regularized incomplete beta function I_x(a, b), ported from
// Cephes incbet.c (S. L. Moshier), which scipy 1.10 uses for the t
// distribution.
func incbet(aa, bb, xx float64) float64 {
	if aa <= 0 || bb <= 0 || xx < 0 || xx > 1 {
		return math.NaN()
	}
	if xx == 0 {
		return 0
	}
	if xx == 1 {
		return 1
	}
	if bb*xx <= 1 && xx <= 0.95 {
		return pseries(aa, bb, xx)
	}
	w := 1 - xx
	var a, b, x, xc float64
	flag := false
	if xx > aa/(aa+bb) {
		flag = true
		a, b, xc, x = bb, aa, xx, w
	} else {
		a, b, xc, x = aa, bb, w, xx
	}
	var t float64
	if flag && b*x <= 1 && x <= 0.95 {
		t = pseries(a, b, x)
	} else {
		y := x*(a+b-2) - (a - 1)
		if y < 0 {
			w = incbcf(a, b, x)
		} else {
			w = incbd(a, b, x) / xc
		}
		y = a * math.Log(x)
		t = b * math.Log(xc)
		if a+b < maxGam && math.Abs(y) < maxLog && math.Abs(t) < maxLog {
			t = math.Pow(xc, b)
			t *= math.Pow(x, a)
			t /= a
			t *= w
			t *= 1 / beta(a, b)
		} else {
			y += t - lbeta(a, b)
			y += math.Log(w / a)
			if y < minLog {
				t = 0
			} else {
				t = math.Exp(y)
			}
		}
	}
	if flag {
		if t <= machEp {
			return 1 - machEp
		}
		return 1 - t
	}
	return t
}

// incbcf is Cephes' continued fraction expansion #1.
func incbcf(a, b, x float64) float64 {
	k1, k2, k3, k4 := a, a+b, a, a+1
	k5, k6, k7, k8 := 1.0, b-1, a+1, a+2
	pkm2, qkm2, pkm1, qkm1 := 0.0, 1.0, 1.0, 1.0
	ans, r := 1.0, 1.0
	const thresh = 3 * machEp
	for n := 0; n < 300; n++ {
		xk := -(x * k1 * k2) / (k3 * k4)
		pk := pkm1 + pkm2*xk
		qk := qkm1 + qkm2*xk
		pkm2, pkm1 = pkm1, pk
		qkm2, qkm1 = qkm1, qk

		xk = (x * k5 * k6) / (k7 * k8)
		pk = pkm1 + pkm2*xk
		qk = qkm1 + qkm2*xk
		pkm2, pkm1 = pkm1, pk
		qkm2, qkm1 = qkm1, qk

		if qk != 0 {
			r = pk / qk
		}
		var t float64
		if r != 0 {
			t = math.Abs((ans - r) / r)
			ans = r
		} else {
			t = 1
		}
		if t < thresh {
			break
		}
		k1++
		k2++
		k3 += 2
		k4 += 2
		k5++
		k6--
		k7 += 2
		k8 += 2
		if math.Abs(qk)+math.Abs(pk) > big {
			pkm2 *= bigInv
			pkm1 *= bigInv
			qkm2 *= bigInv
			qkm1 *= bigInv
		}
		if math.Abs(qk) < bigInv || math.Abs(pk) < bigInv {
			pkm2 *= big
			pkm1 *= big
			qkm2 *= big
			qkm1 *= big
		}
	}
	return ans
}

// incbd is Cephes' continued fraction expansion #2.
func incbd(a, b, x float64) float64 {
	k1, k2, k3, k4 := a, b-1, a, a+1
	k5, k6, k7, k8 := 1.0, a+b, a+1, a+2
	pkm2, qkm2, pkm1, qkm1 := 0.0, 1.0, 1.0, 1.0
	z := x / (1 - x)
	ans, r := 1.0, 1.0
	const thresh = 3 * machEp
	for n := 0; n < 300; n++ {
		xk := -(z * k1 * k2) / (k3 * k4)
		pk := pkm1 + pkm2*xk
		qk := qkm1 + qkm2*xk
		pkm2, pkm1 = pkm1, pk
		qkm2, qkm1 = qkm1, qk

		xk = (z * k5 * k6) / (k7 * k8)
		pk = pkm1 + pkm2*xk
		qk = qkm1 + qkm2*xk
		pkm2, pkm1 = pkm1, pk
		qkm2, qkm1 = qkm1, qk

		if qk != 0 {
			r = pk / qk
		}
		var t float64
		if r != 0 {
			t = math.Abs((ans - r) / r)
			ans = r
		} else {
			t = 1
		}
		if t < thresh {
			break
		}
		k1++
		k2--
		k3 += 2
		k4 += 2
		k5++
		k6++
		k7 += 2
		k8 += 2
		if math.Abs(qk)+math.Abs(pk) > big {
			pkm2 *= bigInv
			pkm1 *= bigInv
			qkm2 *= bigInv
			qkm1 *= bigInv
		}
		if math.Abs(qk) < bigInv || math.Abs(pk) < bigInv {
			pkm2 *= big
			pkm1 *= big
			qkm2 *= big
			qkm1 *= big
		}
	}
	return ans
}

// pseries is Cephes' power series, for b·x small and x not near 1.
func pseries(a, b, x float64) float64 {
	ai := 1 / a
	u := (1 - b) * x
	v := u / (a + 1)
	t1 := v
	t := u
	n := 2.0
	s := 0.0
	z := machEp * ai
	for math.Abs(v) > z {
		u = (n - b) * x / n
		t *= u
		v = t / (a + n)
		s += v
		n++
	}
	s += t1
	s += ai
	u = a * math.Log(x)
	if a+b < maxGam && math.Abs(u) < maxLog {
		t = 1 / beta(a, b)
		t *= math.Pow(x, a)
		return s * t
	}
	t = -lbeta(a, b) + u + math.Log(s)
	if t < minLog {
		return 0
	}
	return math.Exp(t)
}

// beta is B(a, b) = Γ(a)Γ(b)/Γ(a+b) for a+b below Γ's overflow.
func beta(a, b float64) float64 {
	return math.Gamma(b) / math.Gamma(a+b) * math.Gamma(a)
}

// lbeta is ln|B(a, b)|.
func lbeta(a, b float64) float64 {
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	return la + lb - lab
}
