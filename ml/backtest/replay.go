package backtest

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/drift"
	"github.com/freshet/freshet/ml/metrics"
	"github.com/freshet/freshet/ml/monitor"
	"github.com/freshet/freshet/ml/online"
	"github.com/freshet/freshet/ml/policy"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/ml/window"
)

// champion is the model serving the replayed predictions.
type champion struct {
	res  *train.Result // a GBDT, or nil for an online snapshot
	ftrl *online.Model
	// dataEnd is the row after the last one the champion's data window
	// reached; saw the row after the last one it learned from at all (a
	// warm start learns on top of older data, an online snapshot from
	// every row so far).
	dataEnd, saw int
	// importance of the features (drift weighting).
	importance map[string]float64
	// ref and base are the monitoring reference and decay baseline (the
	// champion's first scored batch), built only when the policy
	// monitors.
	ref      *monitor.Reference
	base     map[string]float64
	windows  []*monitor.Window
	firstAUC float64 // primary metric of the first batch it scored
	firstAcc float64
	// raw holds the GBDT's raw scores of the rows it served, from dataEnd
	// on: a warm start on them need not score them again.
	raw []float64
}

// predict scores rows [lo, hi); serve keeps the raw scores of rows
// served in order.
func (c *champion) predict(X [][]float64, lo, hi int, row []float64, serve bool) []float64 {
	out := make([]float64, hi-lo)
	var raw [1]float64
	for i := lo; i < hi; i++ {
		for j := range X {
			row[j] = X[j][i]
		}
		if c.ftrl != nil {
			out[i-lo] = c.ftrl.PredictOne(row)
			continue
		}
		c.res.Model.PredictRawInto(row, raw[:])
		out[i-lo] = 1 / (1 + math.Exp(-raw[0]))
		if serve && i == c.dataEnd+len(c.raw) {
			c.raw = append(c.raw, raw[0])
		}
	}
	return out
}

// run is one policy's replay state: the live loop's facts on a replayed
// clock.
type run struct {
	cfg     Config
	h       *history
	p       ml.PolicyConfig
	res     *Result
	champ   *champion
	learner *online.Model // the online learner (strategy online)
	learnTo int           // rows the learner has seen
	row     []float64

	monitors  bool
	lastTrain time.Time
	sinceFull int
	fullEnd   int // the data end of the last full retrain
	costs     []policy.CostPoint
	gains     []policy.GainPoint
	spent     []spend // CPU-seconds by replayed time, for the budgets
	spendAt   int     // the newest known row when the next spend happens
	// starts and flagged are every monitored batch's start and whether
	// it drifted or decayed, for drift-aware windows.
	starts  []int64
	flagged []bool
	// pendingGain is the last update's gap, scored on the next batch.
	pendingGain *pendingGain
}

type spend struct {
	at  time.Time
	cpu float64
}

type pendingGain struct {
	gap      float64
	strategy string
	labels   int // the staleness the update removed
	old      *champion
}

