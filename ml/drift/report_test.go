package drift

import (
	"math"
	"testing"
)

func seq(n int, f func(i int) float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = f(i)
	}
	return x
}

func TestChooseMethod(t *testing.T) {
	t.Parallel()
	many := func(n int) []float64 { return seq(n, func(i int) float64 { return float64(i) }) }
	few := func(n, k int) []float64 { return seq(n, func(i int) float64 { return float64(i % k) }) }
	tests := []struct {
		name        string
		ref, cur    []float64
		categorical bool
		want        Method
	}{
		{"small numeric", many(1000), many(50), false, MethodKS},
		{"small numeric few values", few(500, 4), few(50, 4), false, MethodChiSquare},
		{"small numeric binary", few(500, 2), few(50, 2), false, MethodZ},
		{"small categorical", few(500, 7), few(50, 7), true, MethodChiSquare},
		{"small categorical binary", few(500, 2), few(50, 2), true, MethodZ},
		{"large numeric", many(1001), many(50), false, MethodWasserstein},
		{"large numeric few values", few(2000, 5), few(50, 5), false, MethodJensenShannon},
		{"large categorical", few(2000, 40), few(50, 40), true, MethodJensenShannon},
		{"distinct counted over both", few(500, 2), few(50, 3), false, MethodChiSquare},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := ChooseMethod(tc.ref, tc.cur, tc.categorical, 1000); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestAdjust(t *testing.T) {
	t.Parallel()
	ps := []float64{0.01, 0.04, 0.03, 0.005}
	tests := []struct {
		name string
		c    Correction
		want []float64
	}{
		{"none", CorrectionNone, ps},
		{"bonferroni", CorrectionBonferroni, []float64{0.04, 0.16, 0.12, 0.02}},
		// statsmodels multipletests(method='fdr_bh').
		{"bh", CorrectionBH, []float64{0.02, 0.04, 0.04, 0.02}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fs := make([]FeatureReport, len(ps))
			for i, p := range ps {
				fs[i] = FeatureReport{Method: MethodKS, PValue: p, Score: p}
			}
			fs = append(fs, FeatureReport{Method: MethodWasserstein, PValue: math.NaN(), Score: 0.3})
			adjust(fs, tc.c)
			for i, w := range tc.want {
				if math.Abs(fs[i].Score-w) > 1e-15 {
					t.Errorf("feature %d: %g, want %g", i, fs[i].Score, w)
				}
			}
			if fs[len(ps)].Score != 0.3 {
				t.Errorf("distance changed: %g", fs[len(ps)].Score)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	base := seq(2000, func(i int) float64 { return float64(i%200) / 10 })
	shifted := seq(2000, func(i int) float64 { return float64(i%200)/10 + 5 })
	tests := []struct {
		name         string
		cols         []Column
		cfg          Config
		wantDrifted  []bool
		wantDataset  bool
		wantWeighted bool
	}{
		{
			name: "unused feature does not page",
			cols: []Column{
				{Name: "a", Ref: base, Cur: shifted, Importance: 0},
				{Name: "b", Ref: base, Cur: base, Importance: 3},
			},
			wantDrifted: []bool{true, false}, wantDataset: true, wantWeighted: false,
		},
		{
			name: "threshold override",
			cols: []Column{
				{Name: "a", Ref: base, Cur: shifted, Threshold: 10},
			},
			wantDrifted: []bool{false}, wantDataset: false, wantWeighted: false,
		},
		{
			name: "drift share",
			cols: []Column{
				{Name: "a", Ref: base, Cur: shifted},
				{Name: "b", Ref: base, Cur: base},
				{Name: "c", Ref: base, Cur: base},
			},
			cfg:         Config{DriftShare: 0.3},
			wantDrifted: []bool{true, false, false}, wantDataset: true, wantWeighted: true,
		},
		{
			name: "psi method and NaNs dropped",
			cols: []Column{
				{Name: "a", Ref: append(base, math.NaN()), Cur: append(shifted, math.Inf(1)), Method: MethodPSI},
			},
			wantDrifted: []bool{true}, wantDataset: true, wantWeighted: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep, err := Detect(tc.cols, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range tc.wantDrifted {
				if rep.Features[i].Drifted != w {
					t.Errorf("%s: drifted = %v, want %v (%+v)", rep.Features[i].Name, rep.Features[i].Drifted, w, rep.Features[i])
				}
			}
			if rep.DatasetDrift != tc.wantDataset || rep.WeightedDrift != tc.wantWeighted {
				t.Errorf("dataset %v weighted %v, want %v %v", rep.DatasetDrift, rep.WeightedDrift, tc.wantDataset, tc.wantWeighted)
			}
		})
	}
}
