package gbdt

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/freshet/freshet/ml"
)

// Dataset is training or validation data.
type Dataset struct {
	// X is column-major: X[j][i] is feature j of row i. NaN marks a
	// missing value.
	X [][]float64
	// Y holds the labels: 0/1 (or a probability) for Binary, the class
	// 0..NumClass-1 for Multiclass, any finite value for Regression.
	Y []float64
	// Weight, if not nil, weighs each row (≥ 0).
	Weight []float64
	// Names, if set, name the features in the model.
	Names []string
	// StartScores, for Continue, are the start model's raw scores of
	// these rows (NumClass per row, row-major) when the caller already
	// has them; nil computes them. A warm start on rows the model has just
	// scored then costs only its new rounds.
	StartScores []float64
}

// Train fits a new model on train. With a validation set, the validation
// loss of every round is recorded in Model.Info, and with
// Params.EarlyStoppingRounds training stops early and keeps the best round.
func Train(train Dataset, valid *Dataset, p Params) (*Model, error) {
	m, _, err := fit(nil, train, valid, p)
	return m, err
}

// Continue returns a copy of m with up to p.Rounds more rounds trained on
// train, starting from m's raw scores on it (a warm start). p.Objective and
// p.NumClass may be left zero; otherwise they must match m. Only train (and
// valid) are binned, so the cost is proportional to their rows × rounds.
// With early stopping, the starting model itself counts as round 0, so
// Continue may add no tree at all if none improves the validation loss.
func Continue(m *Model, train Dataset, valid *Dataset, p Params) (*Model, error) {
	if m == nil {
		return nil, ml.Errorf(ml.EINVALID, "gbdt: no model to continue")
	}
	if p.Objective == "" {
		p.Objective = m.Objective
	}
	if p.Objective != m.Objective {
		return nil, ml.Errorf(ml.EINVALID, "gbdt: cannot continue a %s model as %s", m.Objective, p.Objective)
	}
	if p.Objective == Multiclass && p.NumClass == 0 {
		p.NumClass = m.NumClass
	}
	if p.Objective == Multiclass && p.NumClass != m.NumClass {
		return nil, ml.Errorf(ml.EINVALID, "gbdt: model has %d classes, params say %d", m.NumClass, p.NumClass)
	}
	if len(train.X) != m.NumFeature {
		return nil, ml.Errorf(ml.EINVALID, "gbdt: model has %d features, data has %d", m.NumFeature, len(train.X))
	}
	m, _, err := fit(m, train, valid, p)
	return m, err
}

// checkData validates a data set against the resolved params.
func checkData(name string, d *Dataset, p Params, nf int) (int, error) {
	if len(d.X) == 0 {
		return 0, ml.Errorf(ml.EINVALID, "gbdt: %s data has no features", name)
	}
	if nf >= 0 && len(d.X) != nf {
		return 0, ml.Errorf(ml.EINVALID, "gbdt: %s data has %d features, want %d", name, len(d.X), nf)
	}
	n := len(d.Y)
	if n == 0 {
		return 0, ml.Errorf(ml.EINVALID, "gbdt: %s data has no rows", name)
	}
	if n > math.MaxInt32 {
		return 0, ml.Errorf(ml.EINVALID, "gbdt: %s data has too many rows", name)
	}
	for j, col := range d.X {
		if len(col) != n {
			return 0, ml.Errorf(ml.EINVALID, "gbdt: %s feature %d has %d rows, labels have %d", name, j, len(col), n)
		}
	}
	if d.Weight != nil {
		if len(d.Weight) != n {
			return 0, ml.Errorf(ml.EINVALID, "gbdt: %s data has %d weights for %d rows", name, len(d.Weight), n)
		}
		for i, w := range d.Weight {
			if !(w >= 0) || math.IsInf(w, 0) {
				return 0, ml.Errorf(ml.EINVALID, "gbdt: %s weight %d is %v", name, i, w)
			}
		}
	}
	for i, y := range d.Y {
		ok := !math.IsNaN(y) && !math.IsInf(y, 0)
		switch p.Objective {
		case Binary:
			ok = ok && y >= 0 && y <= 1
		case Multiclass:
			ok = ok && y >= 0 && y < float64(p.NumClass) && y == math.Trunc(y)
		}
		if !ok {
			return 0, ml.Errorf(ml.EINVALID, "gbdt: %s label %d (%v) is not valid for %s", name, i, y, p.Objective)
		}
	}
	return n, nil
}

