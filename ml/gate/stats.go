package gate

import (
	"math"
	"slices"
	"sort"

	"github.com/freshet/freshet/ml/drift"
)

// Holm returns Holm's step-down adjusted p-values (S. Holm, "A simple
// sequentially rejective multiple test procedure", Scandinavian Journal of
// Statistics 6 (1979) 65–70), in the order of p: the i-th smallest p is
// multiplied by (m−i+1), a running maximum keeps them monotone, and they
// are capped at 1. Rejecting where the adjusted p < alpha controls the
// family-wise error rate at alpha. NaN p-values are treated as 1.
func Holm(p []float64) []float64 {
	m := len(p)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	val := func(i int) float64 {
		if math.IsNaN(p[i]) {
			return 1
		}
		return p[i]
	}
	sort.SliceStable(order, func(i, j int) bool { return val(order[i]) < val(order[j]) })
	adj := make([]float64, m)
	run := 0.0
	for rank, i := range order {
		run = max(run, min(1, float64(m-rank)*val(i)))
		adj[i] = run
	}
	return adj
}

// CalBin is one bin of a reliability diagram.
type CalBin struct {
	Lo           float64 `json:"lo"`
	Hi           float64 `json:"hi"`
	MeanScore    float64 `json:"mean_score"`
	FracPositive float64 `json:"frac_positive"`
	N            int     `json:"n"`
}

// ECE is the expected calibration error of probabilities scores against
// binary labels y over bins equal-width bins of [0, 1] (M. P. Naeini, G.
// F. Cooper and M. Hauskrecht, "Obtaining well calibrated probabilities
// using Bayesian binning", AAAI 2015; C. Guo, G. Pleiss, Y. Sun and K. Q.
// Weinberger, "On calibration of modern neural networks", ICML 2017):
// Σ_b (n_b/N)·|mean score_b − fraction of positives_b|. Bin b is
// [b/bins, (b+1)/bins), the last one closed at 1; scores outside [0, 1]
// are clamped into the outer bins. Empty bins are returned with N = 0 and
// zero means. ECE panics when scores and y differ in length.
func ECE(scores, y []float64, bins int) (ece float64, cal []CalBin) {
	if len(scores) != len(y) {
		panic("gate.ECE: scores and labels differ in length")
	}
	if bins < 1 {
		bins = 10
	}
	edges := make([]float64, bins+1)
	for i := range edges {
		edges[i] = float64(i) / float64(bins)
	}
	cal = make([]CalBin, bins)
	sumS := make([]float64, bins)
	sumY := make([]float64, bins)
	for i, s := range scores {
		// The number of interior edges <= s.
		b := sort.SearchFloat64s(edges[1:bins], s)
		if b < bins-1 && edges[b+1] == s {
			b++
		}
		cal[b].N++
		sumS[b] += s
		sumY[b] += y[i]
	}
	for b := range cal {
		cal[b].Lo, cal[b].Hi = edges[b], edges[b+1]
		if cal[b].N == 0 {
			continue
		}
		nb := float64(cal[b].N)
		cal[b].MeanScore = sumS[b] / nb
		cal[b].FracPositive = sumY[b] / nb
		ece += nb * math.Abs(cal[b].MeanScore-cal[b].FracPositive)
	}
	if len(scores) > 0 {
		ece /= float64(len(scores))
	}
	return ece, cal
}

// TopLabelECE is the top-label (confidence) calibration error of
// multiclass probabilities p, classes per row, row-major, against class
// indices y, over bins equal-width bins of [0, 1] (C. Guo, G. Pleiss, Y.
// Sun and K. Q. Weinberger, "On calibration of modern neural networks",
// ICML 2017, eq. 3): each row's confidence is its largest probability and
// its hit whether that class (the first largest, as numpy.argmax) is the
// label; the ECE is Σ_b (n_b/N)·|accuracy_b − mean confidence_b|, binned
// as ECE bins. In the returned bins MeanScore is the mean confidence and
// FracPositive the accuracy. TopLabelECE panics when p is not classes
// times as long as y.
func TopLabelECE(p, y []float64, classes, bins int) (ece float64, cal []CalBin) {
	if classes < 1 || len(p) != len(y)*classes {
		panic("gate.TopLabelECE: probabilities and labels differ in length")
	}
	return ECE(confidences(p, classes), topLabelHits(p, y, classes), bins)
}

