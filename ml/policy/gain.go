package policy

import (
	"fmt"
	"math"
	"slices"

	"github.com/freshet/freshet/ml"
)

// Gain model constants.
const (
	// DefaultRecovery is the share of the gap a retrain is assumed to win
	// back when there is no history.
	DefaultRecovery = 0.7
	// MaxRecovery caps the fitted recovery ratio.
	MaxRecovery = 1.5
	// MinGainGap is the smallest past gap (metric units) whose recovery
	// counts: below it the ratio is noise.
	MinGainGap = 0.005
	// UpdateGainShare is the share of a full retrain's expected gain that
	// a warm start or an online update is expected to win.
	UpdateGainShare = 0.6
	// MinMeasured is the fewest measured past gains of a strategy that
	// make a measured estimate; MaxMeasured how many of the newest count.
	MinMeasured = 3
	MaxMeasured = 30
)

// GainPoint is one past retrain's effect, in metric units: Gap is the
// champion's baseline minus its recent metric when the retrain was
// decided; Recovered is the new version's metric minus the old
// champion's. Measured is set when both were scored on the same rows
// that neither had learned from (the gate's holdout; in a backtest the
// next batch): only such points make a measured estimate (see
// MeasuredGain). Strategy is the update's (empty counts as full). Labels
// is the staleness the update removed: the labels that had arrived since
// the data of the model it replaced (since the last full retrain's, for
// a full retrain).
type GainPoint struct {
	Gap       float64
	Recovered float64
	Strategy  string
	Measured  bool
	Labels    int
}

// MeasuredGain is what an update of strategy is expected to win now, in
// metric units, when labels new labels have arrived (see
// GainPoint.Labels), from its newest MaxMeasured measured points: each
// point's gain per new label, their mean plus one standard error, times
// labels. It also says how many points there were; ok is false with
// fewer than MinMeasured.
//
// A stale model gains more from an update than a fresh one, so gains are
// scaled by staleness: a full retrain measured after eight weekly warm
// starts won about eight weeks' worth, which says little about one a week
// after the last. And one update's gain is noisy (a week of Elec2: a
// standard deviation of 3 points around a mean of 0.6), so the estimate
// is optimistic by its own uncertainty: an update whose worth is unsure
// keeps being tried (and measured), one that measurably loses is not.
func MeasuredGain(points []GainPoint, strategy string, labels int) (gain float64, n int, ok bool) {
	var sum, sum2 float64
	for i := len(points) - 1; i >= 0 && n < MaxMeasured; i-- {
		p := points[i]
		st := p.Strategy
		if st == "" {
			st = ml.StrategyFull
		}
		if p.Measured && st == strategy && p.Labels > 0 && !math.IsNaN(p.Recovered) && !math.IsInf(p.Recovered, 0) {
			r := p.Recovered / float64(p.Labels)
			sum += r
			sum2 += r * r
			n++
		}
	}
	if n < MinMeasured {
		return 0, n, false
	}
	mean := sum / float64(n)
	variance := math.Max(0, (sum2-float64(n)*mean*mean)/float64(n-1))
	return (mean + math.Sqrt(variance/float64(n))) * float64(max(labels, 0)), n, true
}

// GainEstimate is the expected gain of a retrain, in metric points (0.01
// of the metric).
type GainEstimate struct {
	Points float64
	// Strategy is the strategy the gain is for.
	Strategy string
	// Value is Points × the policy's value per point, in CPU-seconds.
	Value float64
	// Basis says where the numbers come from.
	Basis string
}

// GainModel predicts what share of the current gap a retrain wins back.
type GainModel struct {
	// Ratio is the median recovered share of the gap.
	Ratio float64
	// N is how many past retrains were used; Default is set when none.
	N       int
	Default bool
	Basis   string
}

// FitGain is the median of Recovered/Gap over the points that are not
// Measured with Gap > MinGainGap and finite values, clamped to [0, MaxRecovery];
// DefaultRecovery when there are fewer than MinMeasured (one unlucky
// retrain must not silence the trigger).
func FitGain(points []GainPoint) GainModel {
	var ratios []float64
	for _, p := range points {
		if p.Measured {
			continue // see MeasuredGain
		}
		if p.Gap > MinGainGap && !math.IsInf(p.Gap, 0) && !math.IsNaN(p.Recovered) && !math.IsInf(p.Recovered, 0) {
			ratios = append(ratios, p.Recovered/p.Gap)
		}
	}
	if len(ratios) < MinMeasured {
		return GainModel{Ratio: DefaultRecovery, Default: true, N: len(ratios),
			Basis: fmt.Sprintf("default recovery %s of the gap: %s to go by", num(DefaultRecovery), fewRetrains(len(ratios)))}
	}
	slices.Sort(ratios)
	n := len(ratios)
	med := ratios[n/2]
	if n%2 == 0 {
		med = (ratios[n/2-1] + ratios[n/2]) / 2
	}
	med = math.Max(0, math.Min(MaxRecovery, med))
	return GainModel{Ratio: med, N: n,
		Basis: fmt.Sprintf("median recovery %s of the gap over %s", num(med), plural(n, "past retrain", "past retrains"))}
}

// Points is the expected gain in metric points of closing gap (metric
// units) with strategy: gap × Ratio × 100 for a full retrain,
// UpdateGainShare of that for a warm start or an online update, 0 when
// the gap is unknown (NaN) or not positive.
func (m GainModel) Points(gap float64, strategy string) float64 {
	if !(gap > 0) || math.IsInf(gap, 0) {
		return 0
	}
	p := gap * m.Ratio * 100
	if strategy == ml.StrategyWarmStart || strategy == ml.StrategyOnline {
		p *= UpdateGainShare
	}
	return p
}

func fewRetrains(n int) string {
	if n == 0 {
		return "no past retrains"
	}
	return fmt.Sprintf("only %s", plural(n, "past retrain", "past retrains"))
}
