package metrics

import (
	"errors"
	"math"
	"slices"
	"sync"
)

// Errors for inputs the metrics cannot score.
var (
	ErrLength   = errors.New("metrics: labels, predictions and weights differ in length")
	ErrEmpty    = errors.New("metrics: no rows")
	ErrLabel    = errors.New("metrics: label is neither 0 nor 1")
	ErrNaN      = errors.New("metrics: prediction is NaN")
	ErrOneClass = errors.New("metrics: AUC needs both classes")
	ErrWeight   = errors.New("metrics: weight is negative or NaN")
)

// check validates binary labels y (0 or 1), predictions p and optional
// weights w (nil means 1 for every row).
func check(y, p, w []float64) error {
	if len(y) != len(p) || (w != nil && len(w) != len(y)) {
		return ErrLength
	}
	if len(y) == 0 {
		return ErrEmpty
	}
	for i, v := range y {
		if v != 0 && v != 1 {
			return ErrLabel
		}
		if p[i] != p[i] {
			return ErrNaN
		}
		if w != nil && !(w[i] >= 0) {
			return ErrWeight
		}
	}
	return nil
}

func weight(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

// AUC is the area under the ROC curve of scores against binary labels y
// (1 = positive), with ties handled as sklearn.metrics.roc_auc_score does.
// w, if not nil, weights the rows (sample_weight).
func AUC(y, score, w []float64) (float64, error) {
	if err := check(y, score, w); err != nil {
		return 0, err
	}
	if w != nil {
		return aucWeighted(y, score, w)
	}
	if slices.IsSorted(score) {
		return aucSorted(y, score)
	}
	var np int
	for _, v := range y {
		if v == 1 {
			np++
		}
	}
	nn := len(y) - np
	if np == 0 || nn == 0 {
		return math.NaN(), ErrOneClass
	}
	pos := make([]uint64, 0, np)
	neg := make([]uint64, 0, nn)
	for i, v := range y {
		if v == 1 {
			pos = append(pos, floatKey(score[i]))
		} else {
			neg = append(neg, floatKey(score[i]))
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { sortKeys(pos) })
	sortKeys(neg)
	wg.Wait()
	// U2 = Σ_pos 2·#(neg < s) + #(neg == s), exact in integers.
	var u2 uint64
	j := 0
	for i := 0; i < len(pos); {
		s := pos[i]
		k := i
		for k < len(pos) && pos[k] == s {
			k++
		}
		for j < len(neg) && neg[j] < s {
			j++
		}
		e := j
		for e < len(neg) && neg[e] == s {
			e++
		}
		u2 += uint64(k-i) * uint64(2*j+(e-j))
		i = k
	}
	return float64(u2) / (2 * float64(np) * float64(nn)), nil
}

// aucSorted handles scores already in ascending order in one pass.
func aucSorted(y, score []float64) (float64, error) {
	var u2 uint64
	var np, negBelow int
	for i := 0; i < len(score); {
		k := i
		var pg, ng int
		for k < len(score) && score[k] == score[i] {
			if y[k] == 1 {
				pg++
			} else {
				ng++
			}
			k++
		}
		u2 += uint64(pg) * uint64(2*negBelow+ng)
		np += pg
		negBelow += ng
		i = k
	}
	if np == 0 || negBelow == 0 {
		return math.NaN(), ErrOneClass
	}
	return float64(u2) / (2 * float64(np) * float64(negBelow)), nil
}

func aucWeighted(y, score, w []float64) (float64, error) {
	type row struct {
		k   uint64
		w   float64
		pos bool
	}
	rows := make([]row, len(y))
	for i := range y {
		rows[i] = row{floatKey(score[i]), w[i], y[i] == 1}
	}
	slices.SortFunc(rows, func(a, b row) int {
		switch {
		case a.k < b.k:
			return -1
		case a.k > b.k:
			return 1
		}
		return 0
	})
	var u2, wp, wnBelow float64
	for i := 0; i < len(rows); {
		k := i
		var pg, ng float64
		for k < len(rows) && rows[k].k == rows[i].k {
			if rows[k].pos {
				pg += rows[k].w
			} else {
				ng += rows[k].w
			}
			k++
		}
		u2 += pg * (2*wnBelow + ng)
		wp += pg
		wnBelow += ng
		i = k
	}
	if wp == 0 || wnBelow == 0 {
		return math.NaN(), ErrOneClass
	}
	return u2 / (2 * wp * wnBelow), nil
}

// logLossEps is sklearn 1.2's eps="auto" for float64: machine epsilon.
const logLossEps = 2.220446049250313e-16

// LogLoss is the binary cross-entropy of probabilities p, as
// sklearn.metrics.log_loss: p is clipped to [eps, 1-eps] and the pair
// (1-p, p) renormalised before taking logs.
func LogLoss(y, p, w []float64) (float64, error) {
	if err := check(y, p, w); err != nil {
		return 0, err
	}
	var sum, wsum float64
	for i, v := range y {
		q := min(max(p[i], logLossEps), 1-logLossEps)
		one, zero := q, 1-q
		s := zero + one
		var loss float64
		if v == 1 {
			loss = -math.Log(one / s)
		} else {
			loss = -math.Log(zero / s)
		}
		wi := weight(w, i)
		sum += loss * wi
		wsum += wi
	}
	return sum / wsum, nil
}

// confusion returns the weighted confusion counts at p >= 0.5.
func confusion(y, p, w []float64) (tp, fp, tn, fn float64) {
	for i, v := range y {
		wi := weight(w, i)
		pred := p[i] >= 0.5
		switch {
		case pred && v == 1:
			tp += wi
		case pred:
			fp += wi
		case v == 1:
			fn += wi
		default:
			tn += wi
		}
	}
	return
}

// Accuracy is the (weighted) share of rows whose prediction p >= 0.5
// matches the label.
func Accuracy(y, p, w []float64) (float64, error) {
	if err := check(y, p, w); err != nil {
		return 0, err
	}
	tp, fp, tn, fn := confusion(y, p, w)
	return (tp + tn) / (tp + fp + tn + fn), nil
}

// F1 is the (weighted) F1 score of the positive class at p >= 0.5,
// 2TP/(2TP+FP+FN); 0 when there are no positives at all, as sklearn's
// zero_division default.
func F1(y, p, w []float64) (float64, error) {
	if err := check(y, p, w); err != nil {
		return 0, err
	}
	tp, fp, _, fn := confusion(y, p, w)
	if d := 2*tp + fp + fn; d > 0 {
		return 2 * tp / d, nil
	}
	return 0, nil
}

// Brier is the (weighted) mean squared difference between probability p
// and binary label y, as sklearn.metrics.brier_score_loss.
func Brier(y, p, w []float64) (float64, error) {
	if err := check(y, p, w); err != nil {
		return 0, err
	}
	return meanSq(y, p, w), nil
}

// RMSE is the (weighted) root mean squared error of a regression.
func RMSE(y, p, w []float64) (float64, error) {
	if len(y) != len(p) || (w != nil && len(w) != len(y)) {
		return 0, ErrLength
	}
	if len(y) == 0 {
		return 0, ErrEmpty
	}
	return math.Sqrt(meanSq(y, p, w)), nil
}

func meanSq(y, p, w []float64) float64 {
	var s, ws float64
	for i := range y {
		d := y[i] - p[i]
		wi := weight(w, i)
		s += d * d * wi
		ws += wi
	}
	return s / ws
}
