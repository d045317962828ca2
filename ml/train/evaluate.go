package train

import (
	"math"
	"sort"

	"github.com/freshet/freshet/ml"
)

// Evaluate computes a version's validation metrics for its task from
// row-major scores (outputs per row) and labels.
func Evaluate(task ml.Task, scores []float64, outputs int, y []float64) map[string]float64 {
	out := map[string]float64{"rows": float64(len(y))}
	n := float64(len(y))
	if n == 0 {
		return out
	}
	switch task {
	case ml.TaskRegression:
		se := 0.0
		for i, v := range y {
			se += (scores[i] - v) * (scores[i] - v)
		}
		out[ml.MetricRMSE] = math.Sqrt(se / n)
	case ml.TaskMulticlass:
		ll, acc := 0.0, 0.0
		for i, c := range y {
			p := scores[i*outputs : (i+1)*outputs]
			ll -= math.Log(math.Max(p[int(c)], 1e-15))
			best := 0
			for k := range p {
				if p[k] > p[best] {
					best = k
				}
			}
			if best == int(c) {
				acc++
			}
		}
		out[ml.MetricLogLoss] = ll / n
		out[ml.MetricAccuracy] = acc / n
	default:
		ll, acc, tp, fp, fn := 0.0, 0.0, 0.0, 0.0, 0.0
		for i, v := range y {
			p := math.Min(math.Max(scores[i], 1e-15), 1-1e-15)
			ll -= v*math.Log(p) + (1-v)*math.Log(1-p)
			pred := 0.0
			if scores[i] >= 0.5 {
				pred = 1
			}
			if pred == v {
				acc++
			}
			switch {
			case pred == 1 && v == 1:
				tp++
			case pred == 1:
				fp++
			case v == 1:
				fn++
			}
		}
		if a := auc(scores, y); !math.IsNaN(a) { // one class only: no AUC
			out[ml.MetricAUC] = a
		}
		out[ml.MetricLogLoss] = ll / n
		out[ml.MetricAccuracy] = acc / n
		if tp > 0 {
			out[ml.MetricF1] = 2 * tp / (2*tp + fp + fn)
		} else {
			out[ml.MetricF1] = 0
		}
	}
	return out
}

// auc is the ROC AUC with ties counted half (the Mann-Whitney form).
func auc(scores, y []float64) float64 {
	idx := make([]int, len(y))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // average 1-based rank of the tie group
		for k := i; k < j; k++ {
			if y[idx[k]] == 1 {
				pos++
				rankSum += mid
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}
