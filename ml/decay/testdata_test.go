package decay

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The references in testdata/ come from bench/decay/make_refs.py: the
// docstring streams of River's examples (Python's random), the detections
// of a line-by-line Python transcription of River 0.21's detectors, and
// scipy 1.10's Welch t-test.

type detectorCase struct {
	Stream   string             `json:"stream"`
	Detector string             `json:"detector"`
	Params   map[string]float64 `json:"params"`
	Mode     string             `json:"-"`
	Drifts   []int              `json:"drifts"`
	Warnings []int              `json:"warnings"`
}

type sampleRef struct {
	Seed  int64   `json:"seed"`
	N     int     `json:"n"`
	K     int     `json:"k"`
	Draws [][]int `json:"draws"`
}

type detectorRefs struct {
	Streams map[string][]float64 `json:"streams"`
	Cases   []detectorCase       `json:"cases"`
	Samples []sampleRef          `json:"samples"`
}

var loadDetectorRefs = sync.OnceValues(func() (detectorRefs, error) {
	var refs detectorRefs
	b, err := os.ReadFile(filepath.Join("testdata", "detectors.json"))
	if err != nil {
		return refs, err
	}
	// params mixes numbers and the Page-Hinkley mode string.
	var raw struct {
		Streams map[string][]float64 `json:"streams"`
		Cases   []struct {
			detectorCase
			Params map[string]any `json:"params"`
		} `json:"cases"`
		Samples []sampleRef `json:"samples"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return refs, err
	}
	refs.Streams, refs.Samples = raw.Streams, raw.Samples
	for _, c := range raw.Cases {
		dc := c.detectorCase
		dc.Params = map[string]float64{}
		for k, v := range c.Params {
			switch v := v.(type) {
			case float64:
				dc.Params[k] = v
			case string:
				dc.Mode = v
			}
		}
		refs.Cases = append(refs.Cases, dc)
	}
	return refs, nil
})

func detectorRefsT(t testing.TB) detectorRefs {
	t.Helper()
	refs, err := loadDetectorRefs()
	if err != nil {
		t.Fatal(err)
	}
	return refs
}

type ttestCase struct {
	Name string    `json:"name"`
	A    []float64 `json:"a"`
	B    []float64 `json:"b"`
	T    float64   `json:"t"`
	P    float64   `json:"p"`
	PG   float64   `json:"p_greater"`
	DF   float64   `json:"df"`
}

type ttestRefs struct {
	Cases []ttestCase `json:"cases"`
	TSF   []struct {
		T  float64 `json:"t"`
		DF float64 `json:"df"`
		SF float64 `json:"sf"`
	} `json:"t_sf"`
}

func ttestRefsT(t testing.TB) ttestRefs {
	t.Helper()
	var refs ttestRefs
	b, err := os.ReadFile(filepath.Join("testdata", "ttest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &refs); err != nil {
		t.Fatal(err)
	}
	return refs
}