// fit trains a new model (start == nil) or continues start. It also
// returns the raw training scores it tracked (row-major, n×NumClass), for
// tests that check them against the model's own predictions.
func fit(start *Model, train Dataset, valid *Dataset, p Params) (*Model, []float64, error) {
	p, err := p.resolve()
	if err != nil {
		return nil, nil, err
	}
	n, err := checkData("training", &train, p, -1)
	if err != nil {
		return nil, nil, err
	}
	nf := len(train.X)
	nv := 0
	if valid != nil {
		if nv, err = checkData("validation", valid, p, nf); err != nil {
			return nil, nil, err
		}
	}
	if p.EarlyStoppingRounds > 0 && valid == nil {
		return nil, nil, ml.Errorf(ml.EINVALID, "gbdt: early stopping needs a validation set")
	}
	k := p.NumClass
	pl := newPool(p.Threads)
	defer pl.close()

	var m *Model
	scores := make([]float64, n*k)
	var vscores []float64
	var base []float64
	if nv > 0 {
		vscores = make([]float64, nv*k)
	}
	if start == nil {
		m = &Model{Objective: p.Objective, NumClass: k, NumFeature: nf, FeatureNames: slices.Clone(train.Names)}
		base = baseMargin(p.Objective, k, train.Y, train.Weight)
		for i := range n {
			copy(scores[i*k:], base)
		}
		// vscores stay 0: they sum the model's leaf values, base included
		// in the first trees, exactly as Model.PredictRaw does.
	} else {
		m = start.clone()
		m.Info.StartRounds = start.Rounds()
		if len(train.StartScores) == n*k {
			copy(scores, train.StartScores)
		} else {
			startScores(m, train.X, n, scores, pl)
		}
		if nv > 0 {
			startScores(m, valid.X, nv, vscores, pl)
		}
	}
	var vrows []float64 // validation rows, row-major
	if nv > 0 {
		vrows = rowMajor(valid.X, nv)
		start := vscores
		if base != nil {
			start = make([]float64, nv*k)
			for i := range nv {
				copy(start[i*k:], base)
			}
		}
		m.Info.ValidLoss = append(m.Info.ValidLoss, loss(p.Objective, k, start, valid.Y, valid.Weight))
	}

	b := binData(train.X, n, p.MaxBins, p.Seed, pl)
	g := newGrower(b, p, pl)
	rng := rand.New(rand.NewPCG(p.Seed, 0x67626474)) // "gbdt"
	gh := make([][]gpair, k)
	for c := range gh {
		gh[c] = make([]gpair, n)
	}
	var outOfSample []int
	best := 0 // index into ValidLoss of the best round so far
	startTrees := len(m.Trees)
	for round := 0; round < p.Rounds; round++ {
		gradients(p.Objective, k, scores, train.Y, train.Weight, gh, pl)
		outOfSample = g.sampleRows(rng, outOfSample[:0])
		for c := range k {
			g.gh = gh[c]
			g.sampleFeatures(rng)
			if c > 0 {
				g.resetRows(outOfSample)
			}
			g.grow()
			treeBase := 0.0
			if start == nil && round == 0 {
				treeBase = base[c]
			}
			vals := g.finish(scores, k, c)
			t := g.tree(vals, treeBase)
			m.Trees = append(m.Trees, t)
			// Rows left out of this round's sample walk their bins.
			if len(outOfSample) > 0 {
				forBlocks(pl, len(outOfSample), 3*len(t.LeafValue), func(lo, hi int) {
					for _, r := range outOfSample[lo:hi] {
						scores[r*k+c] += vals[g.leafOfBinned(r)]
					}
				})
			}
			if nv > 0 {
				forBlocks(pl, nv, 3*len(t.LeafValue), func(lo, hi int) {
					for i := lo; i < hi; i++ {
						vscores[i*k+c] += leafValueOf(&t, vrows[i*nf:(i+1)*nf])
					}
				})
			}
		}
		m.Info.Rounds = round + 1
		vl := math.NaN()
		if nv > 0 {
			vl = loss(p.Objective, k, vscores, valid.Y, valid.Weight)
		}
		if p.Progress != nil && !p.Progress(round+1, p.Rounds, vl) {
			p.Rounds = round + 1 // the loop ends after the bookkeeping below
		}
		if nv > 0 {
			l := vl
			m.Info.ValidLoss = append(m.Info.ValidLoss, l)
			// A new model keeps at least one round; a continued one may
			// keep none.
			if (start == nil && best == 0) || l < m.Info.ValidLoss[best] {
				best = round + 1
			}
			if p.EarlyStoppingRounds > 0 && round+1-best >= p.EarlyStoppingRounds {
				break
			}
		}
	}
	m.Info.Kept = m.Info.Rounds
	if p.EarlyStoppingRounds > 0 {
		m.Info.Kept = best
		m.Trees = m.Trees[:startTrees+best*k]
	}
	return m, scores, nil
}

