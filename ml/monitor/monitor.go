// Package monitor summarises windows of a model's observations into
// profiles and compares them with a reference: drift per feature and for
// the dataset (through ml/drift) and performance per window (decay).
//
// Monitoring reads profiles, not raw rows, so its cost does not grow with
// history (whylogs' lesson): a profile keeps, per feature, counts over the
// reference's quantile bins (or per category code), a bounded sorted
// sample for KS and Wasserstein, and for the labeled rows exact counts
// (accuracy, log loss, confusion) plus score histograms per class (AUC).
package monitor

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/decay"
	"github.com/freshet/freshet/ml/drift"
)

// Sizes of a profile.
const (
	RefBins    = 20   // reference quantile bins per numeric feature
	RefSample  = 5000 // sorted sample kept of the reference
	WinSample  = 1000 // sorted sample kept of a window
	ScoreBins  = 100  // fixed bins over [0, 1] for score histograms
	maxCodes   = 1000 // categorical codes counted per feature; more go to "other"
	otherCode  = maxCodes
	sampleSeed = 0x5eed
)

// Feature is one column's summary, in a reference or a window.
type Feature struct {
	Name        string    `json:"name"`
	Categorical bool      `json:"categorical,omitempty"`
	Cuts        []float64 `json:"cuts,omitempty"`   // numeric: the reference's quantile cut points
	Counts      []float64 `json:"counts"`           // per bin, or per category code
	Missing     int       `json:"missing"`          // NaN values
	Sample      []float64 `json:"sample,omitempty"` // sorted sample of the non-missing values
	N           int       `json:"n"`                // non-missing values
	Mean        float64   `json:"mean"`
	Std         float64   `json:"std"`
	Min         float64   `json:"min"`
	Max         float64   `json:"max"`
}

// Reference is what windows are compared with: the champion's training
// data (or a pinned period), summarised.
type Reference struct {
	VersionID int64     `json:"version_id"`
	Rows      int       `json:"rows"`
	Features  []Feature `json:"features"`
	Score     Feature   `json:"score"` // the champion's scores on the reference rows
	// Metrics are the champion's validation metrics: the decay baseline.
	Metrics map[string]float64 `json:"metrics"`
	// BaselineErrors is the champion's error stream on its validation
	// rows (1 = wrong at 0.5), at most JointSample of them.
	BaselineErrors []uint8 `json:"baseline_errors,omitempty"`
	// Joint is a sample of whole reference rows (column-major, at most
	// JointSample rows, NaN for missing) for multivariate drift, which
	// needs rows, not columns.
	Joint [][]float64 `json:"-"`
	// JointRows holds Joint for JSON, NaN written as null.
	JointRows [][]*float64 `json:"joint,omitempty"`

	nat natural // natural levels per feature, computed on first use
}

// JointSample is how many whole reference rows are kept.
const JointSample = 5000

// SampleRows returns a deterministic sample of at most k row indices of
// n, in order.
func SampleRows(n, k int, seed uint64) []int {
	idx := make([]int, 0, min(n, k))
	if n <= k {
		for i := range n {
			idx = append(idx, i)
		}
		return idx
	}
	rng := rand.New(rand.NewPCG(seed, sampleSeed))
	picked := rng.Perm(n)[:k]
	slices.Sort(picked)
	return append(idx, picked...)
}

// PackJoint fills JointRows from Joint before the reference is stored.
func (r *Reference) PackJoint() {
	r.JointRows = make([][]*float64, len(r.Joint))
	for j, col := range r.Joint {
		r.JointRows[j] = make([]*float64, len(col))
		for i := range col {
			if v := col[i]; !math.IsNaN(v) && !math.IsInf(v, 0) {
				r.JointRows[j][i] = &col[i]
			}
		}
	}
}

// UnpackJoint fills Joint from JointRows after the reference is loaded.
func (r *Reference) UnpackJoint() {
	r.Joint = make([][]float64, len(r.JointRows))
	for j, col := range r.JointRows {
		r.Joint[j] = make([]float64, len(col))
		for i, p := range col {
			if p == nil {
				r.Joint[j][i] = math.NaN()
			} else {
				r.Joint[j][i] = *p
			}
		}
	}
}

