// Package train turns a model's labeled observations into a trained model
// version: a time-ordered split (the newest rows validate, never train),
// the built-in GBDT, early stopping on the validation slice, and the
// numbers a version records. It is shared by the CLI, the retrain job and
// (later) the backtester, so all of them train the same way.
package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/gbdt"
)

// Config is what a training run may set; zero fields take defaults.
type Config = ml.TrainConfig

// Defaults fills zero fields: 100 rounds, depth 6, learning rate 0.1, the
// newest 20% for validation, early stopping after 20 rounds without gain.
func Defaults(c Config) Config {
	if c.Rounds <= 0 {
		c.Rounds = 100
	}
	if c.MaxDepth <= 0 && c.NumLeaves <= 0 {
		c.MaxDepth = 6
	}
	if c.LearningRate <= 0 {
		c.LearningRate = 0.1
	}
	if c.ValidFrac <= 0 || c.ValidFrac >= 1 {
		c.ValidFrac = 0.2
	}
	if c.EarlyStopping == 0 {
		c.EarlyStopping = 20
	}
	return c
}

// Data is labeled rows, column-major (X[j][i]; NaN = missing), with times.
type Data struct {
	X    [][]float64
	Y    []float64
	Time []int64
	IDs  []int64 // observation ids, optional
	// W weighs rows (recency-weighted windows); nil means equal weights.
	W []float64
}

// Options are a training run's hooks.
type Options struct {
	// Progress is called after every boosting round; returning false
	// stops training (see gbdt.Params.Progress).
	Progress func(round, rounds int, validLoss float64) bool
	// TrainAll trains on every row for the configured rounds: nothing is
	// held back for validation or early stopping, so the cost is rows ×
	// rounds and ValidScores are empty. The backtester retrains so (the
	// next batch is its validation).
	TrainAll bool
	// NoText leaves Result.Text empty: for callers that only score the
	// model (the backtester), writing LightGBM text is pure overhead.
	NoText bool
	// StartScores, for a warm start, are the base model's raw scores of
	// d's rows when the caller has them (see gbdt.Dataset.StartScores).
	StartScores []float64
}

// Len is the number of rows.
func (d Data) Len() int { return len(d.Y) }

// Result is a trained model and what is known about it.
type Result struct {
	Model      *gbdt.Model
	Text       []byte // LightGBM text, what leaves serves
	TrainRows  int
	ValidRows  int
	Rounds     int
	Importance []ml.Importance
	// ValidScores are the model's outputs on the validation rows
	// (Outputs per row, row-major) and ValidY their labels.
	ValidScores []float64
	ValidY      []float64
	Outputs     int
	Seconds     float64
	// Data is the id range trained and validated on.
	Data ml.DataVersion
}

// MinRows is the fewest labeled rows a model trains on.
const MinRows = 50

// Objective maps a task to the trainer's objective.
func Objective(m *ml.Model) (obj string, classes int) {
	switch m.Task {
	case ml.TaskMulticlass:
		return gbdt.Multiclass, len(m.Classes)
	case ml.TaskRegression:
		return gbdt.Regression, 1
	}
	return gbdt.Binary, 1
}

// GBDT trains the built-in gradient boosting on d for model m.
func GBDT(m *ml.Model, d Data, cfg Config) (*Result, error) {
	return Fit(m, d, cfg, Options{})
}

