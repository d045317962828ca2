package gbdt

import "math"

// probEps clips probabilities in log losses and the base margin.
const probEps = 1e-15

// minHess keeps hessians positive (XGBoost's kRtEps floor).
const minHess = 1e-16

// baseMargin is the starting raw score per class: the logit of the mean
// label (Binary), the log of the class priors (Multiclass, LightGBM's
// boost_from_average) or the mean label (Regression).
func baseMargin(objective string, k int, y, w []float64) []float64 {
	wsum := 0.0
	weight := func(i int) float64 {
		if w == nil {
			return 1
		}
		return w[i]
	}
	switch objective {
	case Multiclass:
		prior := make([]float64, k)
		for i, v := range y {
			prior[int(v)] += weight(i)
			wsum += weight(i)
		}
		for c := range prior {
			prior[c] = math.Log(math.Max(prior[c]/math.Max(wsum, probEps), probEps))
		}
		return prior
	default:
		s := 0.0
		for i, v := range y {
			s += weight(i) * v
			wsum += weight(i)
		}
		mean := 0.0
		if wsum > 0 {
			mean = s / wsum
		} else if objective == Binary {
			mean = 0.5
		}
		if objective == Binary {
			mean = math.Min(math.Max(mean, probEps), 1-probEps)
			return []float64{math.Log(mean / (1 - mean))}
		}
		return []float64{mean}
	}
}

// gradients fills gh[c][i] with the weighted gradient and hessian of the
// loss at scores (n×k, row-major). All k trees of a round use them.
func gradients(objective string, k int, scores, y, w []float64, gh [][]gpair, pl *pool) {
	forBlocks(pl, len(y), 20*k, func(lo, hi int) {
		var wt []float64
		if w != nil {
			wt = w[lo:hi]
		}
		switch objective {
		case Binary:
			logisticGrad(gh[0][lo:hi], scores[lo:hi], y[lo:hi], wt)
		case Regression:
			g, s, yy := gh[0][lo:hi], scores[lo:hi], y[lo:hi]
			for i := range g {
				wi := 1.0
				if wt != nil {
					wi = wt[i]
				}
				g[i] = gpair{(s[i] - yy[i]) * wi, wi}
			}
		case Multiclass:
			prob := make([]float64, k)
			for i := lo; i < hi; i++ {
				wi := 1.0
				if w != nil {
					wi = w[i]
				}
				copy(prob, scores[i*k:(i+1)*k])
				stableSoftmax(prob)
				label := int(y[i])
				for c, p := range prob {
					t := 0.0
					if c == label {
						t = 1
					}
					// XGBoost's softmax hessian 2p(1-p).
					h := 2 * p * (1 - p)
					if h < minHess {
						h = minHess
					}
					gh[c][i] = gpair{(p - t) * wi, h * wi}
				}
			}
		}
	})
}

// logisticGrad is the binary log-loss gradient, p − y, and hessian,
// p(1 − p), with p = σ(s). It is the hottest loop outside the histograms,
// so expFast is written out here (the compiler does not inline it).
func logisticGrad(g []gpair, s, y, w []float64) {
	const (
		log2e = 1.4426950408889634
		ln2hi = 6.93147180369123816490e-01
		ln2lo = 1.90821492927058770002e-10
		shift = 6755399441055744.0
	)
	y = y[:len(g)]
	s = s[:len(g)]
	for i := range g {
		x := -s[i]
		if x < -708 {
			x = -708
		}
		if x > 709 {
			x = 709
		}
		kf := x*log2e + shift
		k := int64(math.Float64bits(kf)) - int64(math.Float64bits(shift))
		kf -= shift
		r := x - kf*ln2hi - kf*ln2lo
		r2 := r * r
		r4 := r2 * r2
		p03 := 1 + r + r2*(1.0/2+r*(1.0/6))
		p47 := 1.0/24 + r*(1.0/120) + r2*(1.0/720+r*(1.0/5040))
		p8b := 1.0/40320 + r*(1.0/362880) + r2*(1.0/3628800+r*(1.0/39916800))
		e := (p03 + r4*(p47+r4*p8b)) * math.Float64frombits(uint64(k+1023)<<52)
		p := 1 / (1 + e)
		h := p * (1 - p)
		if h < minHess {
			h = minHess
		}
		if w == nil {
			g[i] = gpair{p - y[i], h}
		} else {
			g[i] = gpair{(p - y[i]) * w[i], h * w[i]}
		}
	}
}

// stableSoftmax is softmax with the maximum subtracted first.
func stableSoftmax(v []float64) {
	mx := v[0]
	for _, x := range v {
		if x > mx {
			mx = x
		}
	}
	sum := 0.0
	for i, x := range v {
		v[i] = expFast(x - mx)
		sum += v[i]
	}
	for i := range v {
		v[i] /= sum
	}
}

// loss is the weighted validation loss: log loss for Binary and
// Multiclass, RMSE for Regression.
func loss(objective string, k int, scores, y, w []float64) float64 {
	var sum, wsum float64
	prob := make([]float64, k)
	for i, v := range y {
		wt := 1.0
		if w != nil {
			wt = w[i]
		}
		var l float64
		switch objective {
		case Binary:
			p := math.Min(math.Max(1/(1+expFast(-scores[i])), probEps), 1-probEps)
			l = -(v*math.Log(p) + (1-v)*math.Log(1-p))
		case Regression:
			d := scores[i] - v
			l = d * d
		case Multiclass:
			copy(prob, scores[i*k:(i+1)*k])
			stableSoftmax(prob)
			l = -math.Log(math.Max(prob[int(v)], probEps))
		}
		sum += wt * l
		wsum += wt
	}
	if wsum == 0 {
		return 0
	}
	if objective == Regression {
		return math.Sqrt(sum / wsum)
	}
	return sum / wsum
}

// expFast is e^x to about 1e-14 relative error, clamped to [-708, 709]. It
// is for training only (gradients and validation losses); predictions use
// math.Exp as leaves does. It is faster than math.Exp because its
// polynomial is evaluated with Estrin's scheme and it skips the special
// cases.
func expFast(x float64) float64 {
	const (
		log2e = 1.4426950408889634
		ln2hi = 6.93147180369123816490e-01
		ln2lo = 1.90821492927058770002e-10
		shift = 6755399441055744.0 // 1.5·2⁵²: adding it rounds to an integer
	)
	if x < -708 {
		x = -708
	}
	if x > 709 {
		x = 709
	}
	kf := x*log2e + shift
	k := int64(math.Float64bits(kf)) - int64(math.Float64bits(shift))
	kf -= shift
	r := x - kf*ln2hi - kf*ln2lo // |r| ≤ ln2/2
	r2 := r * r
	r4 := r2 * r2
	p03 := 1 + r + r2*(1.0/2+r*(1.0/6))
	p47 := 1.0/24 + r*(1.0/120) + r2*(1.0/720+r*(1.0/5040))
	p8b := 1.0/40320 + r*(1.0/362880) + r2*(1.0/3628800+r*(1.0/39916800))
	p := p03 + r4*(p47+r4*p8b)
	return p * math.Float64frombits(uint64(k+1023)<<52)
}