// Labels is what the labeled rows of a window say about performance.
type Labels struct {
	Labeled   int       `json:"labeled"`
	Scored    int       `json:"scored"` // labeled rows that carry a logged score
	Positives int       `json:"positives"`
	Correct   int       `json:"correct"`
	LogLoss   float64   `json:"logloss_sum"`
	SqErr     float64   `json:"sq_err_sum"` // Σ (score − label)², for RMSE
	TP        int       `json:"tp"`
	FP        int       `json:"fp"`
	FN        int       `json:"fn"`
	ScorePos  []float64 `json:"score_pos"` // ScoreBins histogram of positives' scores
	ScoreNeg  []float64 `json:"score_neg"`
	// Errors is the error stream of the scored labeled rows in order
	// (1 = wrong at 0.5), for the streaming detectors; at most MaxErrors.
	Errors []uint8 `json:"errors,omitempty"`
	// ErrorRate compares the window's error rate with the champion's on
	// its validation rows: a bootstrap interval of the difference (Welch's
	// t-test when a sample is small). Nil without a baseline.
	ErrorRate *ErrorRateDiff `json:"error_rate,omitempty"`
}

// ErrorRateDiff is window error rate minus baseline error rate.
type ErrorRateDiff struct {
	Method string   `json:"method"` // "bootstrap" or "welch-t"
	Diff   float64  `json:"diff"`
	Lower  *float64 `json:"lower,omitempty"` // the 95% bootstrap interval
	Upper  *float64 `json:"upper,omitempty"`
	PValue float64  `json:"p_value"` // one-sided: the window is worse
}

// MaxErrors bounds the error stream kept per window.
const MaxErrors = 20000

// Window is the profile of a window of observations.
type Window struct {
	Start    int64     `json:"start"` // unix ms
	End      int64     `json:"end"`
	Rows     int       `json:"rows"`
	Features []Feature `json:"features"`
	Score    Feature   `json:"score"`
	Labels   Labels    `json:"labels"`
	// Multi is multivariate drift, computed when the window is profiled
	// (it needs whole rows, which profiles do not keep).
	Multi *Multivariate `json:"multivariate,omitempty"`
}

// Multivariate is a window's multivariate drift (ml/mvdrift): PCA
// reconstruction error against the reference's band, and a domain
// classifier's cross-validated AUC against its no-drift bound.
type Multivariate struct {
	PCAError    float64 `json:"pca_error"`
	PCALower    float64 `json:"pca_lower"`
	PCAUpper    float64 `json:"pca_upper"`
	PCADrifted  bool    `json:"pca_drifted"`
	DomainAUC   float64 `json:"domain_auc"`
	DomainBound float64 `json:"domain_bound"`
	DomainDrift bool    `json:"domain_drifted"`
}

// scoreCuts are the fixed cut points of score histograms: 0.01 .. 0.99.
var scoreCuts = func() []float64 {
	c := make([]float64, ScoreBins-1)
	for i := range c {
		c[i] = float64(i+1) / ScoreBins
	}
	return c
}()

// NewReference summarises reference rows: X column-major (categorical
// values as codes), the champion's scores on them (nil if none).
func NewReference(m *ml.Model, X [][]float64, scores []float64) *Reference {
	r := &Reference{}
	for j, f := range m.Features {
		r.Rows = len(X[j])
		cat := f.Type == ml.Categorical
		ft := Feature{Name: f.Name, Categorical: cat}
		if !cat {
			vals := drift.Finite(X[j])
			if b, err := drift.QuantileBins(vals, RefBins); err == nil {
				ft.Cuts = b.Cuts
			}
		}
		summarise(&ft, X[j], RefSample, uint64(j))
		r.Features = append(r.Features, ft)
	}
	r.Score = Feature{Name: "score", Cuts: scoreCuts}
	summarise(&r.Score, scores, RefSample, 999)
	rows := SampleRows(r.Rows, JointSample, 4242)
	r.Joint = make([][]float64, len(X))
	for j := range X {
		r.Joint[j] = make([]float64, len(rows))
		for i, k := range rows {
			r.Joint[j][i] = X[j][k]
		}
	}
	return r
}

// Profile summarises a window's rows against the reference's bins.
// labels may hold NaN (unlabeled); scores NaN (no logged prediction).
func (r *Reference) Profile(start, end int64, X [][]float64, scores, labels []float64) *Window {
	w := &Window{Start: start, End: end}
	for j, rf := range r.Features {
		ft := Feature{Name: rf.Name, Categorical: rf.Categorical, Cuts: rf.Cuts}
		summarise(&ft, X[j], WinSample, uint64(start)+uint64(j))
		w.Rows = len(X[j])
		w.Features = append(w.Features, ft)
	}
	w.Score = Feature{Name: "score", Cuts: scoreCuts}
	summarise(&w.Score, scores, WinSample, uint64(start)+999)
	w.Labels = labelStats(scores, labels)
	w.Labels.ErrorRate = errorRateDiff(w.Labels.Errors, r.BaselineErrors, uint64(start))
	return w
}

