package drift

import (
	"math"
	"slices"
	"testing"
)

func TestWassersteinMatchesScipy(t *testing.T) {
	t.Parallel()
	var ref struct {
		Cases []struct {
			Name             string
			Ref, Cur         sampleOrSpec
			Distance, Normed float64
		}
	}
	loadJSON(t, "wasserstein.json", &ref)
	for _, tc := range ref.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			w, err := Wasserstein(tc.Ref.values, tc.Cur.values)
			if err != nil {
				t.Fatal(err)
			}
			wn, err := WassersteinNorm(tc.Ref.values, tc.Cur.values)
			if err != nil {
				t.Fatal(err)
			}
			if !near(w, tc.Distance, 1e-12) || !near(wn, tc.Normed, 1e-12) {
				t.Errorf("W = %.17g, normed %.17g; scipy %.17g, %.17g", w, wn, tc.Distance, tc.Normed)
			}
		})
	}
}

func TestBinnedMatchesNumpy(t *testing.T) {
	t.Parallel()
	var ref struct {
		Cases []struct {
			Name      string
			Ref, Cur  sampleOrSpec
			Bins      string
			NBins     int `json:"n_bins"`
			Cuts      []float64
			RefCounts []float64 `json:"ref_counts"`
			CurCounts []float64 `json:"cur_counts"`
			PSI, JS   float64
		}
		Vectors []struct {
			Ref, Cur []float64
			JS, LInf float64
		}
	}
	loadJSON(t, "binned.json", &ref)
	for _, tc := range ref.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			var b Bins
			var err error
			if tc.Bins == "quantile" {
				b, err = QuantileBins(tc.Ref.values, tc.NBins)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(b.Cuts, tc.Cuts) {
					t.Fatalf("cuts = %v\nnumpy  %v", b.Cuts, tc.Cuts)
				}
			} else {
				b, err = SturgesBins(tc.Ref.values, tc.Cur.values)
				if err != nil {
					t.Fatal(err)
				}
			}
			rc, _ := b.Count(tc.Ref.values)
			cc, _ := b.Count(tc.Cur.values)
			if tc.RefCounts != nil && (!slices.Equal(rc, tc.RefCounts) || !slices.Equal(cc, tc.CurCounts)) {
				t.Fatalf("counts = %v %v\nnumpy    %v %v", rc, cc, tc.RefCounts, tc.CurCounts)
			}
			if tc.Bins == "evidently" {
				// Evidently bins a column with <= 20 distinct reference values by value.
				if n := len(uniq(tc.Ref.values)); n <= 20 {
					_, rc, cc = Align(CountFloats(tc.Ref.values), CountFloats(tc.Cur.values))
				}
			}
			psi, err := PSI(rc, cc)
			if err != nil {
				t.Fatal(err)
			}
			js, err := JensenShannon(rc, cc)
			if err != nil {
				t.Fatal(err)
			}
			if !near(psi, tc.PSI, 1e-12) || !near(js, tc.JS, 1e-12) {
				t.Errorf("PSI = %.17g JS = %.17g; reference %.17g %.17g", psi, js, tc.PSI, tc.JS)
			}
		})
	}
	for _, tc := range ref.Vectors {
		js, err := JensenShannon(tc.Ref, tc.Cur)
		if err != nil {
			t.Fatal(err)
		}
		li, err := LInf(tc.Ref, tc.Cur)
		if err != nil {
			t.Fatal(err)
		}
		if !near(js, tc.JS, 1e-12) || !near(li, tc.LInf, 1e-15) {
			t.Errorf("%v %v: JS = %.17g LInf = %.17g; scipy %.17g %.17g", tc.Ref, tc.Cur, js, li, tc.JS, tc.LInf)
		}
	}
}

func uniq(x []float64) []float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return slices.Compact(s)
}

func TestCategoricalMatchesScipy(t *testing.T) {
	t.Parallel()
	var ref struct {
		ChiSquare []struct {
			Ref, Cur          []float64
			Statistic, PValue float64
		}
		ZTest []struct {
			RefFirst float64 `json:"ref_first"`
			RefN     float64 `json:"ref_n"`
			CurFirst float64 `json:"cur_first"`
			CurN     float64 `json:"cur_n"`
			Z        float64
			PValue   float64
		}
	}
	loadJSON(t, "categorical.json", &ref)
	for _, tc := range ref.ChiSquare {
		stat, p, err := ChiSquare(tc.Ref, tc.Cur)
		if err != nil {
			t.Fatal(err)
		}
		if !near(stat, tc.Statistic, 1e-12) || relErr(p, tc.PValue) > 1e-9 {
			t.Errorf("chi2(%v, %v) = %.17g p %.17g; scipy %.17g p %.17g (rel %.2g)", tc.Ref, tc.Cur, stat, p, tc.Statistic, tc.PValue, relErr(p, tc.PValue))
		}
	}
	for _, tc := range ref.ZTest {
		z, p, err := ZTest(tc.RefFirst, tc.RefN, tc.CurFirst, tc.CurN)
		if err != nil {
			t.Fatal(err)
		}
		if !near(z, tc.Z, 1e-12) || !near(p, tc.PValue, 1e-12) {
			t.Errorf("z(%v) = %.17g p %.17g; reference %.17g p %.17g", tc, z, p, tc.Z, tc.PValue)
		}
	}
}

func TestCountMatchesIndex(t *testing.T) {
	t.Parallel()
	x := genSample(sampleSpec{Kind: "normal", Seed: 77, N: 20000})
	ties := genSample(sampleSpec{Kind: "int", Seed: 78, N: 5000, Levels: 7})
	extra := []float64{math.Inf(-1), math.Inf(1), math.NaN(), -0.0, 0, math.MaxFloat64, -math.MaxFloat64}
	for _, tc := range []struct {
		name string
		ref  []float64
		n    int
	}{{"normal q10", x, 10}, {"normal q20", x, 20}, {"normal q2", x, 2}, {"ties q10", ties, 10}, {"one bin", x, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := QuantileBins(tc.ref, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			probe := append(slices.Clone(tc.ref), extra...)
			probe = append(probe, b.Cuts...)
			for _, c := range b.Cuts {
				probe = append(probe, math.Nextafter(c, math.Inf(-1)), math.Nextafter(c, math.Inf(1)))
			}
			got, missing := b.Count(probe)
			want := make([]float64, b.Len())
			for _, v := range probe {
				if v == v {
					want[b.Index(v)]++
				}
			}
			if missing != 1 || !slices.Equal(got, want) {
				t.Errorf("Count = %v (%d missing), Index gives %v", got, missing, want)
			}
		})
	}
}
