package train

import (
	"math"
	"testing"

	"github.com/freshet/freshet/ml"
)

func TestEvaluateOneClassHasNoAUC(t *testing.T) {
	t.Parallel()
	m := Evaluate(ml.TaskBinary, []float64{0.9, 0.9}, 1, []float64{1, 1})
	if _, ok := m[ml.MetricAUC]; ok {
		t.Error("AUC reported for one class")
	}
	if m[ml.MetricAccuracy] != 1 {
		t.Errorf("accuracy %v", m[ml.MetricAccuracy])
	}
	m = Evaluate(ml.TaskBinary, []float64{0.1, 0.4, 0.35, 0.8}, 1, []float64{0, 0, 1, 1})
	if math.Abs(m[ml.MetricAUC]-0.75) > 1e-12 { // sklearn's roc_auc_score example
		t.Errorf("auc %v", m[ml.MetricAUC])
	}
}

// TestValidationIsNewest: rows arrive out of time order; the trainer
// validates on the newest slice by time, never on older rows.
func TestValidationIsNewest(t *testing.T) {
	t.Parallel()
	n := 500
	m := &ml.Model{Name: "t", Task: ml.TaskBinary, Label: "y", Features: []ml.Feature{{Name: "x", Type: ml.Numeric}}}
	d := Data{X: [][]float64{make([]float64, n)}, Y: make([]float64, n), Time: make([]int64, n)}
	for i := range n {
		// Times descending: the first rows are the newest.
		d.Time[i] = int64(n - i)
		d.X[0][i] = float64(i % 17)
		// Old rows: y = x > 8; the newest 100 rows: the opposite.
		d.Y[i] = b2f(d.X[0][i] > 8)
		if i < 100 {
			d.Y[i] = 1 - d.Y[i]
		}
	}
	r, err := GBDT(m, d, Config{Rounds: 20, ValidFrac: 0.2, EarlyStopping: -1})
	if err != nil {
		t.Fatal(err)
	}
	if r.ValidRows != 100 || r.TrainRows != 400 {
		t.Fatalf("split %d/%d", r.TrainRows, r.ValidRows)
	}
	// Trained on the old rule, scored on the flipped newest rows: the
	// validation AUC must be near 0, which shows the newest rows validated.
	if a := Evaluate(ml.TaskBinary, r.ValidScores, 1, r.ValidY)[ml.MetricAUC]; a > 0.1 {
		t.Fatalf("validation AUC %v: validation rows were not the newest", a)
	}
	if _, err := GBDT(m, Data{X: [][]float64{{1}}, Y: []float64{1}}, Config{}); ml.ErrorCode(err) != ml.EINVALID {
		t.Fatalf("too few rows: %v", err)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
