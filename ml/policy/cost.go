package policy

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"

	"github.com/freshet/freshet/ml"
)

// Cost model defaults, used when a model has no past job of a strategy.
const (
	// DefaultCostIntercept is the default fixed CPU-seconds of a job.
	DefaultCostIntercept = 0.05
	// DefaultCostSlope is the default CPU-seconds per row×round.
	DefaultCostSlope = 1.5e-6
	// DefaultFullRounds is the rounds of a full retrain when
	// State.FullRounds is 0.
	DefaultFullRounds = 100
	// MaxCostPoints is how many of the newest past jobs FitCost uses.
	MaxCostPoints = 30
)

// How a CostModel was obtained.
const (
	CostDefault = "default" // no past job: DefaultCostIntercept + DefaultCostSlope
	CostScaled  = "scaled"  // one past job, scaled proportionally
	CostFit     = "fit"     // least squares a + b·x with a, b ≥ 0
	CostRatio   = "ratio"   // the free fit's slope was negative: mean(cpu)/mean(x)
	CostOrigin  = "origin"  // the free fit's intercept was negative: refit through 0
)

// CostPoint is one finished training job: its strategy, the rows it
// trained on, the rounds (trees) it trained and the CPU-seconds it used.
type CostPoint struct {
	Strategy   string
	Rows       int
	Rounds     int
	CPUSeconds float64
}

// usable is whether a point can be fitted on: it trained something and
// its CPU time is a real, non-negative number.
func (p CostPoint) usable() bool {
	return p.Rows > 0 && p.Rounds > 0 && p.CPUSeconds >= 0 && !math.IsNaN(p.CPUSeconds) && !math.IsInf(p.CPUSeconds, 0)
}

// CostEstimate is the predicted CPU-seconds of a job, with a band and the
// words saying where the numbers come from.
type CostEstimate struct {
	CPUSeconds float64
	Low, High  float64
	// Basis is e.g. "fit over 7 past jobs: 0.31 s + 2.1 µs × rows×rounds"
	// or "default: no past jobs, 0.05 s + 1.5 µs × rows×rounds".
	Basis string
	// RowsXRounds is the job size the estimate is for.
	RowsXRounds float64
}

// CostModel predicts a job's CPU-seconds from its rows×rounds:
// Intercept + Slope·rows×rounds.
type CostModel struct {
	// Strategy is the group the model was fitted on: full, warm_start or
	// online.
	Strategy  string
	Intercept float64 // CPU-seconds
	Slope     float64 // CPU-seconds per row×round
	// N is how many past jobs were used.
	N int
	// Method is CostDefault, CostScaled, CostFit, CostRatio or CostOrigin.
	Method string
	// ResidualSD is the residuals' standard deviation (NaN when the fit
	// leaves no degree of freedom).
	ResidualSD float64
	Basis      string
}

// costGroup is the group a job's strategy belongs to; a job without a
// strategy counts as a full retrain.
func costGroup(strategy string) string {
	if strategy == "" || strategy == ml.StrategyAuto {
		return ml.StrategyFull
	}
	return strategy
}

// FitCost fits the cost model of strategy over the newest MaxCostPoints
// valid points of that strategy (points are oldest first). Points with no
// rows or rounds, or with a negative or non-finite CPU time, are skipped.
// See the package documentation for the fallbacks that keep the
// intercept and slope non-negative.
func FitCost(points []CostPoint, strategy string) CostModel {
	strategy = costGroup(strategy)
	var xs, ys []float64
	for i := len(points) - 1; i >= 0 && len(xs) < MaxCostPoints; i-- {
		p := points[i]
		if costGroup(p.Strategy) != strategy || !p.usable() {
			continue
		}
		xs = append(xs, float64(p.Rows)*float64(p.Rounds))
		ys = append(ys, p.CPUSeconds)
	}
	m := CostModel{Strategy: strategy, N: len(xs), ResidualSD: math.NaN()}
	switch len(xs) {
	case 0:
		m.Intercept, m.Slope, m.Method = DefaultCostIntercept, DefaultCostSlope, CostDefault
		m.Basis = fmt.Sprintf("default: no past jobs, %s + %s × rows×rounds", seconds(m.Intercept), seconds(m.Slope))
		return m
	case 1:
		m.Slope, m.Method = ys[0]/xs[0], CostScaled
		m.Basis = fmt.Sprintf("scaled from 1 past job: %s CPU-s for %s rows×rounds", num(ys[0]), num(xs[0]))
		return m
	}
	params := 2
	_, xVar := stat.MeanVariance(xs, nil)
	a, b := math.NaN(), math.NaN()
	if xVar > 0 {
		a, b = stat.LinearRegression(xs, ys, nil, false)
	}
	switch {
	case !(b >= 0): // also NaN: every job had the same size
		m.Slope, m.Method, params = stat.Mean(ys, nil)/stat.Mean(xs, nil), CostRatio, 1
		m.Basis = fmt.Sprintf("ratio over %d past jobs: %s × rows×rounds", m.N, seconds(m.Slope))
	case a < 0:
		_, m.Slope = stat.LinearRegression(xs, ys, nil, true)
		m.Method, params = CostOrigin, 1
		m.Basis = fmt.Sprintf("fit through zero over %d past jobs: %s × rows×rounds", m.N, seconds(m.Slope))
	default:
		m.Intercept, m.Slope, m.Method = a, b, CostFit
		m.Basis = fmt.Sprintf("fit over %d past jobs: %s + %s × rows×rounds", m.N, seconds(a), seconds(b))
	}
	if dof := len(xs) - params; dof >= 1 {
		ss := 0.0
		for i, x := range xs {
			r := ys[i] - (m.Intercept + m.Slope*x)
			ss += r * r
		}
		m.ResidualSD = math.Sqrt(ss / float64(dof))
	}
	return m
}