func replay(ctx context.Context, cfg Config, h *history, p Policy, index int) (*Result, error) {
	r := &run{cfg: cfg, h: h, p: p.Config.WithDefaults(), res: &Result{Policy: p}, row: make([]float64, len(h.d.X))}
	r.monitors = r.p.Drift != nil || r.p.Decay != nil || r.p.Window.Kind == ml.WindowDriftAware
	d := h.d
	// The first model: a full retrain on the first rows, not counted
	// (and trained once for all the policies with this window).
	first, err := h.firstModel(cfg, r.p.Window)
	if err != nil {
		return nil, err
	}
	r.champ, r.fullEnd = r.newChampion(first.res, nil, h.init), h.init
	r.lastTrain = at(d.Time[h.init-1])
	// The policies' cost model starts from the calibration, as a live
	// model's starts from its past jobs.
	rows := first.rows
	for _, c := range []policy.CostPoint{{Strategy: ml.StrategyFull, Rows: rows, Rounds: cfg.Train.Rounds},
		{Strategy: ml.StrategyWarmStart, Rows: rows, Rounds: r.p.WarmRounds}, {Strategy: ml.StrategyOnline, Rows: rows, Rounds: 1}} {
		c.CPUSeconds = cfg.CostPerUnit * float64(c.Rows) * float64(c.Rounds)
		r.costs = append(r.costs, c)
	}
	if r.p.Strategy == ml.StrategyOnline {
		if r.learner, err = online.ForModel(cfg.Model); err != nil {
			return nil, err
		}
		if err := r.learn(h.init, false); err != nil {
			return nil, err
		}
	}

	primary := ml.MetricAUC
	if cfg.Model.Metric == ml.MetricAccuracy {
		primary = ml.MetricAccuracy
	}
	var aucSum, accSum float64
	aucN := 0
	for b, br := range h.batches {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		lo, hi := br[0], br[1]
		// 1. The champion predicts the batch before its labels exist.
		scores := r.champ.predict(d.X, lo, hi, r.row, true)
		y := d.Y[lo:hi]
		bt := Batch{Start: d.Time[lo], End: d.Time[hi-1], Rows: hi - lo, FirstRow: lo, ModelSaw: r.champ.saw, Accuracy: accuracy(scores, y), AUC: auc(scores, y)}
		accSum += bt.Accuracy
		if !math.IsNaN(bt.AUC) {
			aucSum += bt.AUC
			aucN++
		}
		metric := bt.AUC
		if primary == ml.MetricAccuracy {
			metric = bt.Accuracy
		}
		// What the last update won back, against the model it replaced,
		// on the first batch neither saw.
		if pg := r.pendingGain; pg != nil {
			old := pg.old.predict(d.X, lo, hi, r.row, false)
			oldMetric := auc(old, y)
			if primary == ml.MetricAccuracy {
				oldMetric = accuracy(old, y)
			}
			if !math.IsNaN(oldMetric) && !math.IsNaN(metric) {
				r.gains = append(r.gains, policy.GainPoint{Gap: pg.gap, Recovered: metric - oldMetric, Strategy: pg.strategy, Measured: true, Labels: pg.labels})
			}
			r.pendingGain = nil
		}
		// The champion's first batch with a primary metric is its baseline.
		base := r.champ.firstAUC
		if primary == ml.MetricAccuracy {
			base = r.champ.firstAcc
		}
		if math.IsNaN(base) {
			r.champ.firstAUC, r.champ.firstAcc = bt.AUC, bt.Accuracy
		}

		// Nothing is learned from the last batch: no batch follows that
		// it could serve.
		if b == len(h.batches)-1 {
			r.res.Batches = append(r.res.Batches, bt)
			if cfg.Progress != nil {
				cfg.Progress(index, b+1, len(h.batches))
			}
			break
		}
		// 2. The labels arrive: the online learner takes them in order.
		if r.learner != nil {
			if err := r.learn(hi, true); err != nil {
				return nil, err
			}
		}
		// 3. Monitoring sees the labeled window; the policy decides.
		s := r.state(at(d.Time[hi-1]), hi, primary, metric)
		if r.monitors {
			if err := r.monitor(&s, lo, hi, scores, primary); err != nil {
				return nil, err
			}
		}
		dec := policy.Evaluate(r.p, s)
		if dec.Outcome == policy.OutcomeFired {
			bt.Update, bt.Why = dec.Strategy, firedReasons(dec)
			if err := r.update(dec.Strategy, hi, s); err != nil {
				return nil, err
			}
		}
		r.res.Batches = append(r.res.Batches, bt)
		if cfg.Progress != nil {
			cfg.Progress(index, b+1, len(h.batches))
		}
	}
	r.res.MeanAccuracy = accSum / float64(len(h.batches))
	r.res.MeanAUC = math.NaN()
	if aucN > 0 {
		r.res.MeanAUC = aucSum / float64(aucN)
	}
	return r.res, nil
}

