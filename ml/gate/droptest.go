package gate

import (
	"math"

	"github.com/freshet/freshet/ml"
)

// DropTest is a one-sided test that a new binary model is worse than the
// old one on the same labeled rows.
type DropTest struct {
	Metric string  `json:"metric"`
	Old    float64 `json:"old"`
	New    float64 `json:"new"`
	// Drop is how much worse the new model is: old − new, or new − old for
	// logloss; negative when it is better.
	Drop float64 `json:"drop"`
	// Test is "delong" (auc), "mcnemar" (accuracy) or "bootstrap" (logloss,
	// f1), as in Difference; Statistic is the test's z (positive when the
	// new model is better) or McNemar's corrected chi-square.
	Test      string  `json:"test"`
	Statistic float64 `json:"statistic"`
	// P is the one-sided p-value for "new is worse than old".
	P float64 `json:"p"`
}

// DropBootstrap is the number of resamples BinaryDropTest draws for
// metrics without their own test.
const DropBootstrap = 1000

// BinaryDropTest tests whether the binary model that scored newScores is
// worse than the one that scored oldScores on labels y (0 or 1), in metric (auc, accuracy,
// logloss or f1), with the gate's tests: DeLong's for auc, McNemar's exact
// binomial for accuracy at 0.5, and otherwise DropBootstrap paired
// bootstrap resamples (seeded by seed) with the difference divided by its
// bootstrap standard error read against the normal distribution. It is
// what the post-deploy watch runs on the labels that arrive after a
// promotion.
func BinaryDropTest(metric string, y, oldScores, newScores []float64, seed uint64) (DropTest, error) {
	in := Input{Task: ml.TaskBinary, Metric: metric, Labels: y, Champion: oldScores, Challenger: newScores}
	if oldScores == nil {
		return DropTest{}, ml.Errorf(ml.EINVALID, "drop test: no scores for the old model")
	}
	if err := in.normalize(); err != nil {
		return DropTest{}, err
	}
	sc := scorer{task: ml.TaskBinary, y: y}
	t := DropTest{Metric: in.Metric, Old: sc.one(in.Metric, oldScores), New: sc.one(in.Metric, newScores)}
	t.Drop = -sense(in.Metric) * (t.New - t.Old)
	switch in.Metric {
	case ml.MetricAUC:
		r, err := DeLong(y, newScores, oldScores)
		if err != nil {
			return DropTest{}, err
		}
		t.Test, t.Statistic, t.P = "delong", noInf(r.Z), r.PALess()
	case ml.MetricAccuracy:
		m := mcnemarCorrect(sc.correct(oldScores), sc.correct(newScores))
		t.Test, t.Statistic, t.P = "mcnemar", m.Statistic, m.PBWorse()
	default:
		plan := newDiffPlan(sc, in.Metric, oldScores, newScores, order{}, order{})
		reps := resample(len(y), DropBootstrap, seed, 1, workers(DropBootstrap), plan.evaluator)
		z := zScore(-t.Drop, summarize(-t.Drop, reps, 0.05).SE)
		t.Test, t.Statistic, t.P = "bootstrap", noInf(z), normCDF(z)
	}
	if math.IsNaN(t.P) {
		t.P = 1
	}
	return t, nil
}
