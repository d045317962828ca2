package mvdrift

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/freshet/freshet/ml/gbdt"
	"github.com/freshet/freshet/ml/metrics"
)

// DomainOptions tunes DomainClassifierWith; a zero field takes the default
// shown.
type DomainOptions struct {
	// Seed fixes the subsamples, the folds and the GBDT's own sampling.
	Seed uint64
	// Folds is the number of stratified cross-validation folds (5).
	Folds int
	// Rounds, MaxDepth and LearningRate configure the GBDT (30, 4, 0.1).
	Rounds       int
	MaxDepth     int
	LearningRate float64
	// MinDataInLeaf is the GBDT's minimum rows per leaf (20, LightGBM's
	// default, which NannyML's classifier uses).
	MinDataInLeaf int
	// MaxBins is the GBDT's number of histogram bins per feature (64).
	MaxBins int
	// MaxRows caps each sample (5,000 rows).
	MaxRows int
	// MaxRatio caps the larger sample at MaxRatio times the smaller (3).
	MaxRatio float64
	// Alpha bounds the false-alarm rate: drift is declared when the AUC
	// exceeds an upper bound on its (1−Alpha) quantile under no drift
	// (0.05).
	Alpha float64
	// Parallel is the number of folds trained at once (GOMAXPROCS, at most
	// Folds); each GBDT then runs on one thread. Results do not depend on
	// it.
	Parallel int
}

func (o DomainOptions) withDefaults() DomainOptions {
	if o.Folds == 0 {
		o.Folds = 5
	}
	if o.Rounds == 0 {
		o.Rounds = 30
	}
	if o.MaxDepth == 0 {
		o.MaxDepth = 4
	}
	if o.LearningRate == 0 {
		o.LearningRate = 0.1
	}
	if o.MinDataInLeaf == 0 {
		o.MinDataInLeaf = 20
	}
	if o.MaxBins == 0 {
		o.MaxBins = 64
	}
	if o.MaxRows == 0 {
		o.MaxRows = 5000
	}
	if o.MaxRatio == 0 {
		o.MaxRatio = 3
	}
	if o.Alpha == 0 {
		o.Alpha = 0.05
	}
	if o.Parallel <= 0 {
		o.Parallel = gomaxprocs()
	}
	o.Parallel = min(o.Parallel, o.Folds)
	return o
}

// Result is the verdict of DomainClassifier.
type Result struct {
	// AUC is the cross-validated ROC AUC of the classifier separating
	// current rows (positive) from reference rows: the mean of the
	// per-fold AUCs of held-out rows (sklearn's cross_val_score with
	// scoring="roc_auc").
	AUC float64
	// Bound is an upper bound on the (1−Alpha) quantile of AUC under no
	// drift: 1/2 + z(1−Alpha)·s, where s is the mean over folds of the
	// Mann–Whitney null standard deviation √((a+b+1)/(12·a·b)) of a fold
	// with a reference and b current rows. Drifted is AUC > Bound.
	Bound   float64
	Drifted bool
	// PValue is the one-sided p-value of AUC under the same bound: an
	// upper bound on the true p-value, up to the normal approximation.
	PValue float64
	// NRef and NCur are the rows used after subsampling.
	NRef, NCur int
	// FoldAUC holds the AUC of each fold's held-out rows; AUC is their
	// mean.
	FoldAUC []float64
	// PooledAUC is the AUC of the out-of-fold scores of all folds pooled,
	// NannyML's definition. It is reported for comparison; the verdict
	// uses AUC, whose null distribution is bounded (see the package
	// documentation).
	PooledAUC float64
}

// DomainClassifier tests whether the built-in GBDT can tell the current
// sample cur from the reference ref (both column-major, same columns, NaN
// for missing; categorical marks code columns, nil means all numeric) with
// the default DomainOptions and the given seed. See the package
// documentation for the method.
func DomainClassifier(ref, cur [][]float64, categorical []bool, seed uint64) (Result, error) {
	return DomainClassifierWith(ref, cur, categorical, DomainOptions{Seed: seed})
}

