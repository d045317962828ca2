package backtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/train"
)

// Defaults of a Config.
const (
	DefaultInitFrac = 0.1
	DefaultRounds   = 50
	DefaultAlpha    = 0.01
	// AlphaMax is the top of the α range C_α is averaged over.
	AlphaMax = 0.05
	// MinBatches is the fewest batches a replay needs after the first
	// model's rows.
	MinBatches = 2
)

// Config is how a history is replayed.
type Config struct {
	// Model gives the features and the task (binary classification).
	Model *ml.Model
	// Batch is the rows per batch; BatchPeriod, when set instead, cuts
	// batches by time (Data.Time, unix ms) into periods of that length.
	Batch       int
	BatchPeriod time.Duration
	// InitFrac is the share of the oldest rows that trains the first
	// model (default 0.1); those rows are never scored.
	InitFrac float64
	// Train configures every full retrain (rounds default 50, depth 6);
	// a retrain trains on all of its window for Rounds rounds.
	Train ml.TrainConfig
	// Window is the data window of the every-batch reference the costs
	// are relative to (default: expanding).
	Window ml.DataWindow
	// Alpha is the model's weight of relative training cost against the
	// metric, for the recommendation (default 0.01).
	Alpha float64
	// CostPerUnit is the CPU-seconds per row × round that the replayed
	// policies see as the cost of past trainings (their cost model and
	// budgets): a noise-free cost, so a replay decides the same way every
	// time. 0 calibrates it from the measured CPU time of one fit of the
	// first model. The report's CPU-seconds are always measured.
	CostPerUnit float64
	// CPU reads the process's CPU time; the cost of every training is
	// the difference around it. Nil uses the wall clock (the figures are
	// then wall seconds).
	CPU func() time.Duration
	// Progress, when set, is called after every batch of every policy.
	Progress func(policy, batch, batches int)
}

// Policy is one retraining policy to replay: a live policy
// configuration under a name.
type Policy struct {
	Name string `json:"name"`
	// Settings says in words what the policy does.
	Settings string          `json:"settings"`
	Config   ml.PolicyConfig `json:"policy"`
}

// Batch is one replayed batch under one policy.
type Batch struct {
	Start, End int64 // unix ms of its first and last rows
	Rows       int
	// FirstRow is the batch's first row in the history, and ModelSaw the
	// rows the model that scored it had learned from ([0, ModelSaw)):
	// always ModelSaw ≤ FirstRow, the prequential rule.
	FirstRow, ModelSaw int
	Accuracy           float64
	AUC                float64 // NaN when the batch has one class
	// Update is what the policy did after seeing the batch's labels:
	// "" (nothing), ml.StrategyFull, ml.StrategyWarmStart or
	// ml.StrategyOnline.
	Update string
	// Why is the first reason line of a decision that fired.
	Why string
}

// Result is one policy's replay.
type Result struct {
	Policy
	Batches []Batch `json:"batches"`
	// MeanAccuracy and MeanAUC average the batches' metrics (AUC over the
	// batches that have both classes).
	MeanAccuracy float64 `json:"mean_accuracy"`
	MeanAUC      float64 `json:"mean_auc"`
	// Retrains counts full retrains, Updates warm starts and online
	// snapshots (the first model is not counted).
	Retrains int `json:"retrains"`
	Updates  int `json:"updates"`
	// TrainCPUSeconds is the measured CPU time of every training (full,
	// warm start, online learning), the first model excluded.
	TrainCPUSeconds float64 `json:"train_cpu_seconds"`
	// RowsXRounds is the noise-free cost: rows × rounds of every training
	// (an online update counts each row once).
	RowsXRounds float64 `json:"rows_x_rounds"`
	// RelCost is RowsXRounds over that of retraining after every batch
	// with the same window and rounds; RelCPU the same for CPU-seconds
	// when the run has an every-batch policy (NaN otherwise).
	RelCost float64 `json:"rel_cost"`
	RelCPU  float64 `json:"rel_cpu"`
	// CAlpha is C_α at α = 0, 0.005, …, AlphaMax, and CAlphaAUC its mean
	// over [0, AlphaMax] (the area under the curve over the width of the
	// range), both on AUC.
	CAlpha    []float64 `json:"c_alpha"`
	CAlphaAUC float64   `json:"c_alpha_auc"`
	// Pareto is set when no other policy costs less (RelCost) and scores
	// at least as well (MeanAUC), or the same and better.
	Pareto bool `json:"pareto"`
	// Recommended is set on the policy with the best C_α at the run's α.
	Recommended bool `json:"recommended"`
}

