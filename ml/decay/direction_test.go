package decay

import (
	"math/rand/v2"
	"testing"
)

// errorStream is n errors (1) and successes (0) at rate before, then n at
// rate after.
func errorStream(n int, before, after float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 3))
	out := make([]float64, 2*n)
	for i := range out {
		rate := before
		if i >= n {
			rate = after
		}
		if r.Float64() < rate {
			out[i] = 1
		}
	}
	return out
}

// Every detector says which way the error rate moved when it detects a
// change: a rise (the model got worse) or a fall (it got better). River's
// ADWIN, KSWIN and Page-Hinkley in mode both detect either, so Rising is
// what tells a degradation from an improvement.
func TestDetectorsTellARiseFromAFall(t *testing.T) {
	t.Parallel()
	ph := func(mode PHMode) func() (Detector, error) {
		return func() (Detector, error) {
			cfg := DefaultPageHinkleyConfig()
			cfg.Mode = mode
			return NewPageHinkley(cfg)
		}
	}
	for _, tc := range []struct {
		name string
		new  func() (Detector, error)
		// fall: whether the detector detects a falling error rate at all.
		fall bool
	}{
		{"adwin", func() (Detector, error) { return NewADWIN(DefaultADWINConfig()) }, true},
		{"kswin", func() (Detector, error) { return NewKSWIN(DefaultKSWINConfig(42)) }, true},
		{"page_hinkley both", ph(PHBoth), true},
		{"page_hinkley up", ph(PHUp), false},
		{"ddm", func() (Detector, error) { return NewDDM(DefaultDDMConfig()) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range []struct {
				what          string
				before, after float64
				rise          bool
			}{{"rise", 0.1, 0.6, true}, {"fall", 0.6, 0.1, false}} {
				d, err := tc.new()
				if err != nil {
					t.Fatal(err)
				}
				stream := errorStream(2000, c.before, c.after, 11)
				detected, rising := 0, 0
				for i, x := range stream {
					if !d.Update(x) {
						if Rising(d) {
							t.Fatalf("%s: Rising at %d without a detection", c.what, i)
						}
						continue
					}
					if i < 2000 {
						continue // a false alarm before the change says nothing
					}
					detected++
					if Rising(d) {
						rising++
					}
				}
				switch {
				case c.rise && (detected == 0 || rising != detected):
					t.Errorf("error rate %.1f → %.1f: %d detections, %d of them rising; want all rising", c.before, c.after, detected, rising)
				case !c.rise && rising > 0:
					t.Errorf("error rate %.1f → %.1f: %d of %d detections called rising", c.before, c.after, rising, detected)
				case !c.rise && tc.fall && detected == 0:
					t.Errorf("error rate %.1f → %.1f: not detected, so the test proves nothing", c.before, c.after)
				case !c.rise && !tc.fall && detected > 0:
					t.Errorf("error rate %.1f → %.1f: %d detections by a detector that watches rises only", c.before, c.after, detected)
				}
			}
		})
	}
}
