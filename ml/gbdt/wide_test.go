package gbdt

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// synthWide is a binary problem with nf features: the label depends on a
// few of them through a logistic link; 2% of values are missing.
func synthWide(n, nf int, seed uint64) Dataset {
	rng := rand.New(rand.NewPCG(seed, 4))
	d := Dataset{X: make([][]float64, nf), Y: make([]float64, n)}
	for j := range d.X {
		d.X[j] = make([]float64, n)
	}
	for i := range n {
		for j := range nf {
			d.X[j][i] = rng.NormFloat64()
		}
		s := d.X[0][i] - d.X[1][i]*d.X[2][i] + math.Sin(3*d.X[3][i]) + 0.5*float64(i%7)/7
		if rng.Float64() < 1/(1+math.Exp(-2*s)) {
			d.Y[i] = 1
		}
		for j := range nf {
			if rng.Float64() < 0.02 {
				d.X[j][i] = math.NaN()
			}
		}
	}
	return d
}

// BenchmarkTrainWide trains 100 rounds, depth 6, on 100k × 40 synthetic
// rows (80/20 split) and reports seconds per model and test AUC.
func BenchmarkTrainWide(b *testing.B) {
	all := synthWide(100_000, 40, 1)
	train, test := rowsSlice(all, 0, 80_000), rowsSlice(all, 80_000, 100_000)
	var m *Model
	start := time.Now()
	n := 0
	for b.Loop() {
		var err error
		if m, err = Train(train, nil, Params{Rounds: 100}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(n), "s/model")
	b.ReportMetric(auc(test.Y, firstCol(predictAll(m, test.X))), "AUC")
}