// Report is a replay of several policies on one history.
type Report struct {
	Rows     int `json:"rows"`
	InitRows int `json:"init_rows"`
	Batches  int `json:"batches"`
	// EveryBatchCost is the rows × rounds of retraining after every batch.
	EveryBatchCost float64 `json:"every_batch_rows_x_rounds"`
	Alpha          float64 `json:"alpha"`
	// CostPerUnit is the CPU-seconds per row × round the policies saw.
	CostPerUnit float64   `json:"cost_per_unit"`
	Results     []*Result `json:"results"`
	// Recommended is the policy with the best C_α at Alpha.
	Recommended string `json:"recommended"`
	// Why says why, in words.
	Why string `json:"why"`
}

// Run replays every policy on d (time-ordered, binary labels 0/1).
func Run(ctx context.Context, cfg Config, d train.Data, policies []Policy) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(policies) == 0 {
		return nil, ml.Errorf(ml.EINVALID, "no policies to replay")
	}
	names := map[string]bool{}
	for _, p := range policies {
		if names[p.Name] {
			return nil, ml.Errorf(ml.EINVALID, "policy %q is listed twice", p.Name)
		}
		names[p.Name] = true
	}
	policies = slices.Clone(policies)
	h, err := newHistory(cfg, d)
	if err != nil {
		return nil, err
	}
	if cfg.CostPerUnit <= 0 {
		if cfg.CostPerUnit, err = h.calibrate(cfg); err != nil {
			return nil, err
		}
	}
	// The mean cost of the every-batch reference's retrains (C_α's unit).
	fullCost := cfg.CostPerUnit * h.everyBatchCost(cfg) / float64(len(h.batches)-1)
	for i := range policies {
		p := &policies[i]
		if ca := p.Config.CostAware; ca != nil && ca.ValuePerPoint == 0 {
			// A point of the metric on one batch is worth what C_α at
			// Alpha charges for the cost it buys: the mean metric over B
			// batches gains 0.01/B, a cost c is charged Alpha·c/(B·full),
			// so a point is worth full/(100·Alpha) CPU-seconds.
			v := *ca
			v.ValuePerPoint = fullCost / (100 * cfg.Alpha)
			p.Config.CostAware = &v
			p.Settings = strings.Replace(p.Settings, "{value}", fmt.Sprintf("%.3g", v.ValuePerPoint), 1)
		}
	}
	for _, p := range policies {
		if err := p.Config.Validate(cfg.Model.Task); err != nil {
			return nil, ml.Errorf(ml.EINVALID, "policy %s: %v", p.Name, err)
		}
	}
	rep := &Report{Rows: d.Len(), InitRows: h.init, Batches: len(h.batches), Alpha: cfg.Alpha, CostPerUnit: cfg.CostPerUnit}
	for i, p := range policies {
		res, err := replay(ctx, cfg, h, p, i)
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", p.Name, err)
		}
		rep.Results = append(rep.Results, res)
	}
	rep.EveryBatchCost = h.everyBatchCost(cfg)
	score(rep, cfg)
	return rep, nil
}

func (c Config) withDefaults() (Config, error) {
	if c.Model == nil {
		return c, errors.New("backtest: no model")
	}
	if c.Model.Task != ml.TaskBinary {
		return c, ml.Errorf(ml.EINVALID, "the backtester replays binary classifiers; %s is %s", c.Model.Name, c.Model.Task)
	}
	if c.Batch <= 0 && c.BatchPeriod <= 0 {
		return c, ml.Errorf(ml.EINVALID, "a batch size (rows) or period is needed")
	}
	if c.InitFrac == 0 {
		c.InitFrac = DefaultInitFrac
	}
	if !(c.InitFrac > 0 && c.InitFrac < 1) {
		return c, ml.Errorf(ml.EINVALID, "the first model's share %g is not between 0 and 1", c.InitFrac)
	}
	if c.Train.Rounds <= 0 {
		c.Train.Rounds = DefaultRounds
	}
	c.Train = train.Defaults(c.Train)
	if c.Alpha == 0 {
		c.Alpha = DefaultAlpha
	}
	if !(c.Alpha >= 0 && c.Alpha <= 1) {
		return c, ml.Errorf(ml.EINVALID, "alpha %g is not between 0 and 1", c.Alpha)
	}
	if c.CPU == nil {
		start := time.Now()
		c.CPU = func() time.Duration { return time.Since(start) }
	}
	return c, nil
}

