package decay

import (
	"slices"
	"testing"
)

// TestRiverDocstringExamples checks the change points printed in River
// 0.21's docstrings, on the examples' own streams (Python's random, stored
// in testdata).
func TestRiverDocstringExamples(t *testing.T) {
	t.Parallel()
	refs := detectorRefsT(t)
	two := refs.Streams["two"]
	for _, tc := range []struct {
		name      string
		new       func() (Detector, error)
		wantIndex int
		wantValue float64
	}{
		{"adwin", func() (Detector, error) { return NewADWIN(DefaultADWINConfig()) }, 1023, 4},
		{"page_hinkley", func() (Detector, error) { return NewPageHinkley(DefaultPageHinkleyConfig()) }, 1006, 5},
		{"kswin", func() (Detector, error) {
			cfg := DefaultKSWINConfig(42)
			cfg.Alpha = 0.0001
			return NewKSWIN(cfg)
		}, 1016, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := tc.new()
			if err != nil {
				t.Fatal(err)
			}
			got := run(d, two)
			if len(got) != 1 || got[0] != tc.wantIndex || two[got[0]] != tc.wantValue {
				t.Fatalf("detections %v, want only index %d (input %v)", got, tc.wantIndex, tc.wantValue)
			}
		})
	}

	t.Run("ddm", func(t *testing.T) {
		t.Parallel()
		d, err := NewDDM(DefaultDDMConfig())
		if err != nil {
			t.Fatal(err)
		}
		// River's loop prints the first warning after each change.
		var warnings, drifts []int
		printWarning := true
		for i, x := range refs.Streams["ddm"] {
			drift := d.Update(x)
			if d.Warning() && printWarning {
				warnings = append(warnings, i)
				printWarning = false
			}
			if drift {
				drifts = append(drifts, i)
				printWarning = true
			}
		}
		if !slices.Equal(warnings, []int{1084, 1492}) || !slices.Equal(drifts, []int{1334}) {
			t.Fatalf("warnings %v drifts %v, want warnings [1084 1492] drifts [1334]", warnings, drifts)
		}
	})
}

func run(d Detector, stream []float64) []int {
	var out []int
	for i, x := range stream {
		if d.Update(x) {
			out = append(out, i)
		}
	}
	return out
}

func newFromCase(t *testing.T, c detectorCase) Detector {
	t.Helper()
	var d Detector
	var err error
	p := c.Params
	switch c.Detector {
	case "adwin":
		cfg := DefaultADWINConfig()
		if v, ok := p["clock"]; ok {
			cfg.Clock = int(v)
		}
		if v, ok := p["delta"]; ok {
			cfg.Delta = v
		}
		d, err = NewADWIN(cfg)
	case "page_hinkley":
		cfg := DefaultPageHinkleyConfig()
		if v, ok := p["threshold"]; ok {
			cfg.Threshold = v
		}
		if c.Mode != "" {
			cfg.Mode = PHMode(c.Mode)
		}
		d, err = NewPageHinkley(cfg)
	case "ddm":
		d, err = NewDDM(DefaultDDMConfig())
	case "kswin":
		cfg := DefaultKSWINConfig(int64(p["seed"]))
		if v, ok := p["alpha"]; ok {
			cfg.Alpha = v
		}
		if v, ok := p["window_size"]; ok {
			cfg.WindowSize = int(v)
		}
		if v, ok := p["stat_size"]; ok {
			cfg.StatSize = int(v)
		}
		d, err = NewKSWIN(cfg)
	default:
		t.Fatalf("unknown detector %q", c.Detector)
	}
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDetectorsMatchTranscription replays every case of
// testdata/detectors.json: each detection (and DDM warning) of the Python
// transcription of River must be reproduced at the same index.
func TestDetectorsMatchTranscription(t *testing.T) {
	t.Parallel()
	refs := detectorRefsT(t)
	for _, c := range refs.Cases {
		name := c.Stream + "/" + c.Detector
		for k, v := range c.Params {
			name += "/" + k + "=" + formatParam(v)
		}
		if c.Mode != "" {
			name += "/mode=" + c.Mode
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stream := refs.Streams[c.Stream]
			for pass := range 2 { // the second pass checks Reset
				d := newFromCase(t, c)
				if pass == 1 {
					run(d, stream[:len(stream)/3])
					d.Reset()
				}
				var drifts, warnings []int
				for i, x := range stream {
					if d.Update(x) {
						drifts = append(drifts, i)
					}
					if ddm, ok := d.(*DDM); ok && ddm.Warning() {
						warnings = append(warnings, i)
					}
				}
				if !slices.Equal(drifts, c.Drifts) {
					t.Fatalf("pass %d: drifts %v, want %v", pass, drifts, c.Drifts)
				}
				if c.Warnings != nil && !slices.Equal(warnings, c.Warnings) {
					t.Fatalf("pass %d: %d warnings, want %d (first diff near %v)", pass, len(warnings), len(c.Warnings), firstDiff(warnings, c.Warnings))
				}
			}
		})
	}
}

