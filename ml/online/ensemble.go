package online

import (
	"fmt"
	"math"
)

// DefaultAlphas are the learning rates of an Ensemble's learners when
// EnsembleConfig.Alphas is empty.
var DefaultAlphas = []float64{0.01, 0.05, 0.2, 1}

// MaxLearners is the largest number of learners in an Ensemble.
const MaxLearners = 64

// EnsembleConfig configures an Ensemble.
type EnsembleConfig struct {
	// Base configures every learner; its Alpha is replaced by each of
	// Alphas in turn.
	Base Config
	// Alphas are the learners' learning rates (DefaultAlphas if empty).
	Alphas []float64
	// Eta is the Hedge learning rate (1 if zero). Learner k's weight is
	// proportional to exp(-Eta * L_k), L_k its (discounted) cumulative
	// prequential log loss. With Eta = 1 and predictions mixed as
	// probabilities, as here, the ensemble's cumulative log loss is at
	// most the best learner's plus ln(len(Alphas)) (Vovk's aggregating
	// algorithm; log loss is 1-exp-concave). Smaller Eta moves the weights
	// more slowly.
	Eta float64
	// Discount, in (0, 1], multiplies every L_k before each row's loss is
	// added, so old losses fade and the weights can follow a change in
	// which learner is best. 0 means 1: plain Hedge on cumulative loss.
	Discount float64
}

// Ensemble runs FTRL learners with different learning rates side by side
// and predicts their Hedge-weighted mean probability. Like Model it is not
// safe for concurrent use.
type Ensemble struct {
	eta      float64
	discount float64
	learners []*Model
	loss     []float64 // L_k
	pq       prequential
	scratch  []float64
}

// NewEnsemble returns an untrained ensemble with equal weights.
func NewEnsemble(cfg EnsembleConfig) (*Ensemble, error) {
	alphas := cfg.Alphas
	if len(alphas) == 0 {
		alphas = DefaultAlphas
	}
	if len(alphas) > MaxLearners {
		return nil, fmt.Errorf("%w: %d learners, at most %d", errConfig, len(alphas), MaxLearners)
	}
	e := &Ensemble{eta: cfg.Eta, discount: cfg.Discount}
	if e.eta == 0 {
		e.eta = 1
	}
	if e.discount == 0 {
		e.discount = 1
	}
	if err := validateHedge(e.eta, e.discount); err != nil {
		return nil, err
	}
	for _, a := range alphas {
		c := cfg.Base
		c.Alpha = a
		if a == 0 {
			return nil, fmt.Errorf("%w: alpha 0 in ensemble", errConfig)
		}
		m, err := New(c)
		if err != nil {
			return nil, err
		}
		e.learners = append(e.learners, m)
	}
	e.init()
	return e, nil
}

func validateHedge(eta, discount float64) error {
	if !(eta > 0) || math.IsInf(eta, 0) {
		return fmt.Errorf("%w: eta = %v, want a finite number > 0", errConfig, eta)
	}
	if !(discount > 0 && discount <= 1) {
		return fmt.Errorf("%w: discount = %v, want (0, 1]", errConfig, discount)
	}
	return nil
}

// init sizes the per-learner slices and the ensemble's metrics from the
// first learner.
func (e *Ensemble) init() {
	if e.loss == nil {
		e.loss = make([]float64, len(e.learners))
	}
	e.scratch = make([]float64, len(e.learners))
	e.pq.window = e.learners[0].cfg.AUCWindow
}

// weights writes the Hedge weights into dst, using a shifted exponent so
// large losses cannot underflow every weight to zero.
func (e *Ensemble) weights(dst []float64) {
	best := math.Inf(1)
	for _, l := range e.loss {
		best = min(best, l)
	}
	var sum float64
	for k, l := range e.loss {
		dst[k] = math.Exp(-e.eta * (l - best))
		sum += dst[k]
	}
	for k := range dst {
		dst[k] /= sum
	}
}

// Weights returns the learners' current Hedge weights, in the order of
// Alphas; they sum to 1.
func (e *Ensemble) Weights() []float64 {
	w := make([]float64, len(e.learners))
	e.weights(w)
	return w
}

// Losses returns each learner's (discounted) cumulative prequential log
// loss, the L_k the weights are computed from.
func (e *Ensemble) Losses() []float64 { return append([]float64(nil), e.loss...) }

// Alphas returns the learners' learning rates.
func (e *Ensemble) Alphas() []float64 {
	a := make([]float64, len(e.learners))
	for k, m := range e.learners {
		a[k] = m.cfg.Alpha
	}
	return a
}

// Learner returns learner k, for inspection (its Metrics and
// Coefficients). Learning through it desynchronises the ensemble.
func (e *Ensemble) Learner(k int) *Model { return e.learners[k] }

// PredictOne returns the weighted mean of the learners' probabilities. It
// panics if len(x) is wrong, like Model.PredictOne.
func (e *Ensemble) PredictOne(x []float64) float64 {
	var buf [MaxLearners]float64
	ps := buf[:len(e.learners)]
	for k, m := range e.learners {
		ps[k] = m.PredictOne(x)
	}
	return e.mix(ps)
}

// mix returns the Hedge-weighted mean of the learners' probabilities ps.
func (e *Ensemble) mix(ps []float64) float64 {
	best := math.Inf(1)
	for _, l := range e.loss {
		best = min(best, l)
	}
	var num, den float64
	for k, l := range e.loss {
		v := math.Exp(-e.eta * (l - best))
		num += v * ps[k]
		den += v
	}
	return num / den
}

// LearnOne scores x with the current weights (recorded in the ensemble's
// prequential metrics), then charges each learner its own prequential log
// loss and lets every learner learn the row.
func (e *Ensemble) LearnOne(x []float64, y float64) error {
	if y != 0 && y != 1 {
		return fmt.Errorf("online: label %v, want 0 or 1", y)
	}
	e.learners[0].checkRow(x)
	e.learn(x, y)
	return nil
}

// LearnBatch calls LearnOne for each row in order; on a bad row or label
// it returns an error before learning anything.
func (e *Ensemble) LearnBatch(xs [][]float64, ys []float64) error {
	if err := checkBatch(xs, ys, len(e.learners[0].slot)); err != nil {
		return err
	}
	for i, x := range xs {
		e.learn(x, ys[i])
	}
	return nil
}

func (e *Ensemble) learn(x []float64, y float64) {
	positive := y == 1
	ps := e.scratch
	for k, m := range e.learners {
		ps[k] = m.learn(x, y)
		m.pq.add(ps[k], positive)
	}
	e.pq.add(e.mix(ps), positive)
	for k, p := range ps {
		e.loss[k] = e.discount*e.loss[k] + logLoss(p, positive)
	}
}

// Metrics returns the ensemble's own prequential metrics.
func (e *Ensemble) Metrics() Metrics { return e.pq.metrics() }

// ResetMetrics clears the prequential metrics of the ensemble and its
// learners; the weights and what was learned stay.
func (e *Ensemble) ResetMetrics() {
	e.pq.reset()
	for _, m := range e.learners {
		m.pq.reset()
	}
}
