package sampling

import "math"

// probs calls fn with each row's class probabilities.
func (p Pool) probs(fn func(i int, pr []float64)) {
	if k := p.classes(); k > 1 {
		for i := 0; i+k <= len(p.Scores); i += k {
			fn(i/k, p.Scores[i:i+k])
		}
		return
	}
	var pr [2]float64
	for i, s := range p.Scores {
		pr[0], pr[1] = 1-s, s
		fn(i, pr[:])
	}
}

// LeastConfidence returns 1 − max_y P(y|x) per row of p: 0 for a sure
// row, up to 1 − 1/K when every class is equally likely.
func LeastConfidence(p Pool) []float64 {
	out := make([]float64, len(p.Scores)/p.classes())
	p.probs(func(i int, pr []float64) {
		best := 0.0
		for _, v := range pr {
			best = max(best, v)
		}
		out[i] = 1 - best
	})
	return out
}

// Margin returns 1 − (P(y₁|x) − P(y₂|x)) per row of p, y₁ and y₂ the two
// most likely classes: 0 for a sure row, 1 when the top two tie. For a
// binary model it is 1 − |2·P(1) − 1|.
func Margin(p Pool) []float64 {
	out := make([]float64, len(p.Scores)/p.classes())
	p.probs(func(i int, pr []float64) {
		a, b := 0.0, 0.0 // the largest and second largest
		for _, v := range pr {
			switch {
			case v > a:
				a, b = v, a
			case v > b:
				b = v
			}
		}
		out[i] = 1 - (a - b)
	})
	return out
}

// Entropy returns the entropy of each row's class distribution divided by
// log K, so it lies in [0, 1]: 0 for a sure row, 1 when every class is
// equally likely (for a binary model, the entropy in bits).
func Entropy(p Pool) []float64 {
	out := make([]float64, len(p.Scores)/p.classes())
	p.probs(func(i int, pr []float64) {
		h := 0.0
		for _, v := range pr {
			if v > 0 {
				h -= v * math.Log(v)
			}
		}
		out[i] = h / math.Log(float64(len(pr)))
	})
	return out
}

// CommitteeVariance returns, per row, the variance (over members, divided
// by the number of members) of the members' P(1): 0 when the committee
// agrees, up to 0.25 when it splits evenly between 0 and 1. members[k][i]
// is member k's score for row i; all members must score the same rows.
func CommitteeVariance(members [][]float64) []float64 {
	if len(members) == 0 {
		return nil
	}
	out := make([]float64, len(members[0]))
	m := float64(len(members))
	for i := range out {
		mean := 0.0
		for _, s := range members {
			mean += s[i]
		}
		mean /= m
		v := 0.0
		for _, s := range members {
			d := s[i] - mean
			v += d * d
		}
		out[i] = v / m
	}
	return out
}
