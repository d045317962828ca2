package gate

import (
	"math"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/metrics"
)

// MetricMAE is the mean absolute error, reported for regression next to
// ml.MetricRMSE.
const MetricMAE = "mae"

// MetricBrier is the Brier score, reported for binary models.
const MetricBrier = "brier"

// LowerIsBetter reports whether metric is a loss: logloss, rmse, mae and
// brier.
func LowerIsBetter(metric string) bool {
	switch metric {
	case ml.MetricLogLoss, ml.MetricRMSE, MetricMAE, MetricBrier:
		return true
	}
	return false
}

// sense is +1 for metrics where higher is better and −1 for losses, so
// that sense·(challenger − champion) is an improvement.
func sense(metric string) float64 {
	if LowerIsBetter(metric) {
		return -1
	}
	return 1
}

// scorer holds one task's labels and computes metrics over scores.
type scorer struct {
	task    ml.Task
	classes int // multiclass only
	y       []float64
}

// width is the number of scores per row.
func (sc scorer) width() int {
	if sc.task == ml.TaskMulticlass {
		return sc.classes
	}
	return 1
}

// all returns every metric of the task for scores s; a binary AUC is left
// out when the rows hold one class.
func (sc scorer) all(s []float64) map[string]float64 {
	out := map[string]float64{}
	switch sc.task {
	case ml.TaskBinary:
		if v, err := metrics.AUC(sc.y, s, nil); err == nil {
			out[ml.MetricAUC] = v
		}
		out[ml.MetricAccuracy], _ = metrics.Accuracy(sc.y, s, nil)
		out[ml.MetricLogLoss], _ = metrics.LogLoss(sc.y, s, nil)
		out[ml.MetricF1], _ = metrics.F1(sc.y, s, nil)
		out[MetricBrier], _ = metrics.Brier(sc.y, s, nil)
	case ml.TaskMulticlass:
		out[ml.MetricAccuracy] = multiAccuracy(sc.y, s, sc.classes, nil)
		out[ml.MetricLogLoss] = multiLogLoss(sc.y, s, sc.classes, nil)
	case ml.TaskRegression:
		out[ml.MetricRMSE], _ = metrics.RMSE(sc.y, s, nil)
		out[MetricMAE] = mae(sc.y, s, nil)
	}
	return out
}

// one returns a single metric of scores s (NaN when it is undefined, as
// an AUC on one class).
func (sc scorer) one(metric string, s []float64) float64 {
	var v float64
	var err error
	switch {
	case sc.task == ml.TaskMulticlass && metric == ml.MetricAccuracy:
		return multiAccuracy(sc.y, s, sc.classes, nil)
	case sc.task == ml.TaskMulticlass && metric == ml.MetricLogLoss:
		return multiLogLoss(sc.y, s, sc.classes, nil)
	case metric == ml.MetricAUC:
		v, err = metrics.AUC(sc.y, s, nil)
	case metric == ml.MetricAccuracy:
		v, err = metrics.Accuracy(sc.y, s, nil)
	case metric == ml.MetricLogLoss:
		v, err = metrics.LogLoss(sc.y, s, nil)
	case metric == ml.MetricF1:
		v, err = metrics.F1(sc.y, s, nil)
	case metric == MetricBrier:
		v, err = metrics.Brier(sc.y, s, nil)
	case metric == ml.MetricRMSE:
		v, err = metrics.RMSE(sc.y, s, nil)
	case metric == MetricMAE:
		return mae(sc.y, s, nil)
	default:
		return math.NaN()
	}
	if err != nil {
		return math.NaN()
	}
	return v
}

// correct returns, per row, whether scores s classify it right: p >= 0.5
// for binary (as ml/metrics), the first largest probability for
// multiclass (as numpy.argmax).
func (sc scorer) correct(s []float64) []bool {
	out := make([]bool, len(sc.y))
	for i, v := range sc.y {
		if sc.task == ml.TaskMulticlass {
			out[i] = argmax(s[i*sc.classes:(i+1)*sc.classes]) == int(v)
		} else {
			out[i] = (s[i] >= 0.5) == (v == 1)
		}
	}
	return out
}

// logLossEps is sklearn 1.2's eps="auto" for float64, as ml/metrics.
const logLossEps = 2.220446049250313e-16

