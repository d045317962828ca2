package gbdt

import (
	"bufio"
	"bytes"
	"testing"
	"time"

	"github.com/dmitryikh/leaves"
)

// BenchmarkLeavesPredict1M300 measures serving throughput: a 300-tree,
// depth-6 binary model trained on 100k synthetic rows × 40 features
// (synthWide), written as LightGBM text, loaded by leaves the way freshet
// serves it, and PredictDense on 1M rows × 40 (2% missing) with 2 threads.
// It reports rows/s. The XGBoost peer is bench/xgb_predict.py
// (inplace_predict, 300 trees, depth 6, 2 threads); bench/train_vs_xgb.sh
// runs both. Setup (training) takes about 15 s on 2 cores:
//
//	go test -run '^$' -bench 'BenchmarkLeavesPredict1M300$' -benchtime 3x ./ml/gbdt
func BenchmarkLeavesPredict1M300(b *testing.B) {
	const (
		trees, rows, threads = 300, 1_000_000, 2
	)
	m, err := Train(synthWide(100_000, 40, 1), nil, Params{Rounds: trees, MaxDepth: 6, LearningRate: 0.1, Threads: threads})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.WriteText(&buf); err != nil {
		b.Fatal(err)
	}
	ens, err := leaves.LGEnsembleFromReader(bufio.NewReader(&buf), true)
	if err != nil {
		b.Fatal(err)
	}
	if ens.NEstimators() != trees {
		b.Fatalf("leaves loaded %d trees, want %d", ens.NEstimators(), trees)
	}
	// Fresh rows (another seed), row-major as PredictDense wants them.
	cols := synthWide(rows, 40, 2).X
	nf := len(cols)
	dense := make([]float64, rows*nf)
	for j, c := range cols {
		for i, v := range c {
			dense[i*nf+j] = v
		}
	}
	cols = nil
	pred := make([]float64, rows)

	n := 0
	var elapsed time.Duration
	for b.Loop() {
		start := time.Now()
		if err := ens.PredictDense(dense, rows, nf, pred, 0, threads); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		n++
	}
	b.ReportMetric(float64(n*rows)/elapsed.Seconds(), "rows/s")
}
