package monitor

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/drift"
	"github.com/freshet/freshet/ml/metrics"
)

func testModel() *ml.Model {
	return &ml.Model{Name: "t", Label: "y", Features: []ml.Feature{
		{Name: "a", Type: ml.Numeric}, {Name: "b", Type: ml.Numeric}, {Name: "c", Type: ml.Categorical}}}
}

func gen(n int, shiftA float64, catP float64, seed uint64) ([][]float64, []float64, []float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	X := [][]float64{make([]float64, n), make([]float64, n), make([]float64, n)}
	s, y := make([]float64, n), make([]float64, n)
	for i := range n {
		X[0][i] = r.NormFloat64() + shiftA
		X[1][i] = r.NormFloat64()
		if i%10 == 0 {
			X[1][i] = math.NaN()
		}
		X[2][i] = 0
		if r.Float64() < catP {
			X[2][i] = 1
		}
		s[i] = float64(int(r.Float64()*100)) / 100 // one score per bin
		y[i] = 0
		if r.Float64() < s[i] {
			y[i] = 1
		}
	}
	return X, s, y
}

func TestDriftFindsShiftedFeatures(t *testing.T) {
	t.Parallel()
	m := testModel()
	X, s, _ := gen(20000, 0, 0.3, 1)
	ref := NewReference(m, X, s)
	if len(ref.Features[0].Cuts) != RefBins-1 || len(ref.Features[0].Sample) != RefSample || ref.Features[1].Missing != 2000 {
		t.Fatalf("reference: %d cuts, %d sample, %d missing", len(ref.Features[0].Cuts), len(ref.Features[0].Sample), ref.Features[1].Missing)
	}
	Xw, sw, yw := gen(2000, 1.0, 0.7, 2) // a shifted by one sd, c's mix flipped
	w := ref.Profile(0, 1, Xw, sw, yw)
	d, err := Drift(ref, w, drift.Config{}, map[string]float64{"a": 0.1, "b": 0.8, "c": 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Features[0].Drifted || d.Features[1].Drifted || !d.Features[2].Drifted {
		t.Fatalf("verdicts a=%v b=%v c=%v", d.Features[0].Drifted, d.Features[1].Drifted, d.Features[2].Drifted)
	}
	if d.Features[0].Ratio < 1 || d.Features[1].Ratio >= 1 || d.Features[0].PSI < 0.2 {
		t.Fatalf("ratios %v %v psi %v", d.Features[0].Ratio, d.Features[1].Ratio, d.Features[0].PSI)
	}
	// Two of three drifted: dataset drift; but they carry 20% of the
	// importance, so the weighted verdict does not page anyone.
	if !d.DatasetDrift || d.WeightedDrift || math.Abs(d.WeightedShare-0.2) > 1e-9 {
		t.Fatalf("dataset %v weighted %v (%v)", d.DatasetDrift, d.WeightedDrift, d.WeightedShare)
	}
	// The same distribution does not drift.
	Xs, ss, ys := gen(2000, 0, 0.3, 3)
	d, _ = Drift(ref, ref.Profile(0, 1, Xs, ss, ys), drift.Config{}, nil)
	if d.Drifted != 0 {
		t.Fatalf("no shift, %d drifted", d.Drifted)
	}
}

func TestPerformanceMatchesExactMetrics(t *testing.T) {
	t.Parallel()
	m := testModel()
	X, s, y := gen(5000, 0, 0.3, 4)
	ref := NewReference(m, X, s)
	w := ref.Profile(0, 1, X, s, y)
	p := Performance(w, "auc", map[string]float64{"auc": 0.95, "rows": 5000})
	auc, _ := metrics.AUC(y, s, nil)
	acc, _ := metrics.Accuracy(y, s, nil)
	ll, _ := metrics.LogLoss(y, s, nil)
	// Scores are on bin boundaries (multiples of 0.01): binned = exact.
	if math.Abs(p.AUC-auc) > 1e-12 || math.Abs(p.Accuracy-acc) > 1e-12 || math.Abs(p.LogLoss-ll) > 1e-9 {
		t.Fatalf("auc %v/%v acc %v/%v ll %v/%v", p.AUC, auc, p.Accuracy, acc, p.LogLoss, ll)
	}
	if !p.Significant || p.Drop < 0.1 {
		t.Fatalf("a drop from 0.95 to %.3f should be significant: %+v", p.AUC, p)
	}
	if q := Performance(w, "auc", map[string]float64{"auc": auc + 0.005, "rows": 5000}); q.Significant {
		t.Fatalf("a 0.005 drop is below the practical threshold: %+v", q)
	}
	// Hanley & McNeil 1982, eq. 2 worked by hand for A = 0.9 with 50 and 50
	// cases: Q1 = 0.81818, Q2 = 0.85263, SE = sqrt(2.57986 / 2500) = 0.032124.
	if se := hanleyMcNeil(0.9, 50, 50); math.Abs(se-0.032124) > 1e-6 {
		t.Fatalf("Hanley-McNeil SE %v", se)
	}
}

// With calibrated scores (labels drawn from them), the label-free CBPE
// estimates land near the measured metrics.
func TestCBPEEstimatesCalibratedScores(t *testing.T) {
	t.Parallel()
	X, s, y := gen(20000, 0, 0.3, 9)
	ref := NewReference(testModel(), X, s)
	p := Performance(ref.Profile(0, 1, X, s, y), "auc", nil)
	if math.Abs(p.EstAccuracy-p.Accuracy) > 0.015 || math.Abs(p.EstAUC-p.AUC) > 0.015 {
		t.Fatalf("estimates acc %.4f vs %.4f, auc %.4f vs %.4f", p.EstAccuracy, p.Accuracy, p.EstAUC, p.AUC)
	}
}

// The detectors fire in the window where the error rate jumps.
func TestDetectorsFireOnErrorJump(t *testing.T) {
	t.Parallel()
	var ws []*Window
	for i := range 6 {
		w := &Window{Start: int64(i)}
		r := rand.New(rand.NewPCG(uint64(i), 7))
		rate := 0.1
		if i >= 4 {
			rate = 0.6
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
	for i := range 4 {
		if len(perf[i].Alarms) > 0 {
			t.Errorf("window %d (stable) alarms %v", i, perf[i].Alarms)
		}
	}
	if len(perf[4].Alarms) == 0 {
		t.Fatalf("no alarm in the window of the jump: %+v", perf)
	}
}

// The window's error rate is tested against the champion's validation
// errors: a worse window is flagged by the bootstrap, a small window falls
// back to Welch's t-test, and the profile still encodes as JSON.
func TestErrorRateAgainstBaseline(t *testing.T) {
	t.Parallel()
	base := make([]uint8, 1000)
	for i := range base {
		if i%5 == 0 {
			base[i] = 1 // 20% errors
		}
	}
	worse := make([]uint8, 400)
	for i := range worse {
		if i%5 < 2 {
			worse[i] = 1 // 40% errors
		}
	}
	e := errorRateDiff(worse, base, 1)
	if e == nil || e.Method != "bootstrap" || *e.Lower <= 0 || math.Abs(e.Diff-0.2) > 1e-12 || e.PValue > 0.01 {
		t.Fatalf("worse window: %+v", e)
	}
	w := &Window{Labels: Labels{Scored: 400, Correct: 240, ErrorRate: e}}
	if p := Performance(w, "accuracy", map[string]float64{"accuracy": 0.8, "rows": 1000}); !p.Significant {
		t.Fatalf("not significant: %+v", p)
	}
	small := errorRateDiff(worse[:10], base, 1)
	if small == nil || small.Method != "welch-t" || small.Lower != nil {
		t.Fatalf("small window: %+v", small)
	}
	if _, err := json.Marshal(small); err != nil {
		t.Fatal(err)
	}
}
