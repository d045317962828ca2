package gate

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// reference is testdata/reference.json, written by
// testdata/gen_reference.py (numpy 1.24, scipy 1.10, scikit-learn 1.2).
type reference struct {
	DeLong []struct {
		Name      string
		Y, A, B   []float64
		AUCA      float64 `json:"auc_a"`
		AUCB      float64 `json:"auc_b"`
		SkAUCA    float64 `json:"sk_auc_a"`
		SkAUCB    float64 `json:"sk_auc_b"`
		VarA      float64 `json:"var_a"`
		VarB      float64 `json:"var_b"`
		Cov, Z, P float64
	}
	McNemar []struct {
		Name         string
		Y            []float64
		ScoreA       []float64 `json:"score_a"`
		ScoreB       []float64 `json:"score_b"`
		Threshold    float64
		B, C         int
		Statistic, P float64
		PExact       float64 `json:"p_exact"`
		PBWorse      float64 `json:"p_b_worse"`
		PBBetter     float64 `json:"p_b_better"`
	}
	Holm []struct{ P, Adj []float64 }
	PSI  []struct {
		Name     string
		Ref, Cur []float64
		Bins     int
		PSI      float64
	}
	ECE []struct {
		Name      string
		Scores, Y []float64
		ECE       float64
	}
	Multiclass struct {
		Classes           int
		Y, P              []float64
		LogLoss, Accuracy float64
	}
	Regression struct {
		Y, P []float64
		MAE  float64
	}
}

var loadRef = sync.OnceValues(func() (*reference, error) {
	b, err := os.ReadFile(filepath.Join("testdata", "reference.json"))
	if err != nil {
		return nil, err
	}
	var r reference
	return &r, json.Unmarshal(b, &r)
})

func mustRef(t *testing.T) *reference {
	t.Helper()
	r, err := loadRef()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// near reports whether got is within rel of want, relative to |want|, or
// absolutely within rel when want is 0.
func near(got, want, rel float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= rel*math.Max(math.Abs(want), 1e-300) || (want == 0 && math.Abs(got) <= rel)
}

func TestDeLongReference(t *testing.T) {
	t.Parallel()
	for _, c := range mustRef(t).DeLong {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			r, err := DeLong(c.Y, c.A, c.B)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range []struct {
				what      string
				got, want float64
			}{
				{"auc_a", r.AUCA, c.AUCA}, {"auc_b", r.AUCB, c.AUCB},
				{"auc_a vs sklearn", r.AUCA, c.SkAUCA}, {"auc_b vs sklearn", r.AUCB, c.SkAUCB},
				{"var_a", r.VarA, c.VarA}, {"var_b", r.VarB, c.VarB}, {"cov", r.Cov, c.Cov},
				{"z", r.Z, c.Z}, {"p", r.P, c.P},
			} {
				if !near(v.got, v.want, 1e-9) {
					t.Errorf("%s = %.17g, want %.17g", v.what, v.got, v.want)
				}
			}
			// Swapping A and B flips z and keeps p.
			s, _ := DeLong(c.Y, c.B, c.A)
			if !near(s.Z, -r.Z, 1e-12) || !near(s.P, r.P, 1e-12) {
				t.Errorf("swapped: z %v p %v, want %v %v", s.Z, s.P, -r.Z, r.P)
			}
		})
	}
}

