package monitor

import (
	"math/rand/v2"
	"testing"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/drift"
)

// weeks generates n weeks of rows rows each, column-major, for a model
// with a numeric feature "level" whose mean moves from week to week (a
// price: autocorrelated, each week a narrow slice of the whole), a
// numeric feature "noise" that is i.i.d., and a numeric feature "flat"
// that is constant until week flatUntil and varies after.
func weeks(n, rows, flatUntil int, levelShift float64, seed uint64) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 5))
	X := [][]float64{nil, nil, nil}
	for w := range n {
		mean := r.NormFloat64() + levelShift
		for range rows {
			X[0] = append(X[0], mean+0.2*r.NormFloat64())
			X[1] = append(X[1], r.NormFloat64())
			flat := 0.4
			if w >= flatUntil {
				flat = 0.4 + 0.1*r.NormFloat64()
			}
			X[2] = append(X[2], flat)
		}
	}
	return X
}

func weeksModel() *ml.Model {
	return &ml.Model{Name: "w", Label: "y", Features: []ml.Feature{
		{Name: "level", Type: ml.Numeric}, {Name: "noise", Type: ml.Numeric}, {Name: "flat", Type: ml.Numeric}}}
}

// A week of a feature whose level moves week to week is as far from the
// reference as the reference's own weeks are: past Evidently's fixed
// distance threshold, but not drift. A constant feature that starts to
// vary, and a level outside anything the reference saw, are.
func TestNaturalVariationIsNotDrift(t *testing.T) {
	t.Parallel()
	const rows = 336
	ref := NewReference(weeksModel(), weeks(14, rows, 100, 0, 1), nil)
	imp := map[string]float64{"level": 0.9, "noise": 0.1}

	check := func(name string, X [][]float64, want []bool) *WindowDrift {
		t.Helper()
		w := ref.Profile(0, 1, X, nil, nil)
		d, err := Drift(ref, w, drift.Config{}, imp)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for j, f := range d.Features {
			if f.Drifted != want[j] {
				t.Errorf("%s: %s drifted %v, want %v (%s %.3f, threshold %.3f, natural %.3f)", name, f.Name, f.Drifted, want[j], f.Method, f.Score, f.Threshold, f.Natural)
			}
			if f.Drifted {
				n++
			}
			if (f.Ratio >= 1) != f.Drifted {
				t.Errorf("%s: %s ratio %.3f with drifted %v", name, f.Name, f.Ratio, f.Drifted)
			}
		}
		if d.Drifted != n || d.Share != float64(n)/3 {
			t.Errorf("%s: %d drifted, share %.3f; the features say %d", name, d.Drifted, d.Share, n)
		}
		return d
	}

	// Ten new weeks of the same process: the level's distance to the
	// reference is far past 0.1 in most of them, yet within the natural
	// level, so they stay quiet.
	past := 0
	for s := range 10 {
		d := check("ordinary week", weeks(1, rows, 100, 0, uint64(100+s)), []bool{false, false, false})
		lv := d.Features[0]
		if lv.Method != drift.MethodWasserstein || !(lv.Natural > lv.Threshold) {
			t.Fatalf("level: %s, natural %.3f, threshold %.3f", lv.Method, lv.Natural, lv.Threshold)
		}
		if lv.Score >= lv.Threshold {
			past++
		}
		if d.WeightedShare != 0 || d.WeightedDrift || d.DatasetDrift {
			t.Errorf("ordinary week: weighted share %.2f, verdicts %v %v", d.WeightedShare, d.WeightedDrift, d.DatasetDrift)
		}
	}
	if past < 5 {
		t.Fatalf("only %d of 10 ordinary weeks were past the fixed threshold: the test shows nothing", past)
	}

	// The constant feature starts to vary: its natural level is 0, the
	// method's own threshold decides.
	d := check("flat varies", weeks(1, rows, 0, 0, 200), []bool{false, false, true})
	if f := d.Features[2]; f.Natural != 0 || d.WeightedShare != 0 {
		t.Errorf("flat: natural %.3f, weighted share %.2f (it has no importance)", f.Natural, d.WeightedShare)
	}
	// A level far outside the reference's weeks.
	d = check("level shifted", weeks(1, rows, 100, 8, 300), []bool{true, false, false})
	if !d.WeightedDrift || d.WeightedShare < 0.89 {
		t.Errorf("level shifted: weighted share %.2f", d.WeightedShare)
	}
}

