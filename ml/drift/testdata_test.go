package drift

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The reference values in testdata/ come from bench/drift/make_refs.py
// (Debian's scipy 1.10 / numpy 1.24). Large samples are described by a
// spec and regenerated here bit for bit; small ones are stored.

// sampleSpec mirrors gen() in make_refs.py.
type sampleSpec struct {
	Kind   string   `json:"kind"`
	Seed   uint64   `json:"seed"`
	N      int      `json:"n"`
	Scale  *float64 `json:"scale"`
	Shift  *float64 `json:"shift"`
	Levels float64  `json:"levels"`
	Take   int      `json:"take"`
}

// uniforms is SplitMix64 (Steele, Lea, Flood 2014) mapped to [0,1).
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

func genSample(s sampleSpec) []float64 {
	var x []float64
	switch s.Kind {
	case "uniform":
		x = uniforms(s.Seed, s.N)
	case "normal":
		u := uniforms(s.Seed, 12*s.N)
		x = make([]float64, s.N)
		for i := range x {
			v := u[12*i]
			for t := 1; t < 12; t++ {
				v += u[12*i+t]
			}
			x[i] = v - 6.0
		}
	case "int":
		x = uniforms(s.Seed, s.N)
		for i, v := range x {
			x[i] = math.Floor(float64(v * s.Levels))
		}
	default:
		panic("unknown kind " + s.Kind)
	}
	scale, shift := 1.0, 0.0
	if s.Scale != nil {
		scale = *s.Scale
	}
	if s.Shift != nil {
		shift = *s.Shift
	}
	for i, v := range x {
		x[i] = float64(v*scale) + shift // explicit conversion: no FMA
	}
	if s.Take > 0 {
		x = x[:s.Take]
	}
	return x
}

// sampleOrSpec is either a stored list of values or a generator spec.
type sampleOrSpec struct{ values []float64 }

func (s *sampleOrSpec) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, &s.values)
	}
	var spec sampleSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		return err
	}
	s.values = genSample(spec)
	return nil
}

func loadJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// near reports whether got matches want to rel relative tolerance (or
// rel absolute tolerance near zero).
func near(got, want, rel float64) bool {
	if got == want {
		return true
	}
	if math.IsNaN(got) || math.IsNaN(want) {
		return false
	}
	return math.Abs(got-want) <= rel*math.Max(1, math.Abs(want)) ||
		math.Abs(got-want) <= rel*math.Abs(want)
}

func relErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / math.Max(math.Abs(want), 1e-300)
}
