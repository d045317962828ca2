package online

import (
	"math"
	"testing"
)

// TestElec2MatchesBatch fits FTRL (ten in-order passes) and
// L2-regularised batch logistic regression (gonum L-BFGS) on the same
// Elec2 rows and compares their AUC, in sample and on the newest 20%.
// With alpha 0.02 one pass is already within 0.007 of batch in sample,
// and the gap closes as passes shrink the per-coordinate learning rates;
// a large alpha (0.3) stays about 0.02 behind for tens of passes, because
// it keeps chasing the most recent rows.
func TestElec2MatchesBatch(t *testing.T) {
	t.Parallel()
	d := loadElec2(t)
	const l2 = 1.0
	split := len(d.x) * 8 / 10
	for _, tc := range []struct {
		name   string
		train  int // rows to train on
		passes int
	}{
		{"all rows", len(d.x), 10},
		{"first 80%", split, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			xs, ys := d.x[:tc.train], d.y[:tc.train]
			des := newDesign(elec2Schema, d.x)
			trainDes := design{rows: des.rows[:tc.train], dim: des.dim}
			w := fitBatch(t, trainDes, ys, l2)
			batch := des.predict(w)

			m := mustNew(t, Config{Schema: elec2Schema, Alpha: 0.02, L2: l2})
			for range tc.passes {
				if err := m.LearnBatch(xs, ys); err != nil {
					t.Fatal(err)
				}
			}
			ftrl := predictAll(m, d.x)
			c := m.Coefficients()
			t.Logf("intercept: batch %.3f, FTRL %.3f", w[0], c.Intercept)
			for j := 1; j < 7; j++ {
				t.Logf("column %d: batch %.3f, FTRL %.3f", j, w[des.dim-7+j], c.Numeric[j])
			}

			all := labels(d.y)
			batchIn, ftrlIn := AUC(batch[:tc.train], all[:tc.train]), AUC(ftrl[:tc.train], all[:tc.train])
			t.Logf("in-sample AUC: batch %.4f, FTRL %.4f (diff %+.4f)", batchIn, ftrlIn, ftrlIn-batchIn)
			if math.Abs(ftrlIn-batchIn) > 0.01 {
				t.Errorf("in-sample AUC: FTRL %.4f, batch %.4f; want within 0.01", ftrlIn, batchIn)
			}
			if tc.train < len(d.x) {
				batchOut, ftrlOut := AUC(batch[tc.train:], all[tc.train:]), AUC(ftrl[tc.train:], all[tc.train:])
				t.Logf("holdout AUC: batch %.4f, FTRL %.4f (diff %+.4f)", batchOut, ftrlOut, ftrlOut-batchOut)
				if math.Abs(ftrlOut-batchOut) > 0.01 {
					t.Errorf("holdout AUC: FTRL %.4f, batch %.4f; want within 0.01", ftrlOut, batchOut)
				}
			}
		})
	}
}

// TestElec2Prequential checks that predict-then-learn accuracy on Elec2,
// in time order, is in the range an online linear model reaches.
func TestElec2Prequential(t *testing.T) {
	t.Parallel()
	d := loadElec2(t)
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"alpha 0.05", Config{Alpha: 0.05}},
		{"alpha 0.2", Config{Alpha: 0.2}},
		{"alpha 1", Config{Alpha: 1}},
		{"alpha 0.2 l1 l2", Config{Alpha: 0.2, L1: 1, L2: 1}},
		{"alpha 0.2 clip 3", Config{Alpha: 0.2, Clip: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.cfg.Schema = elec2Schema
			m := mustNew(t, tc.cfg)
			if err := m.LearnBatch(d.x, d.y); err != nil {
				t.Fatal(err)
			}
			got := m.Metrics()
			t.Logf("prequential: accuracy %.4f, log loss %.4f, AUC (last %d) %.4f over %d rows",
				got.Accuracy, got.LogLoss, got.AUCRows, got.AUC, got.Rows)
			if got.Rows != int64(len(d.x)) {
				t.Errorf("rows = %d, want %d", got.Rows, len(d.x))
			}
			if got.Accuracy < 0.72 || got.Accuracy > 0.9 {
				t.Errorf("prequential accuracy %.4f outside [0.72, 0.90]", got.Accuracy)
			}
			if got.LogLoss > 0.6 {
				t.Errorf("prequential log loss %.4f, want < 0.6", got.LogLoss)
			}
		})
	}
	t.Run("ensemble", func(t *testing.T) {
		t.Parallel()
		e, err := NewEnsemble(EnsembleConfig{Base: Config{Schema: elec2Schema}})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.LearnBatch(d.x, d.y); err != nil {
			t.Fatal(err)
		}
		got := e.Metrics()
		t.Logf("ensemble prequential: accuracy %.4f, log loss %.4f, AUC (last %d) %.4f; weights %.3f over alphas %v, losses %.1f",
			got.Accuracy, got.LogLoss, got.AUCRows, got.AUC, e.Weights(), e.Alphas(), e.Losses())
		best := math.Inf(1)
		for k := range e.Alphas() {
			lm := e.Learner(k).Metrics()
			t.Logf("  learner alpha %v: accuracy %.4f, log loss %.4f", e.Alphas()[k], lm.Accuracy, lm.LogLoss)
			best = min(best, e.Losses()[k])
		}
		// Vovk's bound for eta = 1: ensemble loss <= best + ln K.
		ensLoss := got.LogLoss * float64(got.Rows)
		if bound := best + math.Log(float64(len(e.Alphas()))); ensLoss > bound+1e-6 {
			t.Errorf("ensemble cumulative log loss %.3f above best learner's %.3f + ln K", ensLoss, best)
		}
		if got.Accuracy < 0.72 {
			t.Errorf("ensemble prequential accuracy %.4f < 0.72", got.Accuracy)
		}
	})
}