// leafValueOf returns the value of the leaf row falls in.
func leafValueOf(t *Tree, row []float64) float64 { return t.LeafValue[t.Leaf(row)] }

// sampleRows puts this round's rows at the front of g.rows (all rows, in
// order, when Subsample is 1) and returns the rows left out.
func (g *grower) sampleRows(rng *rand.Rand, out []int) []int {
	n := g.n
	if g.p.Subsample >= 1 {
		for i := range n {
			g.rows[i] = int32(i)
		}
		g.nSample = n
		return out
	}
	ns := 0
	for i := range n {
		if rng.Float64() < g.p.Subsample {
			g.rows[ns] = int32(i)
			ns++
		} else {
			out = append(out, i)
		}
	}
	if ns == 0 { // tiny data: keep every row rather than grow nothing
		return g.sampleRowsAll(out[:0])
	}
	g.nSample = ns
	return out
}

func (g *grower) sampleRowsAll(out []int) []int {
	for i := range g.n {
		g.rows[i] = int32(i)
	}
	g.nSample = g.n
	return out
}

// resetRows restores rows[:nSample] to this round's sample in row order
// (growing a tree permutes them).
func (g *grower) resetRows(outOfSample []int) {
	if g.nSample == g.n {
		for i := range g.n {
			g.rows[i] = int32(i)
		}
		return
	}
	ns, j := 0, 0
	for i := range g.n {
		if j < len(outOfSample) && outOfSample[j] == i {
			j++
			continue
		}
		g.rows[ns] = int32(i)
		ns++
	}
}

// sampleFeatures picks the features of the next tree.
func (g *grower) sampleFeatures(rng *rand.Rand) {
	nf := g.nf
	if g.p.ColSample >= 1 {
		if len(g.feats) != nf {
			g.feats = make([]int, nf)
			for f := range nf {
				g.feats[f] = f
			}
		}
		g.allFeat = true
		return
	}
	kf := max(1, int(math.Round(g.p.ColSample*float64(nf))))
	g.feats = rng.Perm(nf)[:kf]
	slices.Sort(g.feats)
	g.allFeat = kf == nf
}

// forBlocks runs fn over [0, n) in fixed blocks on the pool; perRow
// estimates the cost of a row.
func forBlocks(pl *pool, n, perRow int, fn func(lo, hi int)) {
	const blk = 4096
	pl.run((n+blk-1)/blk, n*perRow, func(i int) {
		fn(i*blk, min(n, (i+1)*blk))
	})
}

// rowMajor copies the first n rows of column-major X into one row-major
// slice.
func rowMajor(X [][]float64, n int) []float64 {
	nf := len(X)
	out := make([]float64, n*nf)
	for f, col := range X {
		for i := range n {
			out[i*nf+f] = col[i]
		}
	}
	return out
}

// startScores sets scores (n×NumClass) to m's raw scores on X.
func startScores(m *Model, X [][]float64, n int, scores []float64, pl *pool) {
	rows := rowMajor(X, n)
	nf := len(X)
	k := m.NumClass
	forBlocks(pl, n, 10*len(m.Trees), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			m.predictRaw(rows[i*nf:(i+1)*nf], scores[i*k:(i+1)*k], len(m.Trees))
		}
	})
}
