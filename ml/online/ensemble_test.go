package online

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"testing"
)

func TestNewEnsembleValidates(t *testing.T) {
	t.Parallel()
	base := Config{Schema: NewSchema(2)}
	for _, tc := range []struct {
		name string
		cfg  EnsembleConfig
		ok   bool
	}{
		{"defaults", EnsembleConfig{Base: base}, true},
		{"two alphas, eta, discount", EnsembleConfig{Base: base, Alphas: []float64{0.1, 1}, Eta: 0.5, Discount: 0.99}, true},
		{"negative eta", EnsembleConfig{Base: base, Eta: -1}, false},
		{"infinite eta", EnsembleConfig{Base: base, Eta: math.Inf(1)}, false},
		{"discount above 1", EnsembleConfig{Base: base, Discount: 1.5}, false},
		{"alpha 0", EnsembleConfig{Base: base, Alphas: []float64{0.1, 0}}, false},
		{"negative alpha", EnsembleConfig{Base: base, Alphas: []float64{-0.1}}, false},
		{"too many learners", EnsembleConfig{Base: base, Alphas: make([]float64, MaxLearners+1)}, false},
		{"bad base", EnsembleConfig{Base: Config{}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := NewEnsemble(tc.cfg)
			if tc.ok != (err == nil) {
				t.Fatalf("NewEnsemble: %v, want ok = %v", err, tc.ok)
			}
			if err != nil {
				if !errors.Is(err, errConfig) {
					t.Errorf("error %v does not wrap errConfig", err)
				}
				return
			}
			w := e.Weights()
			for _, v := range w {
				if v != 1/float64(len(w)) {
					t.Errorf("initial weights %v, want equal", w)
				}
			}
		})
	}
}

// TestHedgeMovesTowardBest: the learner with the lowest running log loss
// gains weight as rows arrive, and a hopeless learner loses it.
func TestHedgeMovesTowardBest(t *testing.T) {
	t.Parallel()
	d := loadElec2(t)
	sx, sy := synthetic(45_000, 8)
	for _, tc := range []struct {
		name     string
		xs       [][]float64
		ys       []float64
		schema   Schema
		cfg      EnsembleConfig
		minFinal float64 // lowest acceptable final weight of the best learner
	}{
		// Alpha 1e-4 barely moves from p = 0.5 and is hopeless. On
		// drifting Elec2 the largest alpha tracks best; on stationary
		// synthetic data a middle one wins.
		{"elec2", d.x, d.y, elec2Schema, EnsembleConfig{Alphas: []float64{1e-4, 0.01, 0.2, 1}}, 0.99},
		{"elec2 slow eta", d.x, d.y, elec2Schema, EnsembleConfig{Alphas: []float64{1e-4, 0.01, 0.2, 1}, Eta: 0.01}, 0.9},
		{"elec2 discounted", d.x, d.y, elec2Schema, EnsembleConfig{Alphas: []float64{1e-4, 0.01, 0.2, 1}, Discount: 0.99}, 0.5},
		{"synthetic", sx, sy, syntheticSchema, EnsembleConfig{Alphas: []float64{1e-4, 0.05, 0.5, 5}}, 0.9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			xs, ys := tc.xs, tc.ys
			tc.cfg.Base = Config{Schema: tc.schema}
			e, err := NewEnsemble(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			prev := e.Weights()
			var trace [][]float64
			for start := 0; start < len(xs); start += 5000 {
				end := min(start+5000, len(xs))
				if err := e.LearnBatch(xs[start:end], ys[start:end]); err != nil {
					t.Fatal(err)
				}
				w := e.Weights()
				trace = append(trace, w)
				if s := sum(w); math.Abs(s-1) > 1e-12 {
					t.Fatalf("weights %v sum to %v", w, s)
				}
				prev = w
			}
			losses := e.Losses()
			best := argmin(losses)
			t.Logf("losses %.1f; weights every 5000 rows: %.3f", losses, trace)
			if argmax(prev) != best {
				t.Errorf("largest weight on learner %d, lowest loss on %d", argmax(prev), best)
			}
			if prev[best] < tc.minFinal {
				t.Errorf("best learner's weight %.3f < %v", prev[best], tc.minFinal)
			}
			if prev[0] > 0.01 {
				t.Errorf("hopeless learner (alpha 1e-4) keeps weight %.3f", prev[0])
			}
		})
	}
}

func TestEnsembleDeterministicAndRestorable(t *testing.T) {
	t.Parallel()
	d := loadElec2(t)
	run := func() *Ensemble {
		e, err := NewEnsemble(EnsembleConfig{Base: Config{Schema: elec2Schema, AUCWindow: 300}, Discount: 0.999})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.LearnBatch(d.x[:10_000], d.y[:10_000]); err != nil {
			t.Fatal(err)
		}
		return e
	}
	a, b := run(), run()
	var sa, sb bytes.Buffer
	if err := a.Snapshot(&sa); err != nil {
		t.Fatal(err)
	}
	b.Snapshot(&sb)
	if !bytes.Equal(sa.Bytes(), sb.Bytes()) {
		t.Fatal("two runs differ")
	}
	r, err := RestoreEnsemble(bytes.NewReader(sa.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Weights(), a.Weights()) || r.Metrics() != a.Metrics() {
		t.Errorf("restored weights %v metrics %+v, want %v %+v", r.Weights(), r.Metrics(), a.Weights(), a.Metrics())
	}
	// Both keep learning identically.
	for _, e := range []*Ensemble{a, r} {
		if err := e.LearnBatch(d.x[10_000:12_000], d.y[10_000:12_000]); err != nil {
			t.Fatal(err)
		}
	}
	sa.Reset()
	sb.Reset()
	a.Snapshot(&sa)
	r.Snapshot(&sb)
	if !bytes.Equal(sa.Bytes(), sb.Bytes()) {
		t.Error("restored ensemble diverged from the original")
	}
	for _, x := range d.x[12_000:12_100] {
		if pa, pr := a.PredictOne(x), r.PredictOne(x); pa != pr {
			t.Fatalf("PredictOne: %v vs %v", pa, pr)
		}
	}
}

// TestEnsemblePrequential: the ensemble records the prediction
// PredictOne gave just before each LearnOne.
func TestEnsemblePrequential(t *testing.T) {
	t.Parallel()
	xs, ys := synthetic(2000, 4)
	e, err := NewEnsemble(EnsembleConfig{Base: Config{Schema: syntheticSchema}, Eta: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	var loss float64
	for i, x := range xs {
		loss += logLoss(e.PredictOne(x), ys[i] == 1)
		if err := e.LearnOne(x, ys[i]); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := e.Metrics().LogLoss, loss/float64(len(xs)); got != want {
		t.Errorf("ensemble prequential log loss %v, want %v", got, want)
	}
}

func sum(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

func argmin(v []float64) int {
	best := 0
	for i, x := range v {
		if x < v[best] {
			best = i
		}
	}
	return best
}

func argmax(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
