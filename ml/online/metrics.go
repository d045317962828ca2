package online

import (
	"math"
	"sort"
)

// Metrics are prequential ("predict, then learn") scores: every row is
// scored by the model as it was just before learning that row, so they
// measure performance on unseen data without a holdout set.
type Metrics struct {
	// Rows is the number of rows learned since creation or ResetMetrics.
	Rows int64
	// LogLoss is the mean log loss over those rows (probabilities clipped
	// to [1e-15, 1-1e-15]); NaN if Rows is 0.
	LogLoss float64
	// Accuracy is the fraction of rows whose label was on the same side
	// of 0.5 as the prediction (p >= 0.5 predicts 1); NaN if Rows is 0.
	Accuracy float64
	// AUC is the area under the ROC curve over the last AUCRows rows (a
	// sliding window of Config.AUCWindow rows, exact within it, ties
	// counted as half). It is NaN until the window holds both classes.
	// The window keeps the cost bounded and lets the figure follow drift;
	// an exact AUC over an unbounded stream would need every score kept.
	AUC     float64
	AUCRows int
}

// prequential accumulates Metrics.
type prequential struct {
	rows    uint64
	lossSum float64
	correct uint64

	window int       // capacity of the AUC window
	scores []float64 // grows to window, then is a ring
	labels []bool
	next   int // once full, the index of the oldest entry
}

// logLoss is the log loss of probability p for a positive or negative row.
func logLoss(p float64, positive bool) float64 {
	p = max(1e-15, min(1-1e-15, p))
	if positive {
		return -math.Log(p)
	}
	return -math.Log1p(-p)
}

func (q *prequential) add(p float64, positive bool) {
	q.rows++
	q.lossSum += logLoss(p, positive)
	if (p >= 0.5) == positive {
		q.correct++
	}
	if len(q.scores) < q.window {
		q.scores = append(q.scores, p)
		q.labels = append(q.labels, positive)
		return
	}
	q.scores[q.next] = p
	q.labels[q.next] = positive
	q.next++
	if q.next == q.window {
		q.next = 0
	}
}

func (q *prequential) reset() {
	*q = prequential{window: q.window}
}

func (q *prequential) metrics() Metrics {
	m := Metrics{
		Rows:     int64(q.rows),
		LogLoss:  math.NaN(),
		Accuracy: math.NaN(),
		AUC:      AUC(q.scores, q.labels),
		AUCRows:  len(q.scores),
	}
	if q.rows > 0 {
		m.LogLoss = q.lossSum / float64(q.rows)
		m.Accuracy = float64(q.correct) / float64(q.rows)
	}
	return m
}

// chronological returns the AUC window oldest first.
func (q *prequential) chronological() ([]float64, []bool) {
	s := append(append([]float64(nil), q.scores[q.next:]...), q.scores[:q.next]...)
	l := append(append([]bool(nil), q.labels[q.next:]...), q.labels[:q.next]...)
	return s, l
}

// AUC returns the area under the ROC curve of scores against the labels
// (the Mann–Whitney statistic, ties counted as half), or NaN unless both
// classes are present. Scores must not be NaN. It panics if the slices differ in length.
func AUC(scores []float64, positive []bool) float64 {
	if len(scores) != len(positive) {
		panic("online: AUC of slices of different lengths")
	}
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return scores[order[a]] < scores[order[b]] })
	var rankSum float64 // sum of the positives' 1-based mid-ranks
	var pos int
	for i := 0; i < len(order); {
		j := i + 1
		for j < len(order) && scores[order[j]] == scores[order[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // mean of ranks i+1..j
		for _, o := range order[i:j] {
			if positive[o] {
				rankSum += mid
				pos++
			}
		}
		i = j
	}
	neg := len(scores) - pos
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	p := float64(pos)
	return (rankSum - p*(p+1)/2) / (p * float64(neg))
}