// rowLoss returns each row's log loss, exactly as ml/metrics.LogLoss
// (binary) or sklearn.metrics.log_loss (multiclass: probabilities clipped
// to [eps, 1−eps] and each row renormalised) computes it.
func (sc scorer) rowLoss(s []float64) []float64 {
	out := make([]float64, len(sc.y))
	for i, v := range sc.y {
		if sc.task == ml.TaskMulticlass {
			out[i] = multiRowLoss(s[i*sc.classes:(i+1)*sc.classes], int(v))
			continue
		}
		q := min(max(s[i], logLossEps), 1-logLossEps)
		one, zero := q, 1-q
		t := zero + one
		if v == 1 {
			out[i] = -math.Log(one / t)
		} else {
			out[i] = -math.Log(zero / t)
		}
	}
	return out
}

func multiRowLoss(p []float64, label int) float64 {
	var sum float64
	for _, q := range p {
		sum += min(max(q, logLossEps), 1-logLossEps)
	}
	q := min(max(p[label], logLossEps), 1-logLossEps)
	return -math.Log(q / sum)
}

func argmax(p []float64) int {
	best := 0
	for k, q := range p {
		if q > p[best] {
			best = k
		}
	}
	return best
}

// multiAccuracy is the (weighted) share of rows whose first largest
// probability is the label, as sklearn's accuracy_score of argmax.
func multiAccuracy(y, p []float64, k int, w []float64) float64 {
	var hit, tot float64
	for i, v := range y {
		wi := weightAt(w, i)
		if argmax(p[i*k:(i+1)*k]) == int(v) {
			hit += wi
		}
		tot += wi
	}
	return hit / tot
}

// multiLogLoss is sklearn.metrics.log_loss for probabilities p, k per
// row, against class indices y.
func multiLogLoss(y, p []float64, k int, w []float64) float64 {
	var sum, tot float64
	for i, v := range y {
		wi := weightAt(w, i)
		sum += wi * multiRowLoss(p[i*k:(i+1)*k], int(v))
		tot += wi
	}
	return sum / tot
}

// mae is the (weighted) mean absolute error, as
// sklearn.metrics.mean_absolute_error.
func mae(y, p, w []float64) float64 {
	var sum, tot float64
	for i := range y {
		wi := weightAt(w, i)
		sum += wi * math.Abs(y[i]-p[i])
		tot += wi
	}
	return sum / tot
}

func weightAt(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

// sumStat is a metric difference that is a function of a few weighted
// sums over rows: row i adds w_i·x[i·k : (i+1)·k] to the sums and w_i to
// the count, and the difference is f of the totals. Accuracy, log loss,
// RMSE and F1 all take this form, which lets one bootstrap draw serve the
// whole holdout and every slice of it.
type sumStat struct {
	k int
	x []float64
	f func(sums []float64, count float64) float64
}

// newSumStat returns the improvement of challenger over champion in
// metric (challenger − champion, or champion − challenger for a loss) in
// sum form. It returns false for AUC, which has none.
func (sc scorer) newSumStat(metric string, champ, chal []float64) (sumStat, bool) {
	n := len(sc.y)
	mean := func(s []float64, c float64) float64 { return s[0] / c }
	switch metric {
	case ml.MetricAccuracy:
		cc, ch := sc.correct(champ), sc.correct(chal)
		x := make([]float64, n)
		for i := range x {
			x[i] = b2f(ch[i]) - b2f(cc[i])
		}
		return sumStat{1, x, mean}, true
	case ml.MetricLogLoss:
		lc, lh := sc.rowLoss(champ), sc.rowLoss(chal)
		for i := range lc {
			lc[i] -= lh[i]
		}
		return sumStat{1, lc, mean}, true
	case ml.MetricRMSE:
		x := make([]float64, 0, 2*n)
		for i, v := range sc.y {
			dc, dh := v-champ[i], v-chal[i]
			x = append(x, dc*dc, dh*dh)
		}
		return sumStat{2, x, func(s []float64, c float64) float64 { return math.Sqrt(s[0]/c) - math.Sqrt(s[1]/c) }}, true
	case ml.MetricF1:
		x := make([]float64, 0, 6*n)
		for i, v := range sc.y {
			for _, s := range [][]float64{champ, chal} {
				pred, pos := s[i] >= 0.5, v == 1
				x = append(x, b2f(pred && pos), b2f(pred && !pos), b2f(!pred && pos))
			}
		}
		f1 := func(tp, fp, fn float64) float64 {
			if d := 2*tp + fp + fn; d > 0 {
				return 2 * tp / d
			}
			return 0
		}
		return sumStat{6, x, func(s []float64, _ float64) float64 { return f1(s[3], s[4], s[5]) - f1(s[0], s[1], s[2]) }}, true
	}
	return sumStat{}, false
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
