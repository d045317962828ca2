package gate

import (
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/freshet/freshet/ml"
)

// BootstrapResult is a paired percentile bootstrap interval.
type BootstrapResult struct {
	// Estimate is the statistic on the rows as they are (every w_i = 1).
	Estimate float64
	// Lo and Hi are the alpha/2 and 1−alpha/2 percentiles of the
	// replicates (numpy.percentile's linear interpolation).
	Lo, Hi float64
	// SE is the standard deviation of the replicates (denominator B−1).
	SE float64
	// Replicates are the statistics of the resamples that gave a number,
	// in resample order; resamples whose statistic was NaN (an AUC drawn
	// with one class only) are dropped.
	Replicates []float64
}

// PairedBootstrap is the percentile bootstrap (B. Efron and R. J.
// Tibshirani, "An Introduction to the Bootstrap", Chapman & Hall 1993,
// ch. 13) of a statistic of n paired rows: each of b resamples draws n
// rows with replacement, and stat receives their multiplicities, w[i]
// being how many times row i was drawn. Pairing comes from evaluating both
// models on the same w: the statistic is typically metric(challenger, w) −
// metric(champion, w), and the ml/metrics functions take w as their
// weights directly. The interval has level 1−alpha.
//
// Resample r draws from its own SplitMix64 stream derived from seed and
// r, so the result depends only on the inputs and seed. stat is called
// from one goroutine, with a w it must not keep.
func PairedBootstrap(n int, stat func(w []float64) float64, b int, alpha float64, seed uint64) (BootstrapResult, error) {
	if n < 1 || b < 2 || !(alpha > 0 && alpha < 1) {
		return BootstrapResult{}, ml.Errorf(ml.EINVALID, "bootstrap: %d rows, %d resamples at alpha %v: need rows, at least 2 resamples and 0 < alpha < 1", n, b, alpha)
	}
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	est := stat(ones)
	reps := resample(n, b, seed, 1, 1, func() func(w []uint16, out []float64) {
		return func(w []uint16, out []float64) {
			for i, c := range w {
				ones[i] = float64(c)
			}
			out[0] = stat(ones)
		}
	})
	return summarize(est, reps, alpha), nil
}

// BootstrapMetricDiff is the paired bootstrap of the improvement in metric
// of challenger over champion on the same rows: challenger − champion, or
// champion − challenger when the metric is a loss (logloss, rmse), so a
// positive value always means the challenger is better. Scores are laid
// out as in Input. y, scores and metric are checked as Evaluate checks
// them.
func BootstrapMetricDiff(task ml.Task, metric string, classes int, y, champion, challenger []float64, b int, alpha float64, seed uint64) (BootstrapResult, error) {
	in := Input{Task: task, Metric: metric, Classes: classes, Labels: y, Champion: champion, Challenger: challenger}
	if champion == nil {
		return BootstrapResult{}, ml.Errorf(ml.EINVALID, "bootstrap: no champion scores")
	}
	if err := in.normalize(); err != nil {
		return BootstrapResult{}, err
	}
	if b < 2 || !(alpha > 0 && alpha < 1) {
		return BootstrapResult{}, ml.Errorf(ml.EINVALID, "bootstrap: %d resamples at alpha %v: need at least 2 and 0 < alpha < 1", b, alpha)
	}
	sc := scorer{task: in.Task, classes: in.Classes, y: y}
	p := newDiffPlan(sc, in.Metric, champion, challenger, order{}, order{})
	reps := resample(len(y), b, seed, 1, workers(b), p.evaluator)
	est := make([]float64, 1)
	p.evaluator()(nil, est)
	return summarize(est[0], reps, alpha), nil
}

// summarize turns replicates into a percentile interval.
func summarize(est float64, reps []float64, alpha float64) BootstrapResult {
	r := BootstrapResult{Estimate: est, Lo: math.NaN(), Hi: math.NaN(), SE: math.NaN()}
	for _, v := range reps {
		if !math.IsNaN(v) {
			r.Replicates = append(r.Replicates, v)
		}
	}
	if len(r.Replicates) == 0 {
		return r
	}
	s := slices.Clone(r.Replicates)
	slices.Sort(s)
	r.Lo = quantileSorted(s, alpha/2)
	r.Hi = quantileSorted(s, 1-alpha/2)
	r.SE = stddev(s)
	return r
}

func stddev(x []float64) float64 {
	if len(x) < 2 {
		return 0
	}
	var m float64
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	var ss float64
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return math.Sqrt(ss / float64(len(x)-1))
}