func TestDeLongErrors(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct{ y, a, b []float64 }{
		"length":       {[]float64{0, 1, 0, 1}, []float64{1, 2, 3}, []float64{1, 2, 3, 4}},
		"label":        {[]float64{0, 1, 2, 1}, []float64{1, 2, 3, 4}, []float64{1, 2, 3, 4}},
		"one positive": {[]float64{0, 1, 0, 0}, []float64{1, 2, 3, 4}, []float64{1, 2, 3, 4}},
		"nan":          {[]float64{0, 1, 0, 1}, []float64{1, math.NaN(), 3, 4}, []float64{1, 2, 3, 4}},
	} {
		if _, err := DeLong(c.y, c.a, c.b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Identical scores: zero variance of the difference, z = 0, p = 1.
	y := []float64{0, 1, 0, 1, 1, 0}
	s := []float64{0.1, 0.9, 0.4, 0.3, 0.8, 0.2}
	r, err := DeLong(y, s, s)
	if err != nil || r.Z != 0 || r.P != 1 {
		t.Errorf("identical: %+v, %v", r, err)
	}
}

func TestMcNemarReference(t *testing.T) {
	t.Parallel()
	for _, c := range mustRef(t).McNemar {
		var r McNemarResult
		if c.Y != nil {
			var err error
			r, err = McNemar(c.Y, c.ScoreA, c.ScoreB, c.Threshold)
			if err != nil {
				t.Fatal(err)
			}
			if r.B != c.B || r.C != c.C {
				t.Errorf("%s: B, C = %d, %d, want %d, %d", c.Name, r.B, r.C, c.B, c.C)
			}
		} else {
			r = mcnemarCounts(c.B, c.C)
		}
		for _, v := range []struct {
			what      string
			got, want float64
		}{
			{"statistic", r.Statistic, c.Statistic}, {"p", r.P, c.P}, {"p_exact", r.PExact, c.PExact},
			{"p_b_worse", r.PBWorse(), c.PBWorse}, {"p_b_better", r.PBBetter(), c.PBBetter},
		} {
			if !near(v.got, v.want, 1e-9) {
				t.Errorf("%s: %s = %.17g, want %.17g", c.Name, v.what, v.got, v.want)
			}
		}
	}
}

func TestHolmReference(t *testing.T) {
	t.Parallel()
	for _, c := range mustRef(t).Holm {
		got := Holm(c.P)
		for i := range got {
			if !near(got[i], c.Adj[i], 1e-12) {
				t.Errorf("Holm(%v)[%d] = %v, want %v", c.P, i, got[i], c.Adj[i])
			}
		}
	}
}

func TestHolmByHand(t *testing.T) {
	t.Parallel()
	// Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1: 0.02, 0.03, 0.06,
	// 0.04 → running maximum 0.02, 0.03, 0.06, 0.06.
	got := Holm([]float64{0.01, 0.04, 0.03, 0.005})
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Fatalf("Holm = %v, want %v", got, want)
		}
	}
	// Capped at 1, and empty input.
	if got := Holm([]float64{0.6, 0.7}); got[0] != 1 || got[1] != 1 {
		t.Errorf("Holm cap: %v", got)
	}
	if got := Holm(nil); len(got) != 0 {
		t.Errorf("Holm(nil) = %v", got)
	}
}

func TestPSIReference(t *testing.T) {
	t.Parallel()
	for _, c := range mustRef(t).PSI {
		if got := PSI(c.Ref, c.Cur, c.Bins); !near(got, c.PSI, 1e-9) {
			t.Errorf("%s: PSI = %.17g, want %.17g", c.Name, got, c.PSI)
		}
	}
}

func TestPSIByHand(t *testing.T) {
	t.Parallel()
	// Reference 1..10 in two bins cut at its median 5.5; the current
	// sample puts 8 of 10 values in the upper bin:
	// (0.5−0.2)·ln(0.5/0.2) + (0.5−0.8)·ln(0.5/0.8) = 0.3·ln(2.5) + 0.3·ln(1.6).
	ref := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	cur := []float64{1, 2, 6, 7, 8, 9, 10, 11, 12, 13}
	want := 0.3*math.Log(2.5) + 0.3*math.Log(1.6)
	if got := PSI(ref, cur, 2); math.Abs(got-want) > 1e-15 {
		t.Errorf("PSI = %v, want %v", got, want)
	}
	if got := PSI(ref, ref, 10); got != 0 {
		t.Errorf("PSI of a sample with itself = %v", got)
	}
	if !math.IsNaN(PSI(nil, ref, 10)) {
		t.Error("PSI of an empty reference is not NaN")
	}
}

func TestECEReference(t *testing.T) {
	t.Parallel()
	for _, c := range mustRef(t).ECE {
		got, _ := ECE(c.Scores, c.Y, 10)
		if !near(got, c.ECE, 1e-12) {
			t.Errorf("%s: ECE = %.17g, want %.17g", c.Name, got, c.ECE)
		}
	}
}

func TestECEByHand(t *testing.T) {
	t.Parallel()
	// Bin [0.1, 0.2): scores 0.1, 0.15 (mean 0.125), labels 0, 1 (0.5):
	// gap 0.375. Bin [0.8, 0.9): 0.8, 0.85, 0.85 (mean 0.8333), labels 1,
	// 1, 1: gap 0.1667. Bin [0.9, 1]: 1.0 alone, label 1: gap 0.
	// ECE = (2·0.375 + 3·(1/6) + 0) / 6 = 1.25/6.
	s := []float64{0.1, 0.15, 0.8, 0.85, 0.85, 1.0}
	y := []float64{0, 1, 1, 1, 1, 1}
	ece, cal := ECE(s, y, 10)
	if want := 1.25 / 6; math.Abs(ece-want) > 1e-15 {
		t.Errorf("ECE = %v, want %v", ece, want)
	}
	if len(cal) != 10 || cal[1].N != 2 || cal[8].N != 3 || cal[9].N != 1 || cal[0].N != 0 {
		t.Fatalf("bins: %+v", cal)
	}
	if cal[1].Lo != 0.1 || cal[1].Hi != 0.2 || cal[1].MeanScore != 0.125 || cal[1].FracPositive != 0.5 {
		t.Errorf("bin 1: %+v", cal[1])
	}
	if cal[9].Hi != 1 || cal[9].FracPositive != 1 {
		t.Errorf("bin 9: %+v", cal[9])
	}
	// Perfect calibration on two bins.
	if ece, _ := ECE([]float64{0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75}, []float64{1, 0, 0, 0, 1, 1, 1, 0}, 2); ece != 0 {
		t.Errorf("calibrated ECE = %v", ece)
	}
}

