package jobs

import (
	"math"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
)

// A drop test without a finite bootstrap replicate (here the new
// champion's scores are all missing) is no evidence: it says why and
// never asks for a rollback.
func TestDropTestWithoutEvidence(t *testing.T) {
	m := &ml.Model{Name: "r", Task: ml.TaskRegression, Metric: "rmse"}
	n := 200
	y, older, newer := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		y[i], older[i], newer[i] = float64(i%7), float64(i%7)+0.5, math.NaN()
	}
	d := dropTest(m, y, newer, older, 0.05, 1)
	if d.P != 1 || !strings.HasPrefix(d.Test, "error: ") {
		t.Fatalf("drop test %+v: want p = 1 and the reason", d)
	}
}