// DomainClassifierWith is DomainClassifier with explicit options.
func DomainClassifierWith(ref, cur [][]float64, categorical []bool, o DomainOptions) (Result, error) {
	o = o.withDefaults()
	n0, err := shape(ref)
	if err != nil {
		return Result{}, fmt.Errorf("reference: %w", err)
	}
	n1, err := shape(cur)
	if err != nil {
		return Result{}, fmt.Errorf("current: %w", err)
	}
	d := len(ref)
	if len(cur) != d {
		return Result{}, fmt.Errorf("mvdrift: reference has %d columns, current %d", d, len(cur))
	}
	if err := checkCategorical(categorical, d); err != nil {
		return Result{}, err
	}
	if o.Folds < 2 || o.MaxRatio < 1 || !(o.Alpha > 0 && o.Alpha < 1) || o.MaxRows < o.Folds {
		return Result{}, fmt.Errorf("mvdrift: invalid options %+v", o)
	}

	// Sample sizes: cap both, then the larger at MaxRatio × the smaller.
	m0, m1 := min(n0, o.MaxRows), min(n1, o.MaxRows)
	m0 = min(m0, int(o.MaxRatio*float64(m1)))
	m1 = min(m1, int(o.MaxRatio*float64(m0)))
	if m0 < o.Folds || m1 < o.Folds {
		return Result{}, fmt.Errorf("%w: %d reference and %d current rows after balancing, need %d of each",
			ErrTooFewRows, m0, m1, o.Folds)
	}

	// Random subsamples in random order; position mod Folds is the fold,
	// which stratifies by domain.
	rng := rand.New(rand.NewPCG(o.Seed, 0x646f6d61696e4356))
	idx0 := rng.Perm(n0)[:m0]
	idx1 := rng.Perm(n1)[:m1]
	n := m0 + m1
	x := make([][]float64, d)
	for j := range d {
		col := make([]float64, n)
		for i, r := range idx0 {
			col[i] = ref[j][r]
		}
		for i, r := range idx1 {
			col[m0+i] = cur[j][r]
		}
		x[j] = col
	}
	y := make([]float64, n)
	fold := make([]int, n)
	for i := range n {
		if i < m0 {
			fold[i] = i % o.Folds
		} else {
			y[i] = 1
			fold[i] = (i - m0) % o.Folds
		}
	}

	score := make([]float64, n)
	foldAUC := make([]float64, o.Folds)
	foldN := make([][2]int, o.Folds)
	errs := make([]error, o.Folds)
	var wg sync.WaitGroup
	sem := make(chan struct{}, o.Parallel)
	threads := max(1, gomaxprocs()/o.Parallel)
	for f := range o.Folds {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			foldAUC[f], foldN[f], errs[f] = trainFold(x, y, fold, f, score, o, threads)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return Result{}, err
		}
	}

	pooled, err := metrics.AUC(y, score, nil)
	if err != nil {
		return Result{}, err
	}
	// Each fold's AUC is a Mann–Whitney statistic under no drift; the mean
	// of K of them has a standard deviation of at most the mean of theirs,
	// whatever their correlation.
	r := Result{FoldAUC: foldAUC, PooledAUC: pooled, NRef: m0, NCur: m1}
	sd := 0.0
	for f := range o.Folds {
		r.AUC += foldAUC[f] / float64(o.Folds)
		a, b := float64(foldN[f][0]), float64(foldN[f][1])
		sd += math.Sqrt((a+b+1)/(12*a*b)) / float64(o.Folds)
	}
	z := math.Sqrt2 * math.Erfinv(1-2*o.Alpha)
	r.Bound = 0.5 + z*sd
	r.PValue = 0.5 * math.Erfc((r.AUC-0.5)/(sd*math.Sqrt2))
	r.Drifted = r.AUC > r.Bound
	return r, nil
}

// trainFold trains on every row outside fold f, writes the raw scores of
// the rows in fold f into score and returns their AUC and their count per
// domain.
func trainFold(x [][]float64, y []float64, fold []int, f int, score []float64, o DomainOptions, threads int) (float64, [2]int, error) {
	var train, test []int
	for i, g := range fold {
		if g == f {
			test = append(test, i)
		} else {
			train = append(train, i)
		}
	}
	d := len(x)
	tx := make([][]float64, d)
	for j := range d {
		col := make([]float64, len(train))
		for k, i := range train {
			col[k] = x[j][i]
		}
		tx[j] = col
	}
	ty := make([]float64, len(train))
	for k, i := range train {
		ty[k] = y[i]
	}
	model, err := gbdt.Train(gbdt.Dataset{X: tx, Y: ty}, nil, gbdt.Params{
		Objective:     gbdt.Binary,
		Rounds:        o.Rounds,
		MaxDepth:      o.MaxDepth,
		LearningRate:  o.LearningRate,
		MinDataInLeaf: o.MinDataInLeaf,
		Seed:          o.Seed*uint64(o.Folds) + uint64(f),
		Threads:       threads,
		MaxBins:       o.MaxBins,
	})
	if err != nil {
		return 0, [2]int{}, fmt.Errorf("mvdrift: fold %d: %w", f, err)
	}
	row := make([]float64, d)
	vy := make([]float64, len(test))
	vs := make([]float64, len(test))
	var cnt [2]int
	for k, i := range test {
		for j := range d {
			row[j] = x[j][i]
		}
		s := model.PredictRaw(row)[0] // monotone in the probability: same AUC
		score[i], vy[k], vs[k] = s, y[i], s
		cnt[int(y[i])]++
	}
	auc, err := metrics.AUC(vy, vs, nil)
	if err != nil {
		return 0, cnt, fmt.Errorf("mvdrift: fold %d: %w", f, err)
	}
	return auc, cnt, nil
}
