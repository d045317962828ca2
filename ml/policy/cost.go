package policy

import (
	"fmt"
	"math"

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
		if costGroup(p.Strategy) != strategy || p.Rows <= 0 || p.Rounds <= 0 || p.CPUSeconds < 0 || math.IsNaN(p.CPUSeconds) || math.IsInf(p.CPUSeconds, 0) {
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

// jobSize is the rows×rounds Evaluate predicts for strategy.
func jobSize(cfg ml.PolicyConfig, s State, strategy string) float64 {
	switch strategy {
	case ml.StrategyWarmStart:
		rows := s.TrainRows / 4
		if s.WarmRows > 0 {
			rows = s.WarmRows
			if s.TrainRows > 0 {
				rows = min(rows, s.TrainRows)
			}
		}
		return float64(rows) * float64(cfg.WarmRounds)
	case ml.StrategyOnline:
		return float64(cfg.OnlineEvery)
	}
	rounds := s.FullRounds
	if rounds <= 0 {
		rounds = DefaultFullRounds
	}
	return float64(s.TrainRows) * float64(rounds)
}

// estimate is the predicted cost of the next job of strategy.
func estimate(cfg ml.PolicyConfig, s State, strategy string) CostEstimate {
	return FitCost(s.Costs, strategy).Predict(jobSize(cfg, s, strategy))
}