func at(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// state gathers what the live trigger job gathers from the store.
func (r *run) state(now time.Time, end int, primary string, metric float64) policy.State {
	d := r.h.d
	s := policy.State{Now: now, Created: at(d.Time[0]), LastTrain: r.lastTrain, UpdatesSinceFull: r.sinceFull, HasChampion: true,
		FullRounds: r.cfg.Train.Rounds, OnlineCapable: true, Costs: r.costs, Gains: r.gains, Gap: math.NaN()}
	s.NewLabels, s.LabelsSinceFull = end-r.champ.dataEnd, end-r.fullEnd
	if sel, err := window.Select(r.p.Window, d.Time[:end], 0); err == nil {
		s.TrainRows = end - sel.Lo
	}
	s.WarmRows = max(min(s.NewLabels, s.TrainRows), 50)
	for _, sp := range r.spent {
		if sp.at.After(now.Add(-24 * time.Hour)) {
			s.UsedDay += sp.cpu
		}
		if sp.at.After(now.Add(-7 * 24 * time.Hour)) {
			s.UsedWeek += sp.cpu
		}
	}
	base := r.champ.firstAUC
	if primary == ml.MetricAccuracy {
		base = r.champ.firstAcc
	}
	if !math.IsNaN(base) && !math.IsNaN(metric) {
		s.Gap = base - metric
	}
	return s
}

// monitor profiles the labeled batch against the champion's reference,
// as the live monitor does for a window, and hands the verdicts to the
// policy.
func (r *run) monitor(s *policy.State, lo, hi int, scores []float64, primary string) error {
	c := r.champ
	d := r.h.d
	if c.ref == nil {
		X := d.Slice(c.dataEnd-min(c.dataEnd, monitor.RefSample), c.dataEnd).X
		c.ref = monitor.NewReference(r.cfg.Model, X, c.predict(d.X, c.dataEnd-min(c.dataEnd, monitor.RefSample), c.dataEnd, r.row, false))
	}
	w := c.ref.Profile(d.Time[lo], d.Time[hi-1], d.Slice(lo, hi).X, scores, d.Y[lo:hi])
	if c.base == nil {
		// The champion's first batch is its baseline for decay.
		p := monitor.Performance(w, primary, nil)
		c.base = map[string]float64{ml.MetricAUC: p.AUC, ml.MetricAccuracy: p.Accuracy, "rows": float64(w.Labels.Scored)}
		c.ref.BaselineErrors = w.Labels.Errors
		c.ref.Metrics = c.base
		return nil
	}
	wd, err := monitor.Drift(c.ref, w, drift.Config{}, c.importance)
	if err != nil {
		return err
	}
	c.windows = append(c.windows, w)
	perfs := make([]monitor.Perf, len(c.windows))
	for i, cw := range c.windows {
		perfs[i] = monitor.Performance(cw, primary, c.base)
	}
	monitor.Detect(c.windows, perfs)
	p := perfs[len(perfs)-1]
	r.starts = append(r.starts, d.Time[lo])
	r.flagged = append(r.flagged, wd.DatasetDrift || wd.WeightedDrift || p.Significant || len(p.Alarms) > 0)
	start, end := at(d.Time[lo]), at(d.Time[hi-1])
	drifted := policy.WindowDrift{Start: start, End: end, Share: wd.Share, WeightedShare: wd.WeightedShare, Drifted: wd.Drifted,
		Features: len(wd.Features), Rows: wd.Rows}
	if wd.Prediction != nil {
		drifted.PredictionDrift = wd.Prediction.Drifted
	}
	s.Drift = []policy.WindowDrift{drifted}
	val := p.AUC
	if primary == ml.MetricAccuracy {
		val = p.Accuracy
	}
	s.Decay = []policy.WindowDecay{{Start: start, End: end, Metric: primary, Baseline: val + p.Drop, Value: val, Drop: p.Drop,
		PValue: p.PValue, Significant: p.Significant, Alarms: p.Alarms, Labeled: p.Labeled}}
	return nil
}

// update runs the strategy the policy chose, after the labels of rows
// [0, end) are known.
func (r *run) update(strategy string, end int, s policy.State) error {
	old := r.champ
	labels := s.NewLabels
	switch strategy {
	case ml.StrategyFull:
		c, err := r.full(end)
		if err != nil {
			return err
		}
		labels = s.LabelsSinceFull
		r.champ, r.sinceFull, r.fullEnd = c, 0, end
		r.res.Retrains++
	case ml.StrategyWarmStart:
		c, err := r.warm(end, s.WarmRows)
		if err != nil {
			return err
		}
		r.champ = c
		r.sinceFull++
		r.res.Updates++
	case ml.StrategyOnline:
		c, err := r.snapshot(end)
		if err != nil {
			return err
		}
		r.champ = c
		r.sinceFull++
		r.res.Updates++
	default:
		return fmt.Errorf("strategy %q", strategy)
	}
	r.lastTrain = s.Now
	r.pendingGain = &pendingGain{gap: s.Gap, strategy: strategy, labels: labels, old: old}
	return nil
}

// measure runs f and books its CPU time and rows × rounds.
func (r *run) measure(strategy string, rows, rounds int, book bool, f func() error) error {
	t0 := r.cfg.CPU()
	if err := f(); err != nil {
		return err
	}
	cpu := (r.cfg.CPU() - t0).Seconds()
	if !book {
		return nil
	}
	r.res.TrainCPUSeconds += cpu
	r.res.RowsXRounds += float64(rows) * float64(rounds)
	// The policy sees the noise-free cost (Config.CostPerUnit).
	seen := r.cfg.CostPerUnit * float64(rows) * float64(rounds)
	r.costs = append(r.costs, policy.CostPoint{Strategy: strategy, Rows: rows, Rounds: rounds, CPUSeconds: seen})
	if len(r.costs) > 2*policy.MaxCostPoints {
		r.costs = append(r.costs[:0], r.costs[len(r.costs)-policy.MaxCostPoints:]...)
	}
	r.spent = append(r.spent, spend{at: at(r.h.d.Time[r.spendAt]), cpu: seen})
	return nil
}

// full trains a new model on the policy's window of rows [0, end).
func (r *run) full(end int) (*champion, error) {
	var changePoint int64
	if cp, ok := window.ChangePoint(r.starts, r.flagged); ok {
		changePoint = cp
	}
	data, err := windowRows(r.h.d, r.p.Window, end, changePoint)
	if err != nil {
		return nil, err
	}
	var res *train.Result
	r.spendAt = end - 1
	err = r.measure(ml.StrategyFull, data.Len(), r.cfg.Train.Rounds, true, func() error {
		res, err = fitAll(r.cfg, data)
		return err
	})
	if err != nil {
		return nil, err
	}
	return r.newChampion(res, nil, end), nil
}

// windowRows are the rows window w chooses of [0, end). The backtest
// promotes every retrain (there is no gate), so the window's holdout
// trains too.
func windowRows(d train.Data, w ml.DataWindow, end int, changePoint int64) (train.Data, error) {
	sel, err := window.Select(w, d.Time[:end], changePoint)
	if err != nil {
		return train.Data{}, err
	}
	data := d.Slice(sel.Lo, end)
	if sel.Weights != nil {
		wt := make([]float64, end-sel.Lo)
		copy(wt, sel.Weights)
		for i := len(sel.Weights); i < len(wt); i++ {
			wt[i] = sel.Weights[len(sel.Weights)-1]
		}
		data.W = wt
	}
	return data, nil
}

// fitAll is a backtest's full retrain: every row of data trains, for
// cfg.Train.Rounds rounds.
func fitAll(cfg Config, data train.Data) (*train.Result, error) {
	return train.Fit(cfg.Model, data, cfg.Train, train.Options{TrainAll: true, NoText: true})
}

// warm adds the policy's warm-start rounds to the champion, fitted on
// the newest rows rows of [0, end).
func (r *run) warm(end, rows int) (*champion, error) {
	if r.champ.res == nil {
		return r.full(end) // an online snapshot cannot be warm-started
	}
	lo := max(0, end-rows)
	data := r.h.d.Slice(lo, end)
	opt := train.Options{NoText: true}
	if c := r.champ; lo >= c.dataEnd && end <= c.dataEnd+len(c.raw) {
		opt.StartScores = c.raw[lo-c.dataEnd : end-c.dataEnd]
	}
	var res *train.Result
	r.spendAt = end - 1
	err := r.measure(ml.StrategyWarmStart, data.Len(), r.p.WarmRounds, true, func() error {
		var err error
		res, err = train.WarmStartModel(r.cfg.Model, r.champ.res.Model, data, r.p.WarmRounds, r.cfg.Train, opt)
		return err
	})
	if err != nil {
		return nil, err
	}
	return r.newChampion(res, nil, end), nil
}

// learn feeds the online learner the rows up to end, in order.
func (r *run) learn(end int, book bool) error {
	d := r.h.d
	lo := r.learnTo
	r.spendAt = end - 1
	err := r.measure(ml.StrategyOnline, end-lo, 1, book, func() error {
		for i := lo; i < end; i++ {
			for j := range d.X {
				r.row[j] = d.X[j][i]
			}
			if err := r.learner.LearnOne(r.row, d.Y[i]); err != nil {
				return err
			}
		}
		return nil
	})
	r.learnTo = end
	return err
}

// snapshot makes the online learner as it is the champion.
func (r *run) snapshot(end int) (*champion, error) {
	c := r.learner.Clone()
	return r.newChampion(nil, c, end), nil
}

func (r *run) newChampion(res *train.Result, l *online.Model, end int) *champion {
	c := &champion{res: res, ftrl: l, dataEnd: end, saw: end, firstAUC: math.NaN(), firstAcc: math.NaN()}
	if res != nil && r.monitors {
		c.importance = map[string]float64{}
		for _, im := range res.Importance {
			c.importance[im.Feature] = im.Gain
		}
	}
	return c
}

// auc is the batch's AUC, NaN with one class.
func auc(scores, y []float64) float64 {
	v, err := metrics.AUC(y, scores, nil)
	if err != nil {
		return math.NaN()
	}
	return v
}

// accuracy is the batch's accuracy at 0.5.
func accuracy(scores, y []float64) float64 {
	v, err := metrics.Accuracy(y, scores, nil)
	if err != nil {
		return math.NaN()
	}
	return v
}

// firedReasons are the reason lines of the triggers that fired, then why
// the strategy was chosen.
func firedReasons(dec policy.Decision) string {
	labels := map[string]string{ml.TriggerManual: "manual", ml.TriggerSchedule: "schedule", ml.TriggerDrift: "drift",
		ml.TriggerDecay: "decay", ml.TriggerVolume: "volume", ml.TriggerCostAware: "cost-aware"}
	var out []string
	for _, line := range dec.Reasons {
		for _, f := range dec.Fired {
			if strings.HasPrefix(line, labels[f]+":") {
				out = append(out, line)
				break
			}
		}
	}
	if dec.StrategyWhy != "" {
		out = append(out, dec.StrategyWhy)
	}
	return strings.Join(out, "; ")
}