func formatParam(v float64) string {
	if v == float64(int64(v)) {
		return itoa(int64(v))
	}
	return ftoa(v)
}

func firstDiff(a, b []int) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i]
		}
	}
	return -1
}

func TestPySample(t *testing.T) {
	t.Parallel()
	refs := detectorRefsT(t)
	for _, s := range refs.Samples {
		t.Run(itoa(s.Seed), func(t *testing.T) {
			t.Parallel()
			r := newPyRandom(s.Seed)
			out := make([]int, s.K)
			pool := make([]int, s.N)
			for i, want := range s.Draws {
				r.sample(s.N, s.K, out, pool)
				if !slices.Equal(out, want) {
					t.Fatalf("draw %d: %v, want %v", i, out, want)
				}
			}
		})
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  func() error
	}{
		{"adwin delta", func() error { c := DefaultADWINConfig(); c.Delta = 0; _, err := NewADWIN(c); return err }},
		{"adwin clock", func() error { c := DefaultADWINConfig(); c.Clock = 0; _, err := NewADWIN(c); return err }},
		{"ph mode", func() error {
			c := DefaultPageHinkleyConfig()
			c.Mode = "sideways"
			_, err := NewPageHinkley(c)
			return err
		}},
		{"ph alpha", func() error { c := DefaultPageHinkleyConfig(); c.Alpha = 0; _, err := NewPageHinkley(c); return err }},
		{"ddm threshold", func() error { c := DefaultDDMConfig(); c.DriftThreshold = 0; _, err := NewDDM(c); return err }},
		{"kswin sizes", func() error { c := DefaultKSWINConfig(1); c.WindowSize = 50; _, err := NewKSWIN(c); return err }},
		{"kswin alpha", func() error { c := DefaultKSWINConfig(1); c.Alpha = 2; _, err := NewKSWIN(c); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.err() == nil {
				t.Fatal("want an error")
			}
		})
	}
}

// TestKSWINWindow checks the cold-start window: a full window of zeros
// makes the first update test at once.
func TestKSWINWindow(t *testing.T) {
	t.Parallel()
	cfg := DefaultKSWINConfig(3)
	cfg.Window = make([]float64, 150)
	k, err := NewKSWIN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	k.Update(0)
	if k.PValue() != 1 {
		t.Fatalf("p-value %v after a test on equal samples, want 1", k.PValue())
	}
	k.Reset()
	k.Update(0)
	if k.PValue() != 0 {
		t.Fatalf("p-value %v after Reset, want 0 (no test yet)", k.PValue())
	}
}

func TestDetectorNames(t *testing.T) {
	t.Parallel()
	a, _ := NewADWIN(DefaultADWINConfig())
	p, _ := NewPageHinkley(DefaultPageHinkleyConfig())
	d, _ := NewDDM(DefaultDDMConfig())
	k, _ := NewKSWIN(DefaultKSWINConfig(0))
	var names []string
	for _, det := range []Detector{a, p, d, k} {
		names = append(names, det.Name())
	}
	if !slices.Equal(names, []string{"adwin", "page_hinkley", "ddm", "kswin"}) {
		t.Fatal(names)
	}
}