// Predict is the cost of a job of rowsXrounds (negative counts as 0). The
// band is ±2 residual standard deviations, clamped at 0, or ×0.5 to ×2
// when the model has no residuals to go by (default, one past job, or a
// fit with as many parameters as points).
func (m CostModel) Predict(rowsXrounds float64) CostEstimate {
	x := math.Max(rowsXrounds, 0)
	cpu := m.Intercept + m.Slope*x
	e := CostEstimate{CPUSeconds: cpu, Basis: m.Basis, RowsXRounds: x}
	if math.IsNaN(m.ResidualSD) {
		e.Low, e.High = cpu*0.5, cpu*2
	} else {
		e.Low, e.High = math.Max(0, cpu-2*m.ResidualSD), cpu+2*m.ResidualSD
	}
	return e
}

// jobSize is the rows×rounds Evaluate predicts for strategy, and for a
// full retrain whose rounds come from past jobs, a note saying so.
func jobSize(cfg ml.PolicyConfig, s State, strategy string) (float64, string) {
	switch strategy {
	case ml.StrategyWarmStart:
		rows := s.TrainRows / 4
		if s.WarmRows > 0 {
			rows = s.WarmRows
			if s.TrainRows > 0 {
				rows = min(rows, s.TrainRows)
			}
		}
		return float64(rows) * float64(cfg.WarmRounds), ""
	case ml.StrategyOnline:
		return float64(cfg.OnlineEvery), ""
	}
	rounds, note := fullRounds(s)
	return float64(s.TrainRows) * float64(rounds), note
}

// fullRounds is the rounds the next full retrain is predicted to train.
// Without early stopping that is FullRounds. With it, FullRounds is only
// a cap: a retrain that stops after 7 of 100 rounds costs about a
// fourteenth of one that trains them all, and the cost model was fitted
// on the rounds past retrains recorded, so predicting at the cap would
// overstate the cost (and spend the budget) by as much. So the rounds are
// the median of what the newest past full retrains trained, at most the
// cap; FullRounds when there are none.
//
// The rounds a job records are the trees it kept; the ones it trained
// past the best round before stopping are in its CPU time, so the fitted
// slope carries them, as long as retrains stop at about the same point.
func fullRounds(s State) (int, string) {
	rounds := s.FullRounds
	if rounds <= 0 {
		rounds = DefaultFullRounds
	}
	if !s.EarlyStopping {
		return rounds, ""
	}
	var past []int
	for i := len(s.Costs) - 1; i >= 0 && len(past) < MaxCostPoints; i-- {
		if p := s.Costs[i]; costGroup(p.Strategy) == ml.StrategyFull && p.usable() {
			past = append(past, p.Rounds)
		}
	}
	if len(past) == 0 {
		return rounds, ""
	}
	slices.Sort(past)
	n := len(past)
	med := (past[(n-1)/2] + past[n/2] + 1) / 2
	from := "what the last full retrain trained"
	if n > 1 {
		from = fmt.Sprintf("the median of the last %d full retrains", n)
	}
	med = min(med, rounds)
	return med, fmt.Sprintf("%s rows × %s, %s (early stopping; at most %s)", integer(s.TrainRows), plural(med, "round", "rounds"), from, integer(rounds))
}

// estimate is the predicted cost of the next job of strategy.
func estimate(cfg ml.PolicyConfig, s State, strategy string) CostEstimate {
	size, note := jobSize(cfg, s, strategy)
	e := FitCost(s.Costs, strategy).Predict(size)
	if note != "" {
		e.Basis += "; for " + note
	}
	return e
}