// errorRateDiff tests whether the window's error rate exceeds the
// baseline's: a 1,000-replicate percentile bootstrap, or Welch's t-test
// when either side has fewer than 30 rows.
func errorRateDiff(cur, base []uint8, seed uint64) *ErrorRateDiff {
	if len(cur) < 2 || len(base) < 2 {
		return nil
	}
	c, b := bitsToFloats(cur), bitsToFloats(base)
	if len(cur) >= 30 && len(base) >= 30 {
		cfg := decay.DefaultBootstrapConfig()
		cfg.Resamples, cfg.Seed = 1000, seed
		if res, err := decay.BootstrapDiff(c, b, cfg); err == nil {
			return &ErrorRateDiff{Method: "bootstrap", Diff: res.Diff, Lower: &res.Lower, Upper: &res.Upper, PValue: res.PNonPositive}
		}
	}
	res, err := decay.TTestMean(c, b)
	if err != nil || math.IsNaN(res.PGreater) {
		return nil
	}
	return &ErrorRateDiff{Method: "welch-t", Diff: mean(c) - mean(b), PValue: res.PGreater}
}

func bitsToFloats(v []uint8) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// summarise fills counts, moments and a sorted sample of x into f.
func summarise(f *Feature, x []float64, sampleSize int, seed uint64) {
	vals := drift.Finite(x)
	f.Missing = len(x) - len(vals)
	f.N = len(vals)
	if f.Categorical {
		f.Counts = nil
		for _, v := range vals {
			c := int(v)
			if c < 0 || c > maxCodes {
				c = otherCode
			}
			for len(f.Counts) <= c {
				f.Counts = append(f.Counts, 0)
			}
			f.Counts[c]++
		}
	} else {
		b := drift.Bins{Cuts: f.Cuts}
		f.Counts, _ = b.Count(vals)
	}
	if len(vals) == 0 {
		return // moments stay 0 (JSON has no NaN); N says there were none
	}
	sum, lo, hi := 0.0, vals[0], vals[0]
	for _, v := range vals {
		sum += v
		lo, hi = min(lo, v), max(hi, v)
	}
	mean := sum / float64(len(vals))
	ss := 0.0
	for _, v := range vals {
		ss += (v - mean) * (v - mean)
	}
	f.Mean, f.Std, f.Min, f.Max = mean, math.Sqrt(ss/float64(len(vals))), lo, hi
	f.Sample = sample(vals, sampleSize, seed)
}

// sample returns a sorted uniform sample of at most k values, the same
// for the same input and seed.
func sample(vals []float64, k int, seed uint64) []float64 {
	var out []float64
	if len(vals) <= k {
		out = slices.Clone(vals)
	} else {
		rng := rand.New(rand.NewPCG(seed, sampleSeed))
		out = slices.Clone(vals[:k])
		for i := k; i < len(vals); i++ { // reservoir sampling (Algorithm R)
			if j := rng.IntN(i + 1); j < k {
				out[j] = vals[i]
			}
		}
	}
	slices.Sort(out)
	return out
}

func labelStats(scores, labels []float64) Labels {
	l := Labels{ScorePos: make([]float64, ScoreBins), ScoreNeg: make([]float64, ScoreBins)}
	b := drift.Bins{Cuts: scoreCuts}
	for i, y := range labels {
		if math.IsNaN(y) {
			continue
		}
		l.Labeled++
		if y == 1 {
			l.Positives++
		}
		if scores == nil || math.IsNaN(scores[i]) {
			continue
		}
		p := scores[i]
		l.Scored++
		l.SqErr += (p - y) * (p - y)
		pred := p >= 0.5
		if pred == (y == 1) {
			l.Correct++
			if len(l.Errors) < MaxErrors {
				l.Errors = append(l.Errors, 0)
			}
		} else if len(l.Errors) < MaxErrors {
			l.Errors = append(l.Errors, 1)
		}
		switch {
		case pred && y == 1:
			l.TP++
		case pred:
			l.FP++
		case y == 1:
			l.FN++
		}
		q := math.Min(math.Max(p, 1e-15), 1-1e-15)
		l.LogLoss -= y*math.Log(q) + (1-y)*math.Log(1-q)
		if y == 1 {
			l.ScorePos[b.Index(p)]++
		} else {
			l.ScoreNeg[b.Index(p)]++
		}
	}
	return l
}
