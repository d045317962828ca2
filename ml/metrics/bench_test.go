package metrics

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkAUC1M is ROC AUC over 1M unsorted scores with half the labels
// positive (peer: sklearn roc_auc_score in bench/drift/peers.py).
func BenchmarkAUC1M(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 1_000_000
	y, s := make([]float64, n), make([]float64, n)
	for i := range s {
		if r.IntN(2) == 1 {
			y[i] = 1
		}
		s[i] = r.NormFloat64() + 0.5*y[i]
	}
	for b.Loop() {
		if _, err := AUC(y, s, nil); err != nil {
			b.Fatal(err)
		}
	}
}