// confidences is each row's largest probability.
func confidences(p []float64, classes int) []float64 {
	out := make([]float64, len(p)/classes)
	for i := range out {
		out[i] = slices.Max(p[i*classes : (i+1)*classes])
	}
	return out
}

// topLabelHits is 1 for each row whose first largest probability is its
// label, else 0.
func topLabelHits(p, y []float64, classes int) []float64 {
	out := make([]float64, len(y))
	for i, v := range y {
		out[i] = b2f(argmax(p[i*classes:(i+1)*classes]) == int(v))
	}
	return out
}

// evenCuts cuts [lo, 1] into bins equal-width bins: the bins−1 interior
// cut points.
func evenCuts(lo float64, bins int) []float64 {
	cuts := make([]float64, bins-1)
	for i := range cuts {
		cuts[i] = lo + (1-lo)*float64(i+1)/float64(bins)
	}
	return cuts
}

// PSI is the population stability index of cur against ref,
// Σ (r_b − c_b)·ln(r_b / c_b) over bins bins cut at ref's quantiles (cut
// points at 1/bins, …, (bins−1)/bins with numpy.quantile's linear method;
// repeated cut points are dropped, so a reference with few distinct values
// gets fewer bins). Bin b is [cut_{b−1}, cut_b), so values outside the
// reference's range land in the outer bins. An empty bin's share is
// replaced as Evidently's psi stattest does (and ml/drift after it): by
// the smallest non-zero share / 10⁶ when that share is <= 10⁻⁴, by 10⁻⁴
// otherwise. The usual reading: below 0.1 stable, 0.1–0.25 a moderate
// shift, above 0.25 a large one. NaN values must be removed first; PSI is
// NaN when either sample is empty.
func PSI(ref, cur []float64, bins int) float64 {
	if len(ref) == 0 || len(cur) == 0 {
		return math.NaN()
	}
	sorted := slices.Clone(ref)
	slices.Sort(sorted)
	return psiCuts(quantileCuts(sorted, bins), ref, cur)
}

// psiCuts is PSI over the bins cut at cuts: ml/drift's PSI (Evidently's
// empty-bin rule) of the two samples' bin counts.
func psiCuts(cuts, ref, cur []float64) float64 {
	psi, err := drift.PSI(binCounts(cuts, ref), binCounts(cuts, cur))
	if err != nil {
		return math.NaN() // an empty sample
	}
	return psi
}

// quantileCuts returns the quantiles of sorted s at 1/bins …
// (bins−1)/bins, numpy's linear method, without repeats.
func quantileCuts(s []float64, bins int) []float64 {
	if bins < 2 {
		return nil
	}
	cuts := make([]float64, 0, bins-1)
	step := 1.0 / float64(bins)
	for i := 1; i < bins; i++ {
		cuts = append(cuts, quantileSorted(s, float64(i)*step))
	}
	return slices.Compact(cuts)
}

// quantileSorted is numpy.quantile(s, q) (method "linear") of sorted s.
func quantileSorted(s []float64, q float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	h := q * float64(len(s)-1)
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	g := h - float64(lo)
	// numpy's _lerp: a + (b−a)·g, or b − (b−a)·(1−g) when g >= ½.
	a, b := s[lo], s[lo+1]
	d := b - a
	if g >= 0.5 {
		return b - d*(1-g)
	}
	return a + d*g
}

// binIndex is the bin of v among cuts: the number of cuts <= v.
func binIndex(cuts []float64, v float64) int {
	return sort.Search(len(cuts), func(i int) bool { return cuts[i] > v })
}

func binCounts(cuts, x []float64) []float64 {
	c := make([]float64, len(cuts)+1)
	for _, v := range x {
		c[binIndex(cuts, v)]++
	}
	return c
}
