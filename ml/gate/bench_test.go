package gate

import (
	"testing"

	"github.com/freshet/freshet/ml"
)

// benchInput is a 50,000-row binary holdout with three categorical slice
// columns (7, 5 and 24 values) and a champion.
func benchInput(b *testing.B, metric string) Input {
	h := newHoldout(50_000, 21)
	in := h.input(h.model(0.6), h.model(0.5))
	in.Metric = metric
	return in
}

// BenchmarkEvaluate50k is Evaluate with the default 1,000 bootstrap
// resamples on 50,000 rows, AUC as the primary metric.
func BenchmarkEvaluate50k(b *testing.B) {
	in := benchInput(b, ml.MetricAUC)
	for b.Loop() {
		if _, err := Evaluate(ml.GateConfig{}, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluate50kLogLoss is the same with log loss, whose judged
// slices take their p-values from the shared bootstrap.
func BenchmarkEvaluate50kLogLoss(b *testing.B) {
	in := benchInput(b, ml.MetricLogLoss)
	for b.Loop() {
		if _, err := Evaluate(ml.GateConfig{}, in); err != nil {
			b.Fatal(err)
		}
	}
}
