package monitor

import (
	"math"
	"sync"

	"github.com/freshet/freshet/ml/drift"
)

// Natural variation: how far a feature's statistic goes on windows cut
// from the reference itself.
//
// A real stream's week-to-week variation is not sampling noise. On the
// Elec2 demo (the first champion's reference is 4,234 rows, 1996-12-30 –
// 1997-04-06; weekly windows of 336 rows) the 13 whole weeks inside the
// reference are, against the whole of it, at a normed Wasserstein
// distance of 0.23–1.01 in nswprice (PSI 0.84–3.8) and 0.07–0.50 in
// nswdemand, past Evidently's fixed 0.1 in 13 and 12 of them: the two
// features "drifted" nearly every week, inside the very period the
// champion learned from, and they carry 86% of its importance (0.817 and
// 0.042). A fixed threshold there measures how narrow a week is, not
// drift. Their natural levels are 1.04 and 0.95.
//
// So, as NannyML sets its thresholds (the metric on chunks of the
// reference, its StandardDeviationThreshold: mean + 3 standard
// deviations), a feature drifts only when its statistic also exceeds
// what consecutive reference chunks of the window's size reach: mean +
// NaturalSD sample standard deviations of the chunks' statistic. A
// feature that never varied in the reference (Elec2's vicprice,
// vicdemand and transfer before May 1997) has a natural level of 0, so
// the method's own threshold decides, and any real change in it drifts.
//
// The floor applies to statistics that measure the size of a difference:
// the distances and KS's D (a minimum effect alongside its p-value). The
// chi-squared and Z statistics grow with the sample and are left to their
// p-values.
const (
	// NaturalSD is how many standard deviations above the chunks' mean
	// the natural level lies.
	NaturalSD = 3
	// naturalMinChunks is the fewest reference chunks whose spread is
	// used; with fewer (a window nearly as long as the reference) the
	// method's threshold alone decides.
	naturalMinChunks = 4
	// naturalMinRows is the fewest sampled reference rows in a chunk.
	naturalMinRows = 30
)

// natural caches a reference's natural levels; References are shared
// between goroutines once loaded.
type natural struct {
	mu     sync.Mutex
	levels map[naturalKey]float64
}

type naturalKey struct {
	feature int
	method  drift.Method
	chunks  int
	size    int
	bins    int
}

// calibrated reports whether m's statistic is an effect size that
// chunks of the reference can calibrate.
func calibrated(m drift.Method) bool {
	switch m {
	case drift.MethodWasserstein, drift.MethodJensenShannon, drift.MethodPSI, drift.MethodLInf, drift.MethodKS:
		return true
	}
	return false
}

// effect is the size of a feature's difference as the natural level
// measures it: the distance, or KS's D.
func effect(fr drift.FeatureReport) float64 {
	if fr.Method.IsTest() {
		return fr.Statistic
	}
	return fr.Score
}

// Natural is the natural level of feature j's statistic under method m
// for a window of rows rows compared with ref (the reference values the
// window is compared with): mean + NaturalSD standard deviations of the
// statistic over the reference's consecutive chunks of as many sampled
// rows as the window compares.
// It is 0 when it cannot be measured: a method it does not apply to, a
// reference without whole rows (Joint), or too few chunks.
func (r *Reference) Natural(j int, m drift.Method, rows int, ref []float64, categorical bool, cfg drift.Config) float64 {
	if !calibrated(m) || rows <= 0 || j >= len(r.Joint) {
		return 0
	}
	col := r.Joint[j]
	// Joint samples the reference's rows in order; a chunk covers the
	// same share of them as the window would of the reference's rows, so
	// that it spans as much time. Its values must also be at least as
	// many as the window's statistic compares (its sample, at most
	// WinSample), or the chunks' sampling noise is larger than the
	// window's and hides real drift: a large reference's Joint is a thin
	// sample (100,000 reference rows and 1,000-row windows made 50-value
	// chunks, a natural level of 0.39 on i.i.d. data, above a 0.3 sd
	// shift's distance of 0.31). Then the chunks hold that many values
	// and span more time than the window, which smooths the level: the
	// method's own threshold matters more.
	k := r.Rows / rows
	if k < naturalMinChunks {
		return 0
	}
	size := len(col) / k
	if n := min(rows, WinSample); size < n {
		size, k = n, len(col)/n
	}
	if k < naturalMinChunks || size < naturalMinRows {
		return 0
	}
	key := naturalKey{feature: j, method: m, chunks: k, size: size, bins: cfg.PSIBins}
	r.nat.mu.Lock()
	v, ok := r.nat.levels[key]
	r.nat.mu.Unlock()
	if ok {
		return v
	}
	var vals []float64
	for i := range k {
		rep, err := drift.Detect([]drift.Column{{Name: "chunk", Categorical: categorical, Ref: ref, Cur: col[i*size : (i+1)*size], Method: m}}, cfg)
		if err != nil || len(rep.Features) != 1 || math.IsNaN(effect(rep.Features[0])) {
			continue // a chunk with no values: nothing to learn from it
		}
		vals = append(vals, effect(rep.Features[0]))
	}
	v = 0
	if len(vals) >= naturalMinChunks {
		mu, sd := meanSD(vals)
		v = mu + NaturalSD*sd
	}
	r.nat.mu.Lock()
	if r.nat.levels == nil {
		r.nat.levels = map[naturalKey]float64{}
	}
	r.nat.levels[key] = v
	r.nat.mu.Unlock()
	return v
}

// meanSD is the mean and the sample standard deviation of x (len ≥ 2).
func meanSD(x []float64) (float64, float64) {
	mu := mean(x)
	ss := 0.0
	for _, v := range x {
		ss += (v - mu) * (v - mu)
	}
	return mu, math.Sqrt(ss / float64(len(x)-1))
}
