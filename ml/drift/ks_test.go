package drift

import (
	"math"
	"testing"
)

func TestKSMatchesScipy(t *testing.T) {
	t.Parallel()
	var ref struct {
		Cases []struct {
			Name      string
			Ref, Cur  sampleOrSpec
			Method    string
			Statistic float64
			PValue    float64
			Location  float64
			Sign      int
		}
	}
	loadJSON(t, "ks.json", &ref)
	for _, tc := range ref.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			got, err := KS(tc.Ref.values, tc.Cur.values)
			if err != nil {
				t.Fatal(err)
			}
			if got.Exact != (tc.Method == "exact") {
				t.Errorf("exact = %v, scipy used %s", got.Exact, tc.Method)
			}
			if got.Statistic != tc.Statistic {
				t.Errorf("statistic = %.17g, scipy %.17g", got.Statistic, tc.Statistic)
			}
			// Both methods are deterministic ports of scipy's arithmetic,
			// so 1e-9 relative is a loose bound (see the log for the
			// actual error).
			if !near(got.PValue, tc.PValue, 1e-9) || (tc.PValue > 0 && relErr(got.PValue, tc.PValue) > 1e-9) {
				t.Errorf("p = %.17g, scipy %.17g (rel err %.3g)", got.PValue, tc.PValue, relErr(got.PValue, tc.PValue))
			}
			if got.Location != tc.Location || got.Sign != tc.Sign {
				t.Errorf("location, sign = %v, %d; scipy %v, %d", got.Location, got.Sign, tc.Location, tc.Sign)
			}
			t.Logf("n=%d,%d D=%.6g p=%.6g rel err %.2g", len(tc.Ref.values), len(tc.Cur.values), got.Statistic, got.PValue, relErr(got.PValue, tc.PValue))
		})
	}
}

func TestKolmogornMatchesScipy(t *testing.T) {
	t.Parallel()
	var ref struct {
		KstwoSF []struct {
			N  int
			X  float64
			SF float64
		} `json:"kstwo_sf"`
	}
	loadJSON(t, "ks.json", &ref)
	for _, tc := range ref.KstwoSF {
		got := kolmogn(tc.N, tc.X, false)
		if tc.X <= 0.5/float64(tc.N) {
			got = 1 // kstwo's support starts at 1/(2n)
		}
		if relErr(got, tc.SF) > 1e-9 && math.Abs(got-tc.SF) > 1e-300 {
			t.Errorf("kstwo.sf(%g, %d) = %.17g, scipy %.17g (rel %.3g)", tc.X, tc.N, got, tc.SF, relErr(got, tc.SF))
		}
	}
}

func TestKSErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b []float64
		want error
	}{
		{"empty ref", nil, []float64{1}, ErrEmpty},
		{"empty cur", []float64{1}, nil, ErrEmpty},
		{"nan", []float64{1, math.NaN()}, []float64{1}, ErrNaN},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := KS(tc.a, tc.b); err != tc.want {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := KSSorted([]float64{2, 1}, []float64{1}); err != ErrNotSorted {
		t.Errorf("KSSorted unsorted: err = %v", err)
	}
}