func TestMulticlassAndRegressionMetrics(t *testing.T) {
	t.Parallel()
	r := mustRef(t)
	m := r.Multiclass
	if got := multiLogLoss(m.Y, m.P, m.Classes, nil); !near(got, m.LogLoss, 1e-12) {
		t.Errorf("multiclass logloss = %.17g, want %.17g", got, m.LogLoss)
	}
	if got := multiAccuracy(m.Y, m.P, m.Classes, nil); got != m.Accuracy {
		t.Errorf("multiclass accuracy = %v, want %v", got, m.Accuracy)
	}
	if got := mae(r.Regression.Y, r.Regression.P, nil); !near(got, r.Regression.MAE, 1e-12) {
		t.Errorf("mae = %.17g, want %.17g", got, r.Regression.MAE)
	}
}

// procReference is testdata/proc_reference.json, written by
// testdata/gen_proc.R with R's pROC on the aSAH data in testdata/asah.csv.
type procReference struct {
	PROCVersion string `json:"proc_version"`
	ROCs        []struct {
		Predictor string
		AUC, Var  float64
	}
	Tests []struct {
		A, B      string
		Cov, Z, P float64
	}
}

// readASAH reads testdata/asah.csv: outcome "Poor" is class 1, "Good"
// class 0, and the markers by column name.
func readASAH(t *testing.T) (y []float64, marker map[string][]float64) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "asah.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := rows[0]
	marker = map[string][]float64{}
	for _, r := range rows[1:] {
		for j, v := range r {
			if head[j] == "outcome" {
				switch v {
				case "Poor":
					y = append(y, 1)
				case "Good":
					y = append(y, 0)
				default:
					t.Fatalf("outcome %q", v)
				}
				continue
			}
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			marker[head[j]] = append(marker[head[j]], x)
		}
	}
	if len(y) != 113 {
		t.Fatalf("%d patients, want 113", len(y))
	}
	return y, marker
}

// TestDeLongPROC compares DeLong with a published third-party
// implementation, R's pROC (Robin et al., BMC Bioinformatics 12, 2011),
// on its own aSAH data: each marker's AUC and DeLong variance, and the
// paired DeLong test of each pair of markers (z, covariance, two-sided
// p). pROC's roc() ran with levels Good, Poor and direction "<": Poor is
// the positive class and higher scores mean Poor, as DeLong's convention.
func TestDeLongPROC(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("testdata", "proc_reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref procReference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	y, marker := readASAH(t)
	if len(ref.ROCs) != 3 || len(ref.Tests) != 3 {
		t.Fatalf("reference holds %d curves and %d tests", len(ref.ROCs), len(ref.Tests))
	}
	cmp := func(what string, got, want, rel float64) {
		t.Helper()
		if !near(got, want, rel) {
			t.Errorf("%s = %.17g, pROC %s %.17g", what, got, ref.PROCVersion, want)
		}
	}
	for _, c := range ref.ROCs {
		// A curve's own numbers, against any second score vector.
		r, err := DeLong(y, marker[c.Predictor], marker["ndka"])
		if err != nil {
			t.Fatal(err)
		}
		cmp(c.Predictor+" auc", r.AUCA, c.AUC, 1e-9)
		cmp(c.Predictor+" var", r.VarA, c.Var, 1e-9)
	}
	for _, c := range ref.Tests {
		r, err := DeLong(y, marker[c.A], marker[c.B])
		if err != nil {
			t.Fatal(err)
		}
		pair := c.A + " vs " + c.B
		cmp(pair+" z", r.Z, c.Z, 1e-9)
		cmp(pair+" cov", r.Cov, c.Cov, 1e-9)
		cmp(pair+" p", r.P, c.P, 1e-6)
	}
}
