package drift

import (
	"math/rand/v2"
	"testing"
)

func normals(seed uint64, n int, shift float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64() + shift
	}
	return x
}

// BenchmarkKS1M is ks_2samp on two unsorted samples of 1M each
// (peer: bench/drift/peers.py).
func BenchmarkKS1M(b *testing.B) {
	ref, cur := normals(1, 1_000_000, 0), normals(2, 1_000_000, 0.01)
	for b.Loop() {
		if _, err := KS(ref, cur); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPSI50x1M is PSI for 50 features of 1M reference and 1M current
// rows each: reference-quantile bins, counting both windows, PSI.
func BenchmarkPSI50x1M(b *testing.B) {
	const features = 50
	refs := make([][]float64, features)
	curs := make([][]float64, features)
	parallelFor(features, func(f int) {
		refs[f] = normals(uint64(2*f+10), 1_000_000, 0)
		curs[f] = normals(uint64(2*f+11), 1_000_000, 0.05*float64(f%5))
	})
	for b.Loop() {
		if _, err := PSIColumns(refs, curs, DefaultBins); err != nil {
			b.Fatal(err)
		}
	}
}