// Without whole reference rows (a reference stored before they were
// kept) or with a window as long as the reference, the method's
// threshold alone decides, as before.
func TestNaturalNeedsChunks(t *testing.T) {
	t.Parallel()
	ref := NewReference(weeksModel(), weeks(14, 336, 100, 0, 1), nil)
	if n := ref.Natural(0, drift.MethodWasserstein, 336*14, ref.Features[0].Sample, false, drift.Config{}); n != 0 {
		t.Errorf("a window as long as the reference: natural %.3f", n)
	}
	if n := ref.Natural(0, drift.MethodChiSquare, 336, ref.Features[0].Sample, false, drift.Config{}); n != 0 {
		t.Errorf("chi-squared, a statistic that grows with the sample: natural %.3f", n)
	}
	if n := ref.Natural(0, drift.MethodWasserstein, 336, ref.Features[0].Sample, false, drift.Config{}); !(n > 0.1) {
		t.Errorf("the moving level's natural distance %.3f", n)
	}
	ref.Joint = nil
	if n := ref.Natural(0, drift.MethodWasserstein, 336, ref.Features[0].Sample, false, drift.Config{}); n != 0 {
		t.Errorf("no whole rows: natural %.3f", n)
	}
}

// An error rate that falls (the model does better) raises no alarm; the
// same detectors alarm when it rises (TestDetectorsFireOnErrorJump).
func TestDetectorsQuietWhenErrorsFall(t *testing.T) {
	t.Parallel()
	var ws []*Window
	for i := range 6 {
		w := &Window{Start: int64(i)}
		r := rand.New(rand.NewPCG(uint64(i), 7))
		rate := 0.6
		if i >= 3 {
			rate = 0.1
		}
		for range 500 {
			e := uint8(0)
			if r.Float64() < rate {
				e = 1
			}
			w.Labels.Errors = append(w.Labels.Errors, e)
		}
		ws = append(ws, w)
	}
	perf := make([]Perf, len(ws))
	Detect(ws, perf)
	for i, p := range perf {
		if len(p.Alarms) > 0 {
			t.Errorf("window %d (error rate %s) alarms %v", i, map[bool]string{true: "0.6", false: "0.1"}[i < 3], p.Alarms)
		}
	}
}

// With a large reference its stored rows are a thin sample: chunks cut by
// the window's share of time held 50 values against the window's 1,000,
// and their noise set a natural level (0.39) above a real 0.3 sd shift's
// distance (0.31), which then went unflagged. Chunks hold at least as many
// values as the window compares.
func TestNaturalLargeReference(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 7))
	iid := func(n int, shift float64) [][]float64 {
		X := [][]float64{make([]float64, n), make([]float64, n), make([]float64, n)}
		for i := range n {
			X[0][i], X[1][i], X[2][i] = r.NormFloat64()+shift, r.NormFloat64(), 0.4
		}
		return X
	}
	ref := NewReference(weeksModel(), iid(100_000, 0), nil)
	for _, tc := range []struct {
		name  string
		shift float64
		want  bool
	}{{"same process", 0, false}, {"shifted 0.3 sd", 0.3, true}} {
		w := ref.Profile(0, 1, iid(1000, tc.shift), nil, nil)
		d, err := Drift(ref, w, drift.Config{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if f := d.Features[0]; f.Drifted != tc.want {
			t.Errorf("%s: drifted %v, want %v (%s %.3f, threshold %.3f, natural %.3f)", tc.name, f.Drifted, tc.want, f.Method, f.Score, f.Threshold, f.Natural)
		}
	}
}