// history is the data cut into the first model's rows and batches.
type history struct {
	d       train.Data
	init    int
	batches [][2]int // [lo, hi) row ranges
	// first holds the first model per data window (see firstModel).
	first map[ml.DataWindow]firstFit
}

func newHistory(cfg Config, d train.Data) (*history, error) {
	n := d.Len()
	if len(d.X) != len(cfg.Model.Features) {
		return nil, fmt.Errorf("backtest: %d feature columns for %d features", len(d.X), len(cfg.Model.Features))
	}
	if len(d.Time) != n {
		return nil, fmt.Errorf("backtest: %d times for %d rows", len(d.Time), n)
	}
	for i, y := range d.Y {
		if y != 0 && y != 1 {
			return nil, ml.Errorf(ml.EINVALID, "row %d: label %v is not 0 or 1", i+1, y)
		}
		if i > 0 && d.Time[i] < d.Time[i-1] {
			return nil, ml.Errorf(ml.EINVALID, "row %d is older than row %d: the history must be in time order", i+1, i)
		}
	}
	h := &history{d: d, init: int(math.Round(cfg.InitFrac * float64(n)))}
	if h.init < train.MinRows {
		return nil, ml.Errorf(ml.EINVALID, "the first model would train on %d rows; it needs at least %d", h.init, train.MinRows)
	}
	if cfg.BatchPeriod > 0 {
		p := cfg.BatchPeriod.Milliseconds()
		for lo := h.init; lo < n; {
			hi := lo + 1
			for hi < n && d.Time[hi] < d.Time[lo]+p {
				hi++
			}
			h.batches = append(h.batches, [2]int{lo, hi})
			lo = hi
		}
	} else {
		for lo := h.init; lo < n; lo += cfg.Batch {
			hi := min(lo+cfg.Batch, n)
			if hi-lo < (cfg.Batch+1)/2 && len(h.batches) > 0 {
				break // a last short batch is dropped
			}
			h.batches = append(h.batches, [2]int{lo, hi})
		}
	}
	if len(h.batches) < MinBatches {
		return nil, ml.Errorf(ml.EINVALID, "%d rows after the first model's %d make %d batches; a replay needs at least %d", n-h.init, h.init, len(h.batches), MinBatches)
	}
	return h, nil
}

// firstFit is a first model and what it cost.
type firstFit struct {
	res  *train.Result
	rows int
	cpu  float64 // seconds
}

// firstModel trains the first model on window w (defaults applied) of
// the first rows, once per window: every policy with that window starts
// from the same model.
func (h *history) firstModel(cfg Config, w ml.DataWindow) (firstFit, error) {
	w = ml.PolicyConfig{Window: w}.WithDefaults().Window
	if f, ok := h.first[w]; ok {
		return f, nil
	}
	data, err := windowRows(h.d, w, h.init, 0)
	if err != nil {
		return firstFit{}, fmt.Errorf("first model: %w", err)
	}
	t0 := cfg.CPU()
	res, err := fitAll(cfg, data)
	if err != nil {
		return firstFit{}, fmt.Errorf("first model: %w", err)
	}
	f := firstFit{res: res, rows: data.Len(), cpu: (cfg.CPU() - t0).Seconds()}
	if h.first == nil {
		h.first = map[ml.DataWindow]firstFit{}
	}
	h.first[w] = f
	return f, nil
}

// calibrate is the CPU-seconds per row × round of the first model's fit
// on cfg.Window.
func (h *history) calibrate(cfg Config) (float64, error) {
	f, err := h.firstModel(cfg, cfg.Window)
	if err != nil {
		return 0, err
	}
	return max(f.cpu, 1e-6) / (float64(f.rows) * float64(cfg.Train.Rounds)), nil
}
