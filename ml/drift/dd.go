package drift

import "math"

// dd is a double-double number hi+lo with |lo| <= ulp(hi)/2, the format of
// the QD library (Hida, Li, Bailey) that scipy's cephes kolmogorov.c uses to
// keep the one-sided Smirnov sum accurate. Only the operations that
// _smirnov3 needs are here.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) dd {
	p := a * b
	return dd{p, math.FMA(a, b, -p)}
}

func ddAdd(a, b dd) dd {
	s := twoSum(a.hi, b.hi)
	t := twoSum(a.lo, b.lo)
	s.lo += t.hi
	s = quickTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return quickTwoSum(s.hi, s.lo)
}

func ddNeg(a dd) dd { return dd{-a.hi, -a.lo} }

func ddSub(a, b dd) dd { return ddAdd(a, ddNeg(b)) }

func ddAddD(a dd, b float64) dd {
	s := twoSum(a.hi, b)
	s.lo += a.lo
	return quickTwoSum(s.hi, s.lo)
}

func ddMul(a, b dd) dd {
	p := twoProd(a.hi, b.hi)
	p.lo += a.hi*b.lo + a.lo*b.hi
	return quickTwoSum(p.hi, p.lo)
}

func ddMulD(a dd, b float64) dd {
	p := twoProd(a.hi, b)
	p.lo += a.lo * b
	return quickTwoSum(p.hi, p.lo)
}

// ddDiv is QD's accurate division: three correction steps.
func ddDiv(a, b dd) dd {
	q1 := a.hi / b.hi
	r := ddSub(a, ddMulD(b, q1))
	q2 := r.hi / b.hi
	r = ddSub(r, ddMulD(b, q2))
	q3 := r.hi / b.hi
	q := quickTwoSum(q1, q2)
	return ddAddD(q, q3)
}

func ddFromD(a float64) dd { return dd{a, 0} }

func ddDivDD(a, b float64) dd { return ddDiv(ddFromD(a), ddFromD(b)) }

func (a dd) isZero() bool { return a.hi == 0 }

func (a dd) isFinite() bool { return !math.IsInf(a.hi, 0) && !math.IsNaN(a.hi) }

func ddFrexp(a dd) (dd, int) {
	hi, e := math.Frexp(a.hi)
	return dd{hi, math.Ldexp(a.lo, -e)}, e
}

func ddLdexp(a dd, e int) dd { return dd{math.Ldexp(a.hi, e), math.Ldexp(a.lo, e)} }

func ddFloor(a dd) dd {
	hi := math.Floor(a.hi)
	lo := 0.0
	if hi == a.hi {
		lo = math.Floor(a.lo)
		return quickTwoSum(hi, lo)
	}
	return dd{hi, lo}
}

func ddInv(a dd) dd { return ddDiv(dd{1, 0}, a) }
