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
)

// GainPoint is one past retrain's effect, in metric units: Gap is the
// champion's baseline minus its recent metric when the retrain was
// decided; Recovered is the new version's metric minus the old champion's
// recent metric.
type GainPoint struct {
	Gap       float64
	Recovered float64
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

// FitGain is the median of Recovered/Gap over the points with Gap >
// MinGainGap and finite values, clamped to [0, MaxRecovery];
// DefaultRecovery when there are none.
func FitGain(points []GainPoint) GainModel {
	var ratios []float64
	for _, p := range points {
		if p.Gap > MinGainGap && !math.IsInf(p.Gap, 0) && !math.IsNaN(p.Recovered) && !math.IsInf(p.Recovered, 0) {
			ratios = append(ratios, p.Recovered/p.Gap)
		}
	}
	if len(ratios) == 0 {
		return GainModel{Ratio: DefaultRecovery, Default: true,
			Basis: fmt.Sprintf("default recovery %s of the gap: no past retrains to go by", num(DefaultRecovery))}
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