// workers is how many goroutines share b resamples.
func workers(b int) int { return max(1, min(runtime.GOMAXPROCS(0), 8, b/16)) }

// resample draws b resamples of n rows and calls, for each, a function
// made by newFunc (one per goroutine, so it may keep scratch) with the
// multiplicities w and the nOut numbers to fill. It returns the b·nOut
// numbers, resample by resample. Resample r has its own random stream,
// derived from seed and r, so the result does not depend on the number of
// goroutines.
//
// Multiplicities are uint16, which keeps w small enough for the random
// reads of the AUC passes to hit the cache. A row's count is Binomial(n,
// 1/n), about Poisson(1): it reaches 65,535 with probability below
// 10^-280000, and would stop there rather than wrap.
func resample(n, b int, seed uint64, nOut, nWorkers int, newFunc func() func(w []uint16, out []float64)) []float64 {
	out := make([]float64, b*nOut)
	var wg sync.WaitGroup
	for k := range nWorkers {
		f := newFunc()
		wg.Go(func() {
			w := make([]uint16, n)
			for r := k; r < b; r += nWorkers {
				clear(w)
				g := newStream(seed, r)
				g.draw(w)
				f(w, out[r*nOut:(r+1)*nOut])
			}
		})
	}
	wg.Wait()
	return out
}

// stream is SplitMix64 (G. L. Steele, D. Lea and C. H. Flood, "Fast
// splittable pseudorandom number generators", OOPSLA 2014): a Weyl
// sequence through a 64-bit finalizer. Its outputs do not depend on one
// another, so a loop of draws pipelines well.
type stream struct{ s uint64 }

const golden = 0x9E3779B97F4A7C15

// newStream starts resample r's stream at a point scrambled from seed and
// r.
func newStream(seed uint64, r int) stream {
	return stream{mix64(seed ^ mix64(uint64(r)+golden))}
}

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// draw adds len(w) uniform draws from [0, len(w)) to w (len(w) < 2³²).
// Each 64-bit output gives two 32-bit draws, mapped to [0, n) by D.
// Lemire's multiply-and-reject ("Fast random integer generation in an
// interval", ACM TOMACS 29, 2019), which is unbiased: a product whose low
// half is below 2³² mod n is rejected.
func (g *stream) draw(w []uint16) {
	n := uint64(len(w))
	thresh := uint32((1 << 32) % n)
	s := g.s
	for left := n; left > 0; {
		s += golden
		z := mix64(s)
		if m := (z & 0xffffffff) * n; uint32(m) >= thresh {
			bump(w, m>>32)
			left--
		}
		if left == 0 {
			break
		}
		if m := (z >> 32) * n; uint32(m) >= thresh {
			bump(w, m>>32)
			left--
		}
	}
	g.s = s
}

func bump(w []uint16, i uint64) {
	if c := w[i]; c != math.MaxUint16 {
		w[i] = c + 1
	}
}

// diffPlan computes the improvement of challenger over champion in one
// metric for a multiplicity vector: on the whole holdout (output 0) and,
// for metrics in sum form, on groups of rows (outputs 1…). AUC, which has
// no sum form, is computed from two pre-sorted score orders, whole
// holdout only.
type diffPlan struct {
	sum  sumStat
	auc  bool
	aucC sortedScores
	aucH sortedScores
	// Groups, back to back: group g is rows[ends[g−1]:ends[g]], whose
	// terms are x[k·ends[g−1] : k·ends[g]], copied so that a pass over a
	// group reads them in order.
	rows []int32
	x    []float64
	ends []int
}

// newDiffPlan prepares the improvement in metric; for AUC it takes the
// score orders oc and oh, or sorts the scores when they are empty.
func newDiffPlan(sc scorer, metric string, champ, chal []float64, oc, oh order) *diffPlan {
	if s, ok := sc.newSumStat(metric, champ, chal); ok {
		return &diffPlan{sum: s}
	}
	if oc.rows == nil {
		oc = newOrder(champ)
	}
	if oh.rows == nil {
		oh = newOrder(chal)
	}
	return &diffPlan{auc: true, aucC: packScores(oc, sc.y), aucH: packScores(oh, sc.y)}
}

// nOut is the number of outputs: the whole holdout and each group.
func (p *diffPlan) nOut() int { return 1 + len(p.ends) }

