package gbdt

import (
	"math"
	"runtime"

	"github.com/freshet/freshet/ml"
)

// Objective names accepted in Params.Objective and Model.Objective.
const (
	// Binary is logistic loss on labels in [0, 1]; predictions are
	// probabilities of the positive class.
	Binary = "binary"
	// Multiclass is softmax cross-entropy on labels 0..NumClass-1, one tree
	// per class per round; predictions are class probabilities.
	Multiclass = "multiclass"
	// Regression is squared error; predictions are raw values.
	Regression = "regression"
)

// MaxBinsLimit is the largest Params.MaxBins: value bins and the reserved
// missing-value bin must fit in a uint8.
const MaxBinsLimit = 255

// Params configures training. The zero value of a field means its default
// (XGBoost's where XGBoost has one); DefaultParams spells them out.
type Params struct {
	// Objective is Binary (the default), Multiclass or Regression.
	Objective string
	// NumClass is the number of classes for Multiclass (≥ 2); ignored
	// otherwise.
	NumClass int
	// Rounds is the number of boosting rounds (default 100).
	Rounds int
	// MaxDepth limits tree depth. 0 means 6 for depth-wise growth and no
	// limit for leaf-wise growth; a negative value means no limit.
	MaxDepth int
	// NumLeaves > 0 switches to leaf-wise growth (best gain first) with at
	// most this many leaves per tree.
	NumLeaves int
	// LearningRate shrinks every tree (default 0.1).
	LearningRate float64
	// MinChildWeight is the minimum hessian sum in a child (default 1; a
	// negative value means no limit).
	MinChildWeight float64
	// MinDataInLeaf is the minimum number of rows in a child (default 1).
	MinDataInLeaf int
	// Lambda is the L2 penalty on leaf weights (default 1; a negative value
	// means none).
	Lambda float64
	// MinSplitGain is the smallest loss reduction that makes a split
	// (default 1e-6, XGBoost's kRtEps; a negative value means any positive
	// gain). Gains are on XGBoost's scale, without the factor ½.
	MinSplitGain float64
	// Subsample is the fraction of rows sampled for each round (default 1).
	Subsample float64
	// ColSample is the fraction of features sampled for each tree
	// (default 1).
	ColSample float64
	// EarlyStoppingRounds > 0 stops training when the validation loss has
	// not improved for that many rounds and keeps the best round. It needs a
	// validation set.
	EarlyStoppingRounds int
	// Seed seeds row and feature sampling and the binning sample.
	Seed uint64
	// Threads is the number of goroutines (default GOMAXPROCS). It never
	// changes the model.
	Threads int
	// MaxBins is the number of value bins per feature, at most MaxBinsLimit
	// (default 255).
	MaxBins int
	// Progress, if set, is called after every round with the rounds done,
	// the rounds asked for and the validation loss (NaN without a
	// validation set). Returning false stops training after that round.
	Progress func(round, rounds int, validLoss float64) bool
}

// DefaultParams returns the defaults that Train applies to zero fields.
func DefaultParams() Params {
	return Params{
		Objective:      Binary,
		Rounds:         100,
		MaxDepth:       6,
		LearningRate:   0.1,
		MinChildWeight: 1,
		MinDataInLeaf:  1,
		Lambda:         1,
		MinSplitGain:   1e-6,
		Subsample:      1,
		ColSample:      1,
		Threads:        runtime.GOMAXPROCS(0),
		MaxBins:        MaxBinsLimit,
	}
}

// resolve applies defaults and checks ranges. Negative "none" values become
// 0 (or no limit).
func (p Params) resolve() (Params, error) {
	d := DefaultParams()
	if p.Objective == "" {
		p.Objective = d.Objective
	}
	switch p.Objective {
	case Binary, Regression:
		p.NumClass = 1
	case Multiclass:
		if p.NumClass < 2 {
			return p, ml.Errorf(ml.EINVALID, "gbdt: multiclass needs NumClass ≥ 2, got %d", p.NumClass)
		}
	default:
		return p, ml.Errorf(ml.EINVALID, "gbdt: unknown objective %q", p.Objective)
	}
	if p.Rounds == 0 {
		p.Rounds = d.Rounds
	}
	if p.Rounds < 0 {
		return p, ml.Errorf(ml.EINVALID, "gbdt: Rounds must be ≥ 0, got %d", p.Rounds)
	}
	if p.NumLeaves < 0 || p.NumLeaves == 1 {
		return p, ml.Errorf(ml.EINVALID, "gbdt: NumLeaves must be 0 or ≥ 2, got %d", p.NumLeaves)
	}
	switch {
	case p.MaxDepth == 0 && p.NumLeaves == 0:
		p.MaxDepth = d.MaxDepth
	case p.MaxDepth <= 0:
		p.MaxDepth = math.MaxInt32
	}
	if p.LearningRate == 0 {
		p.LearningRate = d.LearningRate
	}
	if !(p.LearningRate > 0) || math.IsInf(p.LearningRate, 0) {
		return p, ml.Errorf(ml.EINVALID, "gbdt: LearningRate must be > 0, got %v", p.LearningRate)
	}
	p.MinChildWeight = orDefault(p.MinChildWeight, d.MinChildWeight)
	p.Lambda = orDefault(p.Lambda, d.Lambda)
	p.MinSplitGain = orDefault(p.MinSplitGain, d.MinSplitGain)
	if p.MinDataInLeaf <= 0 {
		p.MinDataInLeaf = d.MinDataInLeaf
	}
	if p.Subsample == 0 {
		p.Subsample = d.Subsample
	}
	if !(p.Subsample > 0 && p.Subsample <= 1) {
		return p, ml.Errorf(ml.EINVALID, "gbdt: Subsample must be in (0, 1], got %v", p.Subsample)
	}
	if p.ColSample == 0 {
		p.ColSample = d.ColSample
	}
	if !(p.ColSample > 0 && p.ColSample <= 1) {
		return p, ml.Errorf(ml.EINVALID, "gbdt: ColSample must be in (0, 1], got %v", p.ColSample)
	}
	if p.EarlyStoppingRounds < 0 {
		return p, ml.Errorf(ml.EINVALID, "gbdt: EarlyStoppingRounds must be ≥ 0, got %d", p.EarlyStoppingRounds)
	}
	if p.Threads <= 0 {
		p.Threads = d.Threads
	}
	if p.MaxBins == 0 {
		p.MaxBins = d.MaxBins
	}
	if p.MaxBins < 2 || p.MaxBins > MaxBinsLimit {
		return p, ml.Errorf(ml.EINVALID, "gbdt: MaxBins must be in [2, %d], got %d", MaxBinsLimit, p.MaxBins)
	}
	for _, v := range []float64{p.MinChildWeight, p.Lambda, p.MinSplitGain} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return p, ml.Errorf(ml.EINVALID, "gbdt: parameters must be finite")
		}
	}
	return p, nil
}

// orDefault maps 0 to def and negative values to 0.
func orDefault(v, def float64) float64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}
