package gbdt

import (
	"math"
	"slices"
)

// Decision-type bits of a split, as in LightGBM's text format.
const (
	// DecisionDefaultLeft sends missing values left.
	DecisionDefaultLeft = 1 << 1
	// DecisionMissingNaN marks NaN as the missing value (missing type 2 in
	// bits 2-3). The trainer writes it on every split.
	DecisionMissingNaN = 2 << 2
	// DecisionMissingZero marks zero (|x| ≤ 1e-35) as the missing value
	// (missing type 1), written by LightGBM only.
	DecisionMissingZero = 1 << 2

	missingTypeMask = 3 << 2
	zeroThreshold   = 1e-35
)

// Tree is one regression tree. Internal nodes are numbered from 0 (the
// root); a child index c < 0 refers to leaf ^c. A row goes left at node i
// when x[SplitFeature[i]] <= Threshold[i], and a missing value follows the
// default direction in DecisionType[i].
type Tree struct {
	SplitFeature []int
	Threshold    []float64
	DecisionType []uint32
	Left, Right  []int
	// SplitGain is the loss reduction of each split (XGBoost's scale).
	SplitGain []float64
	// LeafValue already includes the learning rate and, in the first tree
	// of each class, the base margin.
	LeafValue []float64
	// LeafWeight is the hessian sum and LeafCount the number of training
	// rows of each leaf.
	LeafWeight []float64
	LeafCount  []int
	// Shrinkage is the learning rate the tree was trained with (for the
	// record: LeafValue already includes it).
	Shrinkage float64
}

// NumLeaves returns the number of leaves.
func (t *Tree) NumLeaves() int { return len(t.LeafValue) }

// Leaf returns the index of the leaf row falls in.
func (t *Tree) Leaf(row []float64) int {
	if len(t.SplitFeature) == 0 {
		return 0
	}
	i := 0
	for {
		var c int
		if goesLeft(t.DecisionType[i], t.Threshold[i], row[t.SplitFeature[i]]) {
			c = t.Left[i]
		} else {
			c = t.Right[i]
		}
		if c < 0 {
			return ^c
		}
		i = c
	}
}

// goesLeft is leaves' numerical decision, missing types included.
func goesLeft(dt uint32, threshold, x float64) bool {
	switch dt & missingTypeMask {
	case DecisionMissingNaN:
		if x != x {
			return dt&DecisionDefaultLeft != 0
		}
	case DecisionMissingZero:
		if x != x {
			x = 0
		}
		if x > -zeroThreshold && x <= zeroThreshold {
			return dt&DecisionDefaultLeft != 0
		}
	default:
		if x != x {
			x = 0
		}
	}
	return x <= threshold
}

// Model is a trained ensemble. Trees are stored round by round; in a
// multiclass model tree i belongs to class i % NumClass.
type Model struct {
	// Objective is Binary, Multiclass or Regression.
	Objective string
	// NumClass is the number of outputs per row: the class count for
	// Multiclass, else 1.
	NumClass int
	// NumFeature is the number of features a row must have.
	NumFeature int
	// FeatureNames, if set, name the features in the model text.
	FeatureNames []string
	Trees        []Tree
	// Info describes the Train or Continue call that produced the model;
	// it is not part of the model text.
	Info TrainInfo
}

// TrainInfo records a training call.
type TrainInfo struct {
	// Rounds is the number of rounds trained before stopping; Kept is the
	// number kept (the best validation round with early stopping, else
	// Rounds).
	Rounds, Kept int
	// ValidLoss[i] is the validation loss after i new rounds (index 0 is
	// the starting point); nil without a validation set. The loss is log
	// loss for Binary and Multiclass and RMSE for Regression.
	ValidLoss []float64
	// StartRounds is the number of rounds the model had before a Continue.
	StartRounds int
}

// Rounds returns the number of boosting rounds in the model.
func (m *Model) Rounds() int { return len(m.Trees) / max(1, m.NumClass) }

// PredictRaw returns the raw scores (margins) of a row: one per class for
// Multiclass, else one. row must hold NumFeature values (NaN for missing).
func (m *Model) PredictRaw(row []float64) []float64 {
	out := make([]float64, m.NumClass)
	m.predictRaw(row, out, len(m.Trees))
	return out
}

// PredictRawInto is PredictRaw into out (len NumClass), without
// allocating.
func (m *Model) PredictRawInto(row, out []float64) { m.predictRaw(row, out, len(m.Trees)) }

// Predict returns the probability of the positive class (Binary), the
// class probabilities (Multiclass) or the predicted value (Regression).
func (m *Model) Predict(row []float64) []float64 {
	out := m.PredictRaw(row)
	transform(m.Objective, out)
	return out
}

// predictRaw sums the first nTrees trees into out (len NumClass), in the
// same order as leaves so the sums agree bit for bit.
func (m *Model) predictRaw(row, out []float64, nTrees int) {
	clear(out)
	k := m.NumClass
	for i := range nTrees {
		t := &m.Trees[i]
		out[i%k] += t.LeafValue[t.Leaf(row)]
	}
}

// transform turns raw scores into predictions in place.
func transform(objective string, raw []float64) {
	switch objective {
	case Binary:
		raw[0] = sigmoid(raw[0])
	case Multiclass:
		softmax(raw)
	}
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// softmax works in place. It is leaves' formula (no max shift), so the two
// agree to the last bit on the same margins.
func softmax(v []float64) {
	sum := 0.0
	for i, x := range v {
		v[i] = math.Exp(x)
		sum += v[i]
	}
	if sum != 0 {
		inv := 1 / sum
		for i := range v {
			v[i] *= inv
		}
	}
}

// GainImportance returns, per feature, the total gain of the splits on it.
func (m *Model) GainImportance() []float64 {
	imp := make([]float64, m.NumFeature)
	for i := range m.Trees {
		t := &m.Trees[i]
		for j, f := range t.SplitFeature {
			if f < len(imp) {
				imp[f] += t.SplitGain[j]
			}
		}
	}
	return imp
}

// clone returns a deep copy of the model (trees share nothing).
func (m *Model) clone() *Model {
	c := *m
	c.FeatureNames = slices.Clone(m.FeatureNames)
	c.Trees = make([]Tree, len(m.Trees))
	for i := range m.Trees {
		t := m.Trees[i]
		c.Trees[i] = Tree{
			SplitFeature: slices.Clone(t.SplitFeature), Threshold: slices.Clone(t.Threshold),
			DecisionType: slices.Clone(t.DecisionType), Left: slices.Clone(t.Left), Right: slices.Clone(t.Right),
			SplitGain: slices.Clone(t.SplitGain), LeafValue: slices.Clone(t.LeafValue),
			LeafWeight: slices.Clone(t.LeafWeight), LeafCount: slices.Clone(t.LeafCount), Shrinkage: t.Shrinkage,
		}
	}
	c.Info = TrainInfo{}
	return &c
}