// addGroup adds the rows of a slice as the next output (sum-form metrics
// only).
func (p *diffPlan) addGroup(rows []int32) {
	k := p.sum.k
	for _, i := range rows {
		p.x = append(p.x, p.sum.x[int(i)*k:int(i)*k+k]...)
	}
	p.rows = append(p.rows, rows...)
	p.ends = append(p.ends, len(p.rows))
}

// evaluator returns a function of (w, out) with its own scratch; w nil
// means every row once. It fills out[:nOut].
func (p *diffPlan) evaluator() func(w []uint16, out []float64) {
	if p.auc {
		return func(w []uint16, out []float64) { out[0] = p.aucH.countAUC(w) - p.aucC.countAUC(w) }
	}
	k := p.sum.k
	sums := make([]float64, k)
	weight := func(w []uint16, i int) float64 {
		if w == nil {
			return 1
		}
		return float64(w[i])
	}
	// group is the statistic over rows with terms x; rows nil means
	// every row in order.
	group := func(w []uint16, rows []int32, x []float64) float64 {
		n := len(x) / k
		var cnt float64
		if k == 1 && w != nil {
			// Accuracy and log loss: one term per row, in four
			// accumulators to break the chain of floating-point adds.
			var s0, s1, s2, s3 float64
			var c uint64
			j := 0
			for ; j+4 <= len(x); j += 4 {
				var c0, c1, c2, c3 uint16
				if rows == nil {
					c0, c1, c2, c3 = w[j], w[j+1], w[j+2], w[j+3]
				} else {
					c0, c1, c2, c3 = w[rows[j]], w[rows[j+1]], w[rows[j+2]], w[rows[j+3]]
				}
				s0 += float64(c0) * x[j]
				s1 += float64(c1) * x[j+1]
				s2 += float64(c2) * x[j+2]
				s3 += float64(c3) * x[j+3]
				c += uint64(c0) + uint64(c1) + uint64(c2) + uint64(c3)
			}
			for ; j < len(x); j++ {
				i := j
				if rows != nil {
					i = int(rows[j])
				}
				s0 += float64(w[i]) * x[j]
				c += uint64(w[i])
			}
			sums[0] = (s0 + s1) + (s2 + s3)
			return p.sum.f(sums, float64(c))
		}
		clear(sums)
		for j := range n {
			i := j
			if rows != nil {
				i = int(rows[j])
			}
			c := weight(w, i)
			for t, v := range x[j*k : j*k+k] {
				sums[t] += c * v
			}
			cnt += c
		}
		return p.sum.f(sums, cnt)
	}
	return func(w []uint16, out []float64) {
		out[0] = group(w, nil, p.sum.x)
		lo := 0
		for g, hi := range p.ends {
			out[1+g] = group(w, p.rows[lo:hi], p.x[k*lo:k*hi])
			lo = hi
		}
	}
}

// sortedScores is a score vector's row order, sorted once so that each
// bootstrap resample's AUC is one linear pass. Each position packs the
// row (low 30 bits), whether it starts a new group of tied scores (bit
// 30) and whether the row is positive (bit 31).
type sortedScores []uint32

const (
	posBit   = 1 << 31
	startBit = 1 << 30
	rowMask  = startBit - 1
)

// maxRows bounds the holdout so that a row fits sortedScores' 30 bits.
const maxRows = rowMask

func packScores(o order, y []float64) sortedScores {
	out := make(sortedScores, len(o.rows))
	for j, i := range o.rows {
		v := uint32(i)
		if y[i] == 1 {
			v |= posBit
		}
		if j == 0 || o.keys[j] != o.keys[j-1] {
			v |= startBit
		}
		out[j] = v
	}
	return out
}

// countAUC is the AUC of the rows drawn w[i] times each (w nil: once),
// ties counted one half: the weighted Mann–Whitney U of ml/metrics'
// aucWeighted in exact integer arithmetic, without its sort. NaN when a
// class was not drawn.
func (s sortedScores) countAUC(w []uint16) float64 {
	var u2, np, nBelow, pg, ng uint64
	for _, v := range s {
		if v&startBit != 0 {
			u2 += pg * (2*nBelow + ng)
			np += pg
			nBelow += ng
			pg, ng = 0, 0
		}
		c := uint64(1)
		if w != nil {
			c = uint64(w[v&rowMask])
		}
		m := -uint64(v >> 31) // all ones for a positive
		pg += c & m
		ng += c &^ m
	}
	u2 += pg * (2*nBelow + ng)
	np += pg
	nBelow += ng
	if np == 0 || nBelow == 0 {
		return math.NaN()
	}
	return float64(u2) / (2 * float64(np) * float64(nBelow))
}
