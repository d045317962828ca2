package decay

import (
	"math"
	"testing"
)

// normals draws n standard normal values by Box–Muller from SplitMix64.
func normals(rng *splitMix, n int, mu, sigma float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		u1 := (float64(rng.next()>>11) + 0.5) * 0x1p-53
		u2 := float64(rng.next()>>11) * 0x1p-53
		out[i] = mu + sigma*math.Sqrt(-2*math.Log(u1))*math.Cos(2*math.Pi*u2)
	}
	return out
}

// TestBootstrapCoverage checks by simulation that the 95% interval covers
// the true difference of means about 95% of the time. The percentile
// bootstrap is slightly liberal for small samples, so the band is
// [0.92, 0.975]; with 600 data sets the standard error is about 0.009.
func TestBootstrapCoverage(t *testing.T) {
	t.Parallel()
	const sims, n, trueDiff = 600, 80, 0.3
	for _, tc := range []struct {
		name   string
		paired bool
	}{
		{"unpaired", false},
		{"paired", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng := splitMix{state: 12345}
			covered := 0
			for s := range sims {
				var cur, base []float64
				if tc.paired {
					// Losses of two models on the same rows: a shared row
					// effect plus independent noise.
					row := normals(&rng, n, 1, 1)
					e1 := normals(&rng, n, trueDiff, 0.5)
					e2 := normals(&rng, n, 0, 0.5)
					cur, base = make([]float64, n), make([]float64, n)
					for i := range row {
						cur[i], base[i] = row[i]+e1[i], row[i]+e2[i]
					}
				} else {
					cur = normals(&rng, n, 1+trueDiff, 1)
					base = normals(&rng, n+20, 1, 1.5)
				}
				r, err := BootstrapDiff(cur, base, BootstrapConfig{Resamples: 1000, Level: 0.95, Paired: tc.paired, Seed: uint64(s)})
				if err != nil {
					t.Fatal(err)
				}
				if r.Lower <= trueDiff && trueDiff <= r.Upper {
					covered++
				}
			}
			cov := float64(covered) / sims
			t.Logf("coverage %.3f over %d data sets", cov, sims)
			if cov < 0.92 || cov > 0.975 {
				t.Fatalf("coverage %.3f, want about 0.95", cov)
			}
		})
	}
}

func TestBootstrapDeterministic(t *testing.T) {
	t.Parallel()
	rng := splitMix{state: 7}
	cur := normals(&rng, 200, 0.5, 1)
	base := normals(&rng, 200, 0.2, 1)
	cfg := DefaultBootstrapConfig()
	a, err := BootstrapDiff(cur, base, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := BootstrapDiff(cur, base, cfg)
	if a != b {
		t.Fatalf("same seed, different results: %+v vs %+v", a, b)
	}
	cfg.Seed = 8
	c, _ := BootstrapDiff(cur, base, cfg)
	if c.Lower == a.Lower && c.Upper == a.Upper {
		t.Fatal("different seeds gave identical intervals")
	}
	if !(a.Lower < a.Diff && a.Diff < a.Upper) || !a.Significant() || a.PNonPositive > 0.05 {
		t.Fatalf("implausible interval %+v", a)
	}
}

func TestBootstrapErrors(t *testing.T) {
	t.Parallel()
	ok := []float64{1, 2, 3}
	for _, tc := range []struct {
		name      string
		cur, base []float64
		cfg       BootstrapConfig
	}{
		{"empty", nil, ok, DefaultBootstrapConfig()},
		{"few resamples", ok, ok, BootstrapConfig{Resamples: 10, Level: 0.95}},
		{"level", ok, ok, BootstrapConfig{Resamples: 200, Level: 1}},
		{"paired lengths", ok, ok[:2], BootstrapConfig{Resamples: 200, Level: 0.9, Paired: true}},
		{"nan", []float64{1, math.NaN()}, ok, DefaultBootstrapConfig()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := BootstrapDiff(tc.cur, tc.base, tc.cfg); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func TestPercentileLinear(t *testing.T) {
	t.Parallel()
	x := []float64{1, 2, 3, 4, 10}
	for _, tc := range []struct{ q, want float64 }{
		{0, 1}, {0.25, 2}, {0.5, 3}, {0.9, 7.6}, {1, 10},
	} {
		if got := percentile(x, tc.q); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("percentile(%v) = %v, want %v (numpy)", tc.q, got, tc.want)
		}
	}
}

func TestSplitMixBelowUniform(t *testing.T) {
	t.Parallel()
	rng := splitMix{state: 99}
	var counts [7]int
	for range 70000 {
		counts[rng.below(7)]++
	}
	for i, c := range counts {
		if c < 9500 || c > 10500 {
			t.Fatalf("bucket %d has %d of 70000", i, c)
		}
	}
}
