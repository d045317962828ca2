package monitor

import (
	"math"

	"github.com/freshet/freshet/ml/decay"
)

// Perf is a window's measured performance on its labeled, scored rows,
// compared with the baseline (the champion's validation metrics).
type Perf struct {
	Start, End int64
	Labeled    int
	Scored     int
	Accuracy   float64 // NaN when nothing is scored
	AUC        float64 // NaN when one class only
	LogLoss    float64
	F1         float64 // NaN without predicted or actual positives
	RMSE       float64 // of the scores against the labels (regression)
	// AUCStdErr is Hanley & McNeil's (1982) standard error of the AUC.
	AUCStdErr float64
	// AccuracyStdErr is the binomial standard error.
	AccuracyStdErr float64
	// Drop is baseline minus window for the primary metric (positive:
	// worse), PValue its one-sided z-test against the baseline's own
	// uncertainty, Significant when p < 0.05 and Drop ≥ MinDrop.
	Drop        float64
	PValue      float64
	Significant bool
	// EstAccuracy and EstAUC are label-free estimates from the scores of
	// every row, labeled or not (CBPE, as NannyML: with calibrated scores
	// a row scored p is right with probability max(p, 1-p) and counts as
	// p positives and 1-p negatives). NaN when nothing was scored.
	EstAccuracy float64
	EstAUC      float64
	// Alarms names the streaming detectors that fired on the error stream
	// inside this window (see Detect).
	Alarms []string
	// ErrorRate is the bootstrap (or t-test) comparison of the window's
	// error rate with the champion's validation error rate.
	ErrorRate *ErrorRateDiff
}

// MinDrop is the practical threshold: smaller drops are not decay even
// when significant.
const MinDrop = 0.02

// Performance measures a window. primary is "auc" or "accuracy";
// baseline the champion's validation metrics (with "rows").
func Performance(w *Window, primary string, baseline map[string]float64) Perf {
	l := w.Labels
	p := Perf{Start: w.Start, End: w.End, Labeled: l.Labeled, Scored: l.Scored, Accuracy: math.NaN(), AUC: math.NaN(), LogLoss: math.NaN(),
		F1: math.NaN(), RMSE: math.NaN(), Drop: math.NaN(), PValue: math.NaN()}
	p.EstAccuracy, p.EstAUC = cbpe(w.Score.Counts)
	p.ErrorRate = l.ErrorRate
	if l.Scored == 0 {
		return p
	}
	n := float64(l.Scored)
	p.Accuracy = float64(l.Correct) / n
	p.AccuracyStdErr = math.Sqrt(p.Accuracy * (1 - p.Accuracy) / n)
	p.LogLoss = l.LogLoss / n
	p.RMSE = math.Sqrt(l.SqErr / n)
	p.F1 = math.NaN()
	if d := 2*l.TP + l.FP + l.FN; d > 0 {
		p.F1 = 2 * float64(l.TP) / float64(d)
	}
	p.AUC = binnedAUC(l.ScorePos, l.ScoreNeg)
	var pos, neg float64
	for i := range l.ScorePos {
		pos += l.ScorePos[i]
		neg += l.ScoreNeg[i]
	}
	if !math.IsNaN(p.AUC) {
		p.AUCStdErr = hanleyMcNeil(p.AUC, pos, neg)
	}
	base, ok := baseline[primary]
	rows := baseline["rows"]
	if !ok || rows <= 0 {
		return p
	}
	var cur, se, baseSE float64
	switch primary {
	case "auc":
		if math.IsNaN(p.AUC) {
			return p
		}
		// The baseline's class balance is unknown here: assume the window's.
		frac := pos / (pos + neg)
		cur, se, baseSE = p.AUC, p.AUCStdErr, hanleyMcNeil(base, rows*frac, rows*(1-frac))
	case "accuracy":
		if e := l.ErrorRate; e != nil {
			// The error rate's rise is the accuracy's drop: use the
			// bootstrap (or t-test) of the per-row errors directly.
			p.Drop, p.PValue = e.Diff, e.PValue
			p.Significant = e.PValue < 0.05 && e.Diff >= MinDrop && (e.Lower == nil || *e.Lower > 0)
			return p
		}
		cur, se, baseSE = p.Accuracy, p.AccuracyStdErr, math.Sqrt(base*(1-base)/rows)
	default:
		return p
	}
	p.Drop = base - cur
	if s := math.Hypot(se, baseSE); s > 0 {
		z := p.Drop / s
		p.PValue = 0.5 * math.Erfc(z/math.Sqrt2)
	}
	p.Significant = p.PValue < 0.05 && p.Drop >= MinDrop
	return p
}

