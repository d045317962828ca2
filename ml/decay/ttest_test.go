package decay

import (
	"math"
	"testing"
)

func relClose(got, want, tol float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= tol*math.Max(math.Abs(want), math.SmallestNonzeroFloat64)
}

// TestTTestMeanScipy matches scipy.stats.ttest_ind(a, b, equal_var=False)
// (two-sided and alternative="greater") on the cases of testdata/ttest.json.
func TestTTestMeanScipy(t *testing.T) {
	t.Parallel()
	refs := ttestRefsT(t)
	for _, c := range refs.Cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			r, err := TTestMean(c.A, c.B)
			if err != nil {
				t.Fatal(err)
			}
			if !relClose(r.T, c.T, 1e-12) || !relClose(r.DF, c.DF, 1e-12) {
				t.Errorf("t=%v df=%v, want t=%v df=%v", r.T, r.DF, c.T, c.DF)
			}
			if !relClose(r.P, c.P, 1e-9) {
				t.Errorf("p=%v, want %v (rel err %.2g)", r.P, c.P, math.Abs(r.P-c.P)/c.P)
			}
			if !relClose(r.PGreater, c.PG, 1e-9) {
				t.Errorf("p_greater=%v, want %v", r.PGreater, c.PG)
			}
		})
	}
}

// TestStudentTSFScipy matches scipy.stats.t.sf over a grid of t and df.
func TestStudentTSFScipy(t *testing.T) {
	t.Parallel()
	refs := ttestRefsT(t)
	for _, c := range refs.TSF {
		got := StudentTSF(c.T, c.DF)
		if !relClose(got, c.SF, 1e-9) {
			t.Errorf("StudentTSF(%v, %v) = %v, want %v", c.T, c.DF, got, c.SF)
		}
	}
}

func TestTTestMeanEdges(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		a, b    []float64
		wantErr bool
		wantT   float64
	}{
		{name: "too small", a: []float64{1}, b: []float64{1, 2}, wantErr: true},
		{name: "constant unequal", a: []float64{1, 1}, b: []float64{2, 2}, wantT: math.Inf(-1)},
		{name: "constant equal", a: []float64{1, 1}, b: []float64{1, 1}, wantT: math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := TTestMean(tc.a, tc.b)
			if tc.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if math.IsNaN(tc.wantT) != math.IsNaN(r.T) || (!math.IsNaN(tc.wantT) && r.T != tc.wantT) {
				t.Fatalf("t=%v, want %v", r.T, tc.wantT)
			}
		})
	}
}
