package sampling

import (
	"math"
	"math/rand/v2"
	"testing"
)

// benchPool is rows × features of Gaussian features with scores that
// depend on the first two, and the first labeled rows marked labeled.
func benchPool(rows, features, labeled int) Pool {
	r := rand.New(rand.NewPCG(8, 8))
	p := Pool{Scores: make([]float64, rows), X: make([][]float64, features)}
	for j := range p.X {
		p.X[j] = make([]float64, rows)
		for i := range rows {
			p.X[j][i] = r.NormFloat64()
		}
	}
	for i := range rows {
		z := p.X[0][i] + 0.5*p.X[1][i] + 0.3*r.NormFloat64()
		p.Scores[i] = 1 / (1 + math.Exp(-2*z))
	}
	for i := range labeled {
		p.Labeled = append(p.Labeled, i)
	}
	return p
}

// BenchmarkSelectDiversity100k is the default strategy on 100k rows × 10
// features, a batch of 100 (1,000 candidates); the labeled variant also
// keeps the batch away from 5,000 labeled rows.
func BenchmarkSelectDiversity100k(b *testing.B) {
	for _, tc := range []struct {
		name    string
		labeled int
	}{{"unlabeled", 0}, {"5000_labeled", 5000}} {
		p := benchPool(100_000, 10, tc.labeled)
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Select(StrategyDiversity, p, 100, Options{Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSelectMargin100k is plain uncertainty sampling for comparison.
func BenchmarkSelectMargin100k(b *testing.B) {
	p := benchPool(100_000, 10, 0)
	for b.Loop() {
		if _, err := Select(StrategyMargin, p, 100, Options{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
