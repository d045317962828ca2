package backtest_test

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/backtest"
	"github.com/freshet/freshet/ml/train"
)

// drifting is a binary history whose concept turns around halfway: the
// label follows x0 > 0 first and x0 < 0 after, with x1 as noise, one row
// an hour.
func drifting(n int, seed uint64) train.Data {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := train.Data{X: [][]float64{make([]float64, n), make([]float64, n)}, Y: make([]float64, n), Time: make([]int64, n)}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for i := range n {
		x0, x1 := rng.NormFloat64(), rng.NormFloat64()
		d.X[0][i], d.X[1][i] = x0, x1
		y := x0+0.3*rng.NormFloat64() > 0
		if i >= n/2 {
			y = !y
		}
		if y {
			d.Y[i] = 1
		}
		d.Time[i] = t0 + int64(i)*3600_000
	}
	return d
}

// noise is a history whose labels have nothing to do with the features.
func noise(n int, seed uint64) train.Data {
	d := drifting(n, seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	for i := range d.Y {
		d.Y[i] = float64(rng.IntN(2))
	}
	return d
}

func model() *ml.Model {
	return &ml.Model{Name: "bt", Task: ml.TaskBinary, Features: []ml.Feature{{Name: "x0", Type: ml.Numeric}, {Name: "x1", Type: ml.Numeric}}}
}

func config() backtest.Config {
	return backtest.Config{Model: model(), Batch: 200, Train: ml.TrainConfig{Rounds: 10, MaxDepth: 3, Seed: 7}, CostPerUnit: 1e-6,
		Window: ml.DataWindow{Kind: ml.WindowSlidingRows, Rows: 1000}}
}

func policies(t *testing.T, list string) []backtest.Policy {
	t.Helper()
	cfg := config()
	ps, err := backtest.ParsePolicies(list, cfg.Batch, 0, cfg.Window)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func run(t *testing.T, cfg backtest.Config, d train.Data, list string) *backtest.Report {
	t.Helper()
	rep, err := backtest.Run(context.Background(), cfg, d, policies(t, list))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func find(t *testing.T, rep *backtest.Report, name string) *backtest.Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no result %q", name)
	return nil
}

const all = "never,every:1,every:3,drift,decay,volume:600,warm,online,hybrid:4,cost_aware,every:2@halflife=30,every:2@drift_aware,every:2@expanding"

// No batch is ever scored by a model that learned from its labels: every
// batch records the rows its model saw, and on labels that are pure
// noise no policy scores better than a coin (a model that had seen the
// batch would have memorised it).
func TestPrequentialOrder(t *testing.T) {
	t.Parallel()
	rep := run(t, config(), noise(4000, 3), all)
	for _, r := range rep.Results {
		if len(r.Batches) != rep.Batches {
			t.Fatalf("%s: %d batches, want %d", r.Name, len(r.Batches), rep.Batches)
		}
		next := rep.InitRows
		for i, b := range r.Batches {
			if b.FirstRow != next || b.ModelSaw > b.FirstRow {
				t.Fatalf("%s batch %d: first row %d (want %d), model saw rows [0, %d)", r.Name, i, b.FirstRow, next, b.ModelSaw)
			}
			next += b.Rows
		}
		if r.MeanAccuracy > 0.545 || r.MeanAUC > 0.545 { // 6 standard errors above a coin
			t.Errorf("%s scores %.3f accuracy, %.3f AUC on noise: it saw the labels it was scored on", r.Name, r.MeanAccuracy, r.MeanAUC)
		}
	}
	// And the same policies do learn a real concept.
	rep = run(t, config(), drifting(4000, 3), "every:1,never")
	if every, never := find(t, rep, "every:1"), find(t, rep, "never"); every.MeanAccuracy < 0.75 || never.MeanAccuracy > 0.6 {
		t.Errorf("drifting concept: every batch %.3f, never %.3f", every.MeanAccuracy, never.MeanAccuracy)
	}
}

// Under a seed (and a fixed cost per row × round) a replay decides and
// scores the same way every time: only the measured CPU-seconds differ.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	d := drifting(4000, 5)
	a, b := run(t, config(), d, all), run(t, config(), d, all)
	for i := range a.Results {
		ra, rb := *a.Results[i], *b.Results[i]
		ra.TrainCPUSeconds, rb.TrainCPUSeconds, ra.RelCPU, rb.RelCPU = 0, 0, 0, 0
		ja, _ := json.Marshal(ra)
		jb, _ := json.Marshal(rb)
		if string(ja) != string(jb) {
			t.Fatalf("%s differs between two runs:\n%s\n%s", ra.Name, ja, jb)
		}
	}
	if a.Recommended != b.Recommended || a.Why != b.Why {
		t.Fatalf("recommendations differ: %q vs %q", a.Why, b.Why)
	}
}

// The counts, costs and relative costs of the fixed policies follow from
// the protocol: 4,000 rows, the first 400 train the first model, 18
// batches of 200, a sliding window of 1,000 rows, 10 rounds.
func TestCounts(t *testing.T) {
	t.Parallel()
	rep := run(t, config(), drifting(4000, 9), "never,every:1,every:3,warm,hybrid:4,online")
	if rep.InitRows != 400 || rep.Batches != 18 {
		t.Fatalf("init %d, batches %d", rep.InitRows, rep.Batches)
	}
	// No update after the last batch: it would serve nothing. Every
	// retrain after batch b (b < 17) trains on min(400 + 200(b+1), 1000)
	// rows: 600, 800, then 1,000 fifteen times.
	wantEvery := float64(600+800+15*1000) * 10
	if rep.EveryBatchCost != wantEvery {
		t.Fatalf("every-batch rows×rounds %v, want %v", rep.EveryBatchCost, wantEvery)
	}
	for _, c := range []struct {
		name            string
		retrains, cheap int
		rowsXRounds     float64
	}{
		{"never", 0, 0, 0},
		{"every:1", 17, 0, wantEvery},
		{"every:3", 5, 0, 5 * 1000 * 10},          // after batches 2, 5, 8, 11, 14
		{"warm", 0, 17, 17 * 200 * 5},             // 5 trees on the newest 200 rows
		{"hybrid:4", 4, 13, 4*1000*10 + 13*200*5}, // full every 4th update
		{"online", 0, 17, 17 * 200},               // each row once, the first model's and the last batch's not
	} {
		r := find(t, rep, c.name)
		if r.Retrains != c.retrains || r.Updates != c.cheap || r.RowsXRounds != c.rowsXRounds {
			t.Errorf("%s: %d full, %d cheap, %v rows×rounds; want %d, %d, %v", c.name, r.Retrains, r.Updates, r.RowsXRounds, c.retrains, c.cheap, c.rowsXRounds)
		}
		if want := c.rowsXRounds / wantEvery; math.Abs(r.RelCost-want) > 1e-12 {
			t.Errorf("%s: relative cost %v, want %v", c.name, r.RelCost, want)
		}
	}
	if r := find(t, rep, "every:1"); r.RelCPU != 1 {
		t.Errorf("every:1 CPU relative to itself: %v", r.RelCPU)
	}
}

// C_α on a hand-worked example: mean AUC 0.85 at a quarter of the
// every-batch cost.
func TestCAlpha(t *testing.T) {
	t.Parallel()
	if got := backtest.CAlpha(0.85, 0.25, 0.02); math.Abs(got-0.845) > 1e-15 {
		t.Errorf("C_0.02 = %v, want 0.845", got)
	}
	// ∫₀^0.05 (0.85 − 0.25α) dα / 0.05 = 0.85 − 0.25 × 0.025 = 0.84375.
	if got := backtest.CAlphaArea(0.85, 0.25); math.Abs(got-0.84375) > 1e-15 {
		t.Errorf("area = %v, want 0.84375", got)
	}
	// Every batch (cost 1) at 0.88 against a quarter of the cost at 0.87:
	// C_0 prefers the first, C_0.05 the second (0.83 vs 0.8575), and they
	// cross at α = 0.01/0.75.
	if backtest.CAlpha(0.88, 1, 0) <= backtest.CAlpha(0.87, 0.25, 0) || backtest.CAlpha(0.88, 1, 0.05) >= backtest.CAlpha(0.87, 0.25, 0.05) {
		t.Error("C_α does not trade metric for cost")
	}
	if a := 0.01 / 0.75; math.Abs(backtest.CAlpha(0.88, 1, a)-backtest.CAlpha(0.87, 0.25, a)) > 1e-15 {
		t.Errorf("no crossing at α = %v", a)
	}
	rep := run(t, config(), drifting(4000, 9), "never,every:1,every:3")
	for _, r := range rep.Results {
		if len(r.CAlpha) != 11 || r.CAlpha[0] != r.MeanAUC || math.Abs(r.CAlpha[10]-(r.MeanAUC-0.05*r.RelCost)) > 1e-15 {
			t.Errorf("%s: C_α curve %v for mean AUC %v, relative cost %v", r.Name, r.CAlpha, r.MeanAUC, r.RelCost)
		}
		if math.Abs(r.CAlphaAUC-(r.MeanAUC-0.025*r.RelCost)) > 1e-15 {
			t.Errorf("%s: C_α-AUC %v", r.Name, r.CAlphaAUC)
		}
	}
	if !find(t, rep, "never").Pareto {
		t.Error("never costs nothing: it is on the front")
	}
	if !strings.Contains(rep.Why, "best C_α at α = 0.01") {
		t.Errorf("why: %q", rep.Why)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	d := drifting(4000, 1)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		cfg  func(*backtest.Config)
		data func(*train.Data)
		list string
		want string
	}{
		{"no batch", func(c *backtest.Config) { c.Batch = 0 }, nil, "every:1", "a batch size"},
		{"label", nil, func(d *train.Data) { d.Y[7] = 2 }, "every:1", "row 8: label 2 is not 0 or 1"},
		{"order", nil, func(d *train.Data) { d.Time[9] = 0 }, "every:1", "row 10 is older than row 9"},
		{"too few batches", func(c *backtest.Config) { c.Batch = 3900 }, nil, "every:1", "a replay needs at least 2"},
		{"regression", func(c *backtest.Config) {
			c.Model = &ml.Model{Name: "r", Task: ml.TaskRegression, Features: model().Features}
		}, nil, "every:1", "binary classifiers"},
		{"twice", nil, nil, "every:1,every:1", `"every:1" is listed twice`},
	} {
		cfg := config()
		if c.cfg != nil {
			c.cfg(&cfg)
		}
		dd := d
		if c.data != nil {
			dd = train.Data{X: d.X, Y: append([]float64(nil), d.Y...), Time: append([]int64(nil), d.Time...)}
			c.data(&dd)
		}
		_, err := backtest.Run(ctx, cfg, dd, policies(t, c.list))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := backtest.Run(ctx, config(), d, policies(t, "every:1")); err == nil {
		t.Error("a cancelled replay finished")
	}
}
