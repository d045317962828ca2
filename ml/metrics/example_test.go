package metrics_test

import (
	"fmt"

	"github.com/freshet/freshet/ml/metrics"
)

func ExampleAUC() {
	y := []float64{0, 0, 1, 1}
	score := []float64{0.1, 0.4, 0.35, 0.8}
	auc, _ := metrics.AUC(y, score, nil)
	ll, _ := metrics.LogLoss(y, score, nil)
	acc, _ := metrics.Accuracy(y, score, nil)
	fmt.Printf("AUC %.2f  log loss %.4f  accuracy %.2f\n", auc, ll, acc)
	// Output: AUC 0.75  log loss 0.4723  accuracy 0.75
}