// binnedAUC is the Mann–Whitney AUC over score histograms, counting pairs
// in the same bin as ties (half).
func binnedAUC(pos, neg []float64) float64 {
	var P, N, below, sum float64
	for i := range pos {
		P += pos[i]
		N += neg[i]
	}
	if P == 0 || N == 0 {
		return math.NaN()
	}
	for i := range pos {
		sum += pos[i] * (below + 0.5*neg[i])
		below += neg[i]
	}
	return sum / (P * N)
}

// hanleyMcNeil is the standard error of an AUC from P positives and N
// negatives (Hanley & McNeil, Radiology 1982, eq. 2).
func hanleyMcNeil(a, P, N float64) float64 {
	if P < 1 || N < 1 {
		return math.NaN()
	}
	q1, q2 := a/(2-a), 2*a*a/(1+a)
	v := (a*(1-a) + (P-1)*(q1-a*a) + (N-1)*(q2-a*a)) / (P * N)
	return math.Sqrt(math.Max(v, 0))
}

// cbpe estimates accuracy and AUC from a histogram of scores over the
// fixed score bins, taking each bin's midpoint as its probability.
func cbpe(counts []float64) (acc, auc float64) {
	if len(counts) != ScoreBins {
		return math.NaN(), math.NaN()
	}
	pos, neg := make([]float64, ScoreBins), make([]float64, ScoreBins)
	var n, right float64
	for b, c := range counts {
		mid := (float64(b) + 0.5) / ScoreBins
		n += c
		right += c * math.Max(mid, 1-mid)
		pos[b], neg[b] = c*mid, c*(1-mid)
	}
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	return right / n, binnedAUC(pos, neg)
}

// Detect runs the streaming detectors (River's defaults) over the error
// streams of consecutive windows, oldest first, and records in each Perf
// which detectors alarmed inside that window.
//
// Only a rising error rate is an alarm. River's ADWIN, KSWIN and
// Page-Hinkley (mode "both") report a change either way, so a week where
// the champion errs less raised decay alarms (on the Elec2 demo, adwin
// and page_hinkley in the week of 1997-05-08, AUC 0.974 against a
// baseline of 0.659). Page-Hinkley watches rises only (River's mode
// "up"); ADWIN's and KSWIN's detections count when the newer errors are
// the more frequent (decay.Rising). A detection the other way still
// restarts the detector, as in River, so later errors are compared with
// the better level; the decay trigger then asks that the alarming window
// also be worse than the baseline (ml/policy).
func Detect(ws []*Window, perf []Perf) {
	var dets []decay.Detector
	if d, err := decay.NewADWIN(decay.DefaultADWINConfig()); err == nil {
		dets = append(dets, d)
	}
	ph := decay.DefaultPageHinkleyConfig()
	ph.Mode = decay.PHUp
	if d, err := decay.NewPageHinkley(ph); err == nil {
		dets = append(dets, d)
	}
	if d, err := decay.NewDDM(decay.DefaultDDMConfig()); err == nil {
		dets = append(dets, d)
	}
	if d, err := decay.NewKSWIN(decay.DefaultKSWINConfig(42)); err == nil {
		dets = append(dets, d)
	}
	for i, w := range ws {
		fired := map[string]bool{}
		for _, e := range w.Labels.Errors {
			for _, d := range dets {
				if d.Update(float64(e)) && decay.Rising(d) {
					fired[d.Name()] = true
				}
			}
		}
		for _, d := range dets {
			if fired[d.Name()] {
				perf[i].Alarms = append(perf[i].Alarms, d.Name())
			}
		}
	}
}
