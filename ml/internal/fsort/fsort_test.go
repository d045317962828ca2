package fsort

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestFloatsMatchesSlicesSort(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 100, cutoff + 7, 100000} {
		x := make([]float64, n)
		for i := range x {
			switch i % 5 {
			case 0:
				x[i] = r.NormFloat64() * 1e300
			case 1:
				x[i] = math.Copysign(0, -1)
			case 2:
				x[i] = float64(r.IntN(3)) // ties
			default:
				x[i] = r.NormFloat64()
			}
		}
		want := slices.Clone(x)
		slices.Sort(want)
		Floats(x)
		for i := range x {
			if x[i] != want[i] {
				t.Fatalf("n=%d: index %d: %v, want %v", n, i, x[i], want[i])
			}
		}
	}
	for _, f := range []float64{-math.MaxFloat64, -1, 0, 5e-324, 1, math.Inf(1)} {
		if FromKey(Key(f)) != f {
			t.Errorf("round trip %v", f)
		}
	}
}
