package metrics

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// uniforms is SplitMix64 mapped to [0,1), as make_refs.py.
func uniforms(seed uint64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		z := seed + 0x9E3779B97F4A7C15*uint64(i+1)
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		out[i] = float64(z>>11) * 0x1p-53
	}
	return out
}

// normals is make_refs.py's Irwin–Hall(12) - 6, summed left to right.
func normals(seed uint64, n int) []float64 {
	u := uniforms(seed, 12*n)
	x := make([]float64, n)
	for i := range x {
		v := u[12*i]
		for t := 1; t < 12; t++ {
			v += u[12*i+t]
		}
		x[i] = v - 6.0
	}
	return x
}

type refs struct {
	N                int
	AUC              float64 `json:"auc"`
	AUCWeighted      float64 `json:"auc_weighted"`
	LogLoss          float64 `json:"log_loss"`
	LogLossWeighted  float64 `json:"log_loss_weighted"`
	Accuracy         float64 `json:"accuracy"`
	AccuracyWeighted float64 `json:"accuracy_weighted"`
	F1               float64 `json:"f1"`
	F1Weighted       float64 `json:"f1_weighted"`
	Brier            float64 `json:"brier"`
	BrierWeighted    float64 `json:"brier_weighted"`
	RMSE             float64 `json:"rmse"`
	RMSEWeighted     float64 `json:"rmse_weighted"`
	Small            []struct {
		Y, Score []float64
		AUC      float64
		LogLoss  float64 `json:"log_loss"`
	}
}

func loadRefs(t *testing.T) refs {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r refs
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func relErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / math.Max(math.Abs(want), 1e-300)
}

func TestMatchesSklearn(t *testing.T) {
	t.Parallel()
	r := loadRefs(t)
	n := r.N
	u1, u2, u3 := uniforms(101, n), uniforms(102, n), uniforms(103, n)
	s, y, w := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range s {
		s[i] = math.Floor(float64(u1[i]*50.0)) / 50.0
		if u2[i] < float64(s[i]*0.8)+0.1 {
			y[i] = 1
		}
		w[i] = u3[i] + 0.5
	}
	ry, e := normals(104, n), normals(105, n)
	rp := make([]float64, n)
	for i := range rp {
		rp[i] = ry[i] + float64(e[i]*0.3)
	}
	type metric func(y, p, w []float64) (float64, error)
	tests := []struct {
		name string
		f    metric
		y, p []float64
		w    []float64
		want float64
	}{
		{"auc", AUC, y, s, nil, r.AUC},
		{"auc weighted", AUC, y, s, w, r.AUCWeighted},
		{"log loss", LogLoss, y, s, nil, r.LogLoss},
		{"log loss weighted", LogLoss, y, s, w, r.LogLossWeighted},
		{"accuracy", Accuracy, y, s, nil, r.Accuracy},
		{"accuracy weighted", Accuracy, y, s, w, r.AccuracyWeighted},
		{"f1", F1, y, s, nil, r.F1},
		{"f1 weighted", F1, y, s, w, r.F1Weighted},
		{"brier", Brier, y, s, nil, r.Brier},
		{"brier weighted", Brier, y, s, w, r.BrierWeighted},
		{"rmse", RMSE, ry, rp, nil, r.RMSE},
		{"rmse weighted", RMSE, ry, rp, w, r.RMSEWeighted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.f(tc.y, tc.p, tc.w)
			if err != nil {
				t.Fatal(err)
			}
			if e := relErr(got, tc.want); e > 1e-12 {
				t.Errorf("got %.17g, sklearn %.17g (rel %.2g)", got, tc.want, e)
			}
		})
	}
	for _, tc := range r.Small {
		auc, err := AUC(tc.Y, tc.Score, nil)
		if err != nil {
			t.Fatal(err)
		}
		ll, err := LogLoss(tc.Y, tc.Score, nil)
		if err != nil {
			t.Fatal(err)
		}
		if relErr(auc, tc.AUC) > 1e-12 || relErr(ll, tc.LogLoss) > 1e-12 {
			t.Errorf("%v %v: auc %.17g logloss %.17g; sklearn %.17g %.17g", tc.Y, tc.Score, auc, ll, tc.AUC, tc.LogLoss)
		}
	}
}

func TestAUCPaths(t *testing.T) {
	t.Parallel()
	// Large enough for the radix sort; the sorted fast path and the
	// weighted path (unit weights) must agree exactly with it.
	n := 20000
	u1, u2 := uniforms(7, n), uniforms(8, n)
	s, y, ones := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range s {
		s[i] = math.Floor(u1[i]*1000) / 1000
		if u2[i] < s[i] {
			y[i] = 1
		}
		ones[i] = 1
	}
	a, err := AUC(y, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int {
		switch {
		case s[i] < s[j]:
			return -1
		case s[i] > s[j]:
			return 1
		}
		return 0
	})
	ss, ys := make([]float64, n), make([]float64, n)
	for k, i := range idx {
		ss[k], ys[k] = s[i], y[i]
	}
	b, _ := AUC(ys, ss, nil)
	c, _ := AUC(y, s, ones)
	if a != b || relErr(a, c) > 1e-14 {
		t.Errorf("radix %.17g sorted %.17g weighted %.17g", a, b, c)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		y, p, w []float64
		want    error
	}{
		{"length", []float64{1, 0}, []float64{0.5}, nil, ErrLength},
		{"empty", nil, nil, nil, ErrEmpty},
		{"label", []float64{2, 0}, []float64{0.5, 0.5}, nil, ErrLabel},
		{"nan", []float64{1, 0}, []float64{math.NaN(), 0.5}, nil, ErrNaN},
		{"one class", []float64{1, 1}, []float64{0.2, 0.5}, nil, ErrOneClass},
		{"weight", []float64{1, 0}, []float64{0.2, 0.5}, []float64{1, -1}, ErrWeight},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := AUC(tc.y, tc.p, tc.w); err != tc.want {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
