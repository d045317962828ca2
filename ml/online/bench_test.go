package online

import (
	"math/rand/v2"
	"testing"
)

// benchRows returns 4096 rows of 8 columns (7 numeric, 1 categorical
// with 7 codes, like Elec2 plus one) and labels.
func benchRows() ([][]float64, []float64, Schema) {
	r := rand.New(rand.NewPCG(1, 1))
	xs := make([][]float64, 4096)
	ys := make([]float64, len(xs))
	for i := range xs {
		x := make([]float64, 8)
		x[0] = float64(r.IntN(7))
		for j := 1; j < 8; j++ {
			x[j] = r.NormFloat64()
		}
		xs[i] = x
		if x[1]+x[2]-x[3] > r.NormFloat64() {
			ys[i] = 1
		}
	}
	return xs, ys, NewSchema(8, 0)
}

// BenchmarkLearnOne measures one predict-then-learn step, metrics
// included, on 8 features.
func BenchmarkLearnOne(b *testing.B) {
	xs, ys, schema := benchRows()
	m := mustNew(b, Config{Schema: schema, L1: 0.1, L2: 1})
	i := 0
	for b.Loop() {
		if err := m.LearnOne(xs[i&4095], ys[i&4095]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkPredictOne(b *testing.B) {
	xs, ys, schema := benchRows()
	m := mustNew(b, Config{Schema: schema})
	if err := m.LearnBatch(xs, ys); err != nil {
		b.Fatal(err)
	}
	i := 0
	var sink float64
	for b.Loop() {
		sink += m.PredictOne(xs[i&4095])
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	_ = sink
}

// BenchmarkEnsembleLearnOne is LearnOne for the default four learners.
func BenchmarkEnsembleLearnOne(b *testing.B) {
	xs, ys, schema := benchRows()
	e, err := NewEnsemble(EnsembleConfig{Base: Config{Schema: schema}})
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		if err := e.LearnOne(xs[i&4095], ys[i&4095]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
