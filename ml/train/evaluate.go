package train

import (
	"math"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/metrics"
)

// Evaluate computes a version's validation metrics for its task from
// row-major scores (outputs per row) and labels. A metric that is not
// defined on the data (AUC with one class) is left out.
func Evaluate(task ml.Task, scores []float64, outputs int, y []float64) map[string]float64 {
	out := map[string]float64{"rows": float64(len(y))}
	if len(y) == 0 {
		return out
	}
	put := func(name string, v float64, err error) {
		if err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[name] = v
		}
	}
	switch task {
	case ml.TaskRegression:
		v, err := metrics.RMSE(y, scores, nil)
		put(ml.MetricRMSE, v, err)
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
		out[ml.MetricLogLoss] = ll / float64(len(y))
		out[ml.MetricAccuracy] = acc / float64(len(y))
	default:
		v, err := metrics.AUC(y, scores, nil)
		put(ml.MetricAUC, v, err)
		v, err = metrics.LogLoss(y, scores, nil)
		put(ml.MetricLogLoss, v, err)
		v, err = metrics.Accuracy(y, scores, nil)
		put(ml.MetricAccuracy, v, err)
		v, err = metrics.F1(y, scores, nil)
		put(ml.MetricF1, v, err)
	}
	return out
}
