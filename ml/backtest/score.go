package backtest

import (
	"fmt"
	"math"
	"sort"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/window"
)

// AlphaStep is the spacing of the α grid C_α is reported on.
const AlphaStep = 0.005

// CAlpha is the C_α score of Regol et al. (ICML 2025, "When to retrain a
// machine learning model"), as freshet reports it: the mean metric minus
// α times the cost relative to retraining after every batch.
func CAlpha(metric, relCost, alpha float64) float64 { return metric - alpha*relCost }

// CAlphaArea is C_α's mean over α in [0, AlphaMax]: the area under the
// line over the width of the range, metric − AlphaMax/2 × relCost.
func CAlphaArea(metric, relCost float64) float64 { return metric - AlphaMax/2*relCost }

// everyBatchCost is the rows × rounds of a full retrain after every
// batch on cfg.Window.
func (h *history) everyBatchCost(cfg Config) float64 {
	var sum float64
	for _, b := range h.batches[:len(h.batches)-1] { // nothing follows the last
		end := b[1]
		sel, err := window.Select(cfg.Window, h.d.Time[:end], 0)
		if err != nil {
			continue
		}
		sum += float64(end-sel.Lo) * float64(cfg.Train.Rounds)
	}
	return sum
}

// score fills the relative costs, C_α, the Pareto front and the
// recommendation.
func score(rep *Report, cfg Config) {
	everyCPU := math.NaN()
	for _, r := range rep.Results {
		if isEveryBatch(r.Config, cfg) {
			everyCPU = r.TrainCPUSeconds
			break
		}
	}
	for _, r := range rep.Results {
		r.RelCost = r.RowsXRounds / rep.EveryBatchCost
		r.RelCPU = r.TrainCPUSeconds / everyCPU
		r.CAlpha = r.CAlpha[:0]
		for i := 0; i <= int(math.Round(AlphaMax/AlphaStep)); i++ {
			r.CAlpha = append(r.CAlpha, CAlpha(r.MeanAUC, r.RelCost, float64(i)*AlphaStep))
		}
		r.CAlphaAUC = CAlphaArea(r.MeanAUC, r.RelCost)
	}
	for _, r := range rep.Results {
		r.Pareto = !math.IsNaN(r.MeanAUC)
		for _, o := range rep.Results {
			if o != r && o.RelCost <= r.RelCost && o.MeanAUC >= r.MeanAUC && (o.RelCost < r.RelCost || o.MeanAUC > r.MeanAUC) {
				r.Pareto = false
				break
			}
		}
	}
	ranked := make([]*Result, 0, len(rep.Results))
	for _, r := range rep.Results {
		if !math.IsNaN(r.MeanAUC) {
			ranked = append(ranked, r)
		}
	}
	if len(ranked) == 0 {
		rep.Why = "no policy has a mean AUC (every batch has one class)"
		return
	}
	c := func(r *Result) float64 { return CAlpha(r.MeanAUC, r.RelCost, rep.Alpha) }
	sort.SliceStable(ranked, func(i, j int) bool { return c(ranked[i]) > c(ranked[j]) })
	best := ranked[0]
	rep.Recommended, best.Recommended = best.Name, true
	rep.Why = fmt.Sprintf("%s has the best C_α at α = %g: mean AUC %.4f − %g × relative cost %.3f = %.4f", best.Name, rep.Alpha, best.MeanAUC, rep.Alpha, best.RelCost, c(best))
	if len(ranked) > 1 {
		rep.Why += fmt.Sprintf("; next %s at %.4f", ranked[1].Name, c(ranked[1]))
	}
	if !best.Pareto {
		rep.Why += " (off the Pareto front: a cheaper policy scores as well)"
	}
}

// isEveryBatch reports whether p is a full retrain after every batch on
// cfg's window: the policy the costs are relative to.
func isEveryBatch(p ml.PolicyConfig, cfg Config) bool {
	if p.Strategy != ml.StrategyFull || p.Volume == nil || p.Schedule != "" || p.Drift != nil || p.Decay != nil || p.CostAware != nil {
		return false
	}
	if cfg.Batch > 0 && p.Volume.Labels > cfg.Batch || cfg.Batch == 0 && (p.Volume.Labels > 1 || p.CooldownDuration() >= cfg.BatchPeriod) {
		return false
	}
	a, b := p.Window, cfg.Window
	if a.Kind == "" {
		a.Kind = ml.WindowExpanding
	}
	if b.Kind == "" {
		b.Kind = ml.WindowExpanding
	}
	return a.Kind == b.Kind && a.Rows == b.Rows && a.Days == b.Days && a.HalfLifeDays == b.HalfLifeDays
}