// Fit is GBDT with hooks.
func Fit(m *ml.Model, d Data, cfg Config, opt Options) (*Result, error) {
	cfg = Defaults(cfg)
	n := d.Len()
	if n < MinRows {
		return nil, ml.Errorf(ml.EINVALID, "only %d labeled rows; a model needs at least %d", n, MinRows)
	}
	if len(d.X) != len(m.Features) {
		return nil, fmt.Errorf("train: %d feature columns for %d features", len(d.X), len(m.Features))
	}
	trainIdx, validIdx := Split(d, cfg.ValidFrac)
	if opt.TrainAll {
		trainIdx, validIdx = timeOrder(d), nil
	}
	nTrain, nValid := len(trainIdx), len(validIdx)
	obj, k := Objective(m)
	names := make([]string, len(m.Features))
	for j, f := range m.Features {
		names[j] = f.Name
	}
	p := gbdt.DefaultParams()
	p.Objective, p.NumClass = obj, max(k, 1)
	if obj != gbdt.Multiclass {
		p.NumClass = 0
	}
	p.Rounds, p.MaxDepth, p.NumLeaves, p.LearningRate = cfg.Rounds, cfg.MaxDepth, cfg.NumLeaves, cfg.LearningRate
	p.EarlyStoppingRounds, p.Seed = max(cfg.EarlyStopping, 0), cfg.Seed
	if cfg.Threads > 0 {
		p.Threads = cfg.Threads
	}
	p.Progress = opt.Progress
	train := gbdt.Dataset{X: gather(d.X, trainIdx), Y: gatherF(d.Y, trainIdx), Names: names}
	valid := gbdt.Dataset{X: gather(d.X, validIdx), Y: gatherF(d.Y, validIdx), Names: names}
	if d.W != nil {
		train.Weight, valid.Weight = gatherF(d.W, trainIdx), gatherF(d.W, validIdx)
	}
	vp := &valid
	if opt.TrainAll {
		vp, p.EarlyStoppingRounds = nil, 0
	}
	start := time.Now()
	model, err := gbdt.Train(train, vp, p)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	secs := time.Since(start).Seconds()
	text, err := modelText(model, opt)
	if err != nil {
		return nil, err
	}
	res := &Result{Model: model, Text: text, TrainRows: nTrain, ValidRows: nValid, Rounds: model.Rounds(), Seconds: secs,
		ValidY: valid.Y, Outputs: max(k, 1)}
	res.ValidScores = scoreRows(model, valid.X, nValid)
	res.Importance = importance(names, model.GainImportance())
	res.Data = d.Version()
	return res, nil
}

// WarmStart adds up to rounds trees to a built-in GBDT model (its LightGBM
// text) fitted on d: all of d trains, nothing is held back for early
// stopping, so the cost is rows × rounds. ValidScores are empty; score
// the result on a holdout with Score.
func WarmStart(m *ml.Model, base []byte, d Data, rounds int, cfg Config, opt Options) (*Result, error) {
	start, err := gbdt.ParseText(bytes.NewReader(base))
	if err != nil {
		return nil, ml.Errorf(ml.EINVALID, "the champion cannot be warm-started: %v", err)
	}
	return WarmStartModel(m, start, d, rounds, cfg, opt)
}

// WarmStartModel is WarmStart from a model in memory (base is not
// changed).
func WarmStartModel(m *ml.Model, base *gbdt.Model, d Data, rounds int, cfg Config, opt Options) (*Result, error) {
	cfg = Defaults(cfg)
	if d.Len() == 0 {
		return nil, ml.Errorf(ml.EINVALID, "a warm start needs labeled rows")
	}
	if len(d.X) != len(m.Features) {
		return nil, fmt.Errorf("train: %d feature columns for %d features", len(d.X), len(m.Features))
	}
	p := gbdt.DefaultParams()
	p.Rounds, p.MaxDepth, p.NumLeaves, p.LearningRate, p.Seed = max(rounds, 1), cfg.MaxDepth, cfg.NumLeaves, cfg.LearningRate, cfg.Seed
	if cfg.Threads > 0 {
		p.Threads = cfg.Threads
	}
	p.Progress = opt.Progress
	names := make([]string, len(m.Features))
	for j, f := range m.Features {
		names[j] = f.Name
	}
	train := gbdt.Dataset{X: d.X, Y: d.Y, Weight: d.W, Names: names, StartScores: opt.StartScores}
	t0 := time.Now()
	model, err := gbdt.Continue(base, train, nil, p)
	if err != nil {
		return nil, fmt.Errorf("train: warm start: %w", err)
	}
	text, err := modelText(model, opt)
	if err != nil {
		return nil, err
	}
	_, k := Objective(m)
	return &Result{Model: model, Text: text, TrainRows: d.Len(), Rounds: model.Rounds() - base.Rounds(), Seconds: time.Since(t0).Seconds(),
		Outputs: max(k, 1), Importance: importance(names, model.GainImportance()), Data: d.Version()}, nil
}

