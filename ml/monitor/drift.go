package monitor

import (
	"math"

	"github.com/freshet/freshet/ml/drift"
)

// FeatureDrift is one feature's drift in a window, with what charts need.
type FeatureDrift struct {
	drift.FeatureReport
	// Ratio is how far past its threshold the feature is: score/threshold
	// for distances, threshold/p for tests; ≥ 1 means drifted.
	Ratio float64 `json:"ratio"`
	// PSI over the reference's quantile bins (numeric features).
	PSI float64 `json:"psi"`
	// Natural is the statistic's natural level: what the reference's own
	// windows of this size reach (see Reference.Natural); 0 when not
	// measured. A feature drifts only past both it and Threshold.
	Natural float64 `json:"natural"`
}

// WindowDrift is a window's drift against its reference.
type WindowDrift struct {
	Start, End    int64
	Rows          int
	Features      []FeatureDrift
	Drifted       int
	Share         float64
	WeightedShare float64
	DatasetDrift  bool
	WeightedDrift bool
	// Prediction is the drift of the champion's scores.
	Prediction *FeatureDrift
	// Multi is the window's multivariate drift, when computed.
	Multi *Multivariate
}

// Drift compares a window with the reference, feature by feature, with
// ml/drift's automatic choice of statistic (Evidently's rule, on the
// stored samples) and the champion's importances as weights. A feature
// drifts only when its statistic also exceeds its natural level, what
// the reference's own windows of this size reach (Reference.Natural).
func Drift(r *Reference, w *Window, cfg drift.Config, importance map[string]float64) (*WindowDrift, error) {
	small := cfg.SmallReference
	if small == 0 {
		small = drift.DefaultConfig().SmallReference
	}
	cols := make([]drift.Column, 0, len(r.Features))
	for j, rf := range r.Features {
		wf := w.Features[j]
		c := drift.Column{Name: rf.Name, Categorical: rf.Categorical, Importance: importance[rf.Name]}
		if rf.Categorical {
			c.Ref, c.Cur = expand(rf.Counts), expand(wf.Counts)
		} else {
			c.Ref, c.Cur = rf.Sample, wf.Sample
		}
		// The method Detect would choose, fixed here so that the natural
		// level is measured with the same statistic.
		c.Method = drift.ChooseMethod(drift.Finite(c.Ref), drift.Finite(c.Cur), c.Categorical, small)
		cols = append(cols, c)
	}
	out := &WindowDrift{Start: w.Start, End: w.End, Rows: w.Rows, Multi: w.Multi}
	if w.Rows == 0 {
		return out, nil
	}
	rep, err := drift.Detect(cols, cfg)
	if err != nil {
		return nil, err
	}
	natural := make([]float64, len(rep.Features))
	for j, c := range cols {
		natural[j] = r.Natural(j, c.Method, w.Rows, c.Ref, c.Categorical, cfg)
	}
	withinNatural(&rep, natural, cfg)
	for j, fr := range rep.Features {
		fd := FeatureDrift{FeatureReport: fr, Ratio: ratio(fr), PSI: math.NaN(), Natural: natural[j]}
		if n := natural[j]; n > 0 {
			// How far past the natural level, for the charts: the smaller
			// of the two ratios decides.
			fd.Ratio = min(fd.Ratio, effect(fr)/n)
		}
		if rf := r.Features[j]; !rf.Categorical && len(rf.Counts) == len(w.Features[j].Counts) && rf.N > 0 && w.Features[j].N > 0 {
			if psi, err := drift.PSI(rf.Counts, w.Features[j].Counts); err == nil {
				fd.PSI = psi
			}
		}
		out.Features = append(out.Features, fd)
	}
	out.Drifted, out.Share, out.WeightedShare = rep.Drifted, rep.Share, rep.WeightedShare
	out.DatasetDrift, out.WeightedDrift = rep.DatasetDrift, rep.WeightedDrift
	if len(r.Score.Sample) > 0 && len(w.Score.Sample) > 0 {
		pr, err := drift.Detect([]drift.Column{{Name: "prediction", Ref: r.Score.Sample, Cur: w.Score.Sample}}, cfg)
		if err == nil && len(pr.Features) == 1 {
			fd := FeatureDrift{FeatureReport: pr.Features[0], Ratio: ratio(pr.Features[0]), PSI: math.NaN()}
			if psi, err := drift.PSI(r.Score.Counts, w.Score.Counts); err == nil {
				fd.PSI = psi
			}
			out.Prediction = &fd
		}
	}
	return out, nil
}

// withinNatural clears the verdict of features whose statistic does not
// exceed their natural level, and recounts the report's shares.
func withinNatural(rep *drift.Report, natural []float64, cfg drift.Config) {
	share := cfg.DriftShare
	if share == 0 {
		share = drift.DefaultConfig().DriftShare
	}
	rep.Drifted, rep.Share, rep.WeightedShare = 0, 0, 0
	for i := range rep.Features {
		f := &rep.Features[i]
		if f.Drifted && natural[i] > 0 && effect(*f) <= natural[i] {
			f.Drifted = false
		}
		if f.Drifted {
			rep.Drifted++
			rep.WeightedShare += f.Weight
		}
	}
	if n := len(rep.Features); n > 0 {
		rep.Share = float64(rep.Drifted) / float64(n)
	}
	rep.DatasetDrift = len(rep.Features) > 0 && rep.Share >= share
	rep.WeightedDrift = len(rep.Features) > 0 && rep.WeightedShare >= share-1e-12
}

func ratio(fr drift.FeatureReport) float64 {
	if fr.Method.IsTest() {
		if fr.Score <= 0 {
			return 1e6
		}
		return fr.Threshold / fr.Score
	}
	if fr.Threshold <= 0 {
		return 0
	}
	return fr.Score / fr.Threshold
}

// expand turns code counts into a list of codes.
func expand(counts []float64) []float64 {
	n := 0
	for _, c := range counts {
		n += int(c)
	}
	out := make([]float64, 0, n)
	for code, c := range counts {
		for range int(c) {
			out = append(out, float64(code))
		}
	}
	return out
}
