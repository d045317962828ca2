package gbdt

import (
	"testing"
	"time"
)

// BenchmarkTrainElec2 trains the headline configuration (time-ordered
// 80/20 split, 100 rounds, depth 6, lr 0.1) and reports seconds per model
// and test AUC. Compare with bench/xgb_elec2.py (XGBoost 1.7 hist, same
// split and parameters, 2 threads).
func BenchmarkTrainElec2(b *testing.B) {
	train, test := elec2Split(b)
	p := Params{Rounds: 100, MaxDepth: 6, LearningRate: 0.1}
	var m *Model
	start := time.Now()
	n := 0
	for b.Loop() {
		var err error
		if m, err = Train(train, nil, p); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(n), "s/model")
	b.ReportMetric(auc(test.Y, firstCol(predictAll(m, test.X))), "AUC")
}

// BenchmarkContinue336 is the cheap incremental retrain: 5 more trees on
// one week (336 rows) of Elec2 on top of a 100-round model.
func BenchmarkContinue336(b *testing.B) {
	X, y := loadElec2(b)
	all := Dataset{X: X, Y: y}
	m, err := Train(rowsSlice(all, 0, 36000), nil, Params{Rounds: 100})
	if err != nil {
		b.Fatal(err)
	}
	week := rowsSlice(all, 36000, 36336)
	for b.Loop() {
		if _, err := Continue(m, week, nil, Params{Rounds: 5}); err != nil {
			b.Fatal(err)
		}
	}
}