// modelText is the model as LightGBM text, unless opt.NoText.
func modelText(model *gbdt.Model, opt Options) ([]byte, error) {
	if opt.NoText {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := model.WriteText(&buf); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return buf.Bytes(), nil
}

// Score is a trained model's outputs on column-major rows (Outputs per
// row, row-major).
func (r *Result) Score(X [][]float64) []float64 {
	n := 0
	if len(X) > 0 {
		n = len(X[0])
	}
	return scoreRows(r.Model, X, n)
}

// Version describes d as a data version: its id range and row count.
func (d Data) Version() ml.DataVersion {
	v := ml.DataVersion{Rows: int64(d.Len())}
	if len(d.IDs) > 0 {
		v.FromID, v.ToID = int64(math.MaxInt64), 0
		for _, id := range d.IDs {
			v.FromID, v.ToID = min(v.FromID, id), max(v.ToID, id)
		}
	}
	return v
}

// Split returns the row indices to train and to validate on: the newest
// validFrac of the rows by time validate (at least one), the rest train.
// Every trainer, built-in or external, splits this way.
func Split(d Data, validFrac float64) (trainIdx, validIdx []int) {
	if validFrac <= 0 || validFrac >= 1 {
		validFrac = Defaults(Config{}).ValidFrac
	}
	order := timeOrder(d)
	nValid := max(1, int(math.Round(float64(len(order))*validFrac)))
	return order[:len(order)-nValid], order[len(order)-nValid:]
}

// timeOrder returns row indices ordered by time (stable: ties keep input
// order), so the validation slice is always the newest rows.
func timeOrder(d Data) []int {
	idx := make([]int, d.Len())
	for i := range idx {
		idx[i] = i
	}
	if d.Time != nil {
		sort.SliceStable(idx, func(a, b int) bool { return d.Time[idx[a]] < d.Time[idx[b]] })
	}
	return idx
}

func gather(X [][]float64, idx []int) [][]float64 {
	out := make([][]float64, len(X))
	for j, col := range X {
		out[j] = gatherF(col, idx)
	}
	return out
}

func gatherF(v []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for i, k := range idx {
		out[i] = v[k]
	}
	return out
}

func scoreRows(m *gbdt.Model, X [][]float64, n int) []float64 {
	var out []float64
	row := make([]float64, len(X))
	for i := 0; i < n; i++ {
		for j := range X {
			row[j] = X[j][i]
		}
		out = append(out, m.Predict(row)...)
	}
	return out
}

func importance(names []string, gain []float64) []ml.Importance {
	total := 0.0
	for _, g := range gain {
		total += g
	}
	out := make([]ml.Importance, len(names))
	for j, n := range names {
		out[j].Feature = n
		if total > 0 && j < len(gain) {
			out[j].Gain = gain[j] / total
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Gain > out[b].Gain })
	return out
}

// Hash is the sha256 (hex) of d's rows in order: ids, times, features,
// labels and weights, little-endian. Two runs with the same hash trained
// on the same data.
func (d Data) Hash() string {
	h := sha256.New()
	buf := make([]byte, 0, 8*(len(d.X)+4))
	for i := range d.Len() {
		buf = buf[:0]
		if d.IDs != nil {
			buf = binary.LittleEndian.AppendUint64(buf, uint64(d.IDs[i]))
		}
		if d.Time != nil {
			buf = binary.LittleEndian.AppendUint64(buf, uint64(d.Time[i]))
		}
		for _, col := range d.X {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(col[i]))
		}
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(d.Y[i]))
		if d.W != nil {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(d.W[i]))
		}
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Rows returns the rows idx of d, in that order.
func (d Data) Rows(idx []int) Data {
	out := Data{X: gather(d.X, idx), Y: gatherF(d.Y, idx)}
	if d.Time != nil {
		out.Time = make([]int64, len(idx))
		for i, k := range idx {
			out.Time[i] = d.Time[k]
		}
	}
	if d.IDs != nil {
		out.IDs = make([]int64, len(idx))
		for i, k := range idx {
			out.IDs[i] = d.IDs[k]
		}
	}
	if d.W != nil {
		out.W = gatherF(d.W, idx)
	}
	return out
}

// Slice returns rows [lo, hi) of d without copying.
func (d Data) Slice(lo, hi int) Data {
	out := Data{X: make([][]float64, len(d.X)), Y: d.Y[lo:hi]}
	for j, col := range d.X {
		out.X[j] = col[lo:hi]
	}
	if d.Time != nil {
		out.Time = d.Time[lo:hi]
	}
	if d.IDs != nil {
		out.IDs = d.IDs[lo:hi]
	}
	if d.W != nil {
		out.W = d.W[lo:hi]
	}
	return out
}

// TimeOrdered returns d sorted by time (stable), or d itself when it
// already is.
func (d Data) TimeOrdered() Data {
	sorted := true
	for i := 1; i < len(d.Time); i++ {
		if d.Time[i] < d.Time[i-1] {
			sorted = false
			break
		}
	}
	if sorted {
		return d
	}
	return d.Rows(timeOrder(d))
}
