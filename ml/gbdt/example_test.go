package gbdt_test

import (
	"bufio"
	"bytes"
	"fmt"
	"math"

	"github.com/dmitryikh/leaves"

	"github.com/freshet/freshet/ml/gbdt"
)

// Example trains a small binary model, writes it as LightGBM text and
// scores a row with leaves, which serves every freshet model.
func Example() {
	// Column-major features: X[feature][row]. The label is 1 when x0 > 0.5;
	// x1 is noise with missing values.
	n := 400
	X := [][]float64{make([]float64, n), make([]float64, n)}
	y := make([]float64, n)
	for i := range n {
		X[0][i] = float64(i%100) / 100
		X[1][i] = float64((i * 37) % 11)
		if i%9 == 0 {
			X[1][i] = math.NaN()
		}
		if X[0][i] > 0.5 {
			y[i] = 1
		}
	}
	m, err := gbdt.Train(gbdt.Dataset{X: X, Y: y, Names: []string{"x0", "x1"}}, nil,
		gbdt.Params{Rounds: 20, MaxDepth: 2})
	if err != nil {
		panic(err)
	}
	var text bytes.Buffer
	if err := m.WriteText(&text); err != nil {
		panic(err)
	}
	ens, err := leaves.LGEnsembleFromReader(bufio.NewReader(&text), true)
	if err != nil {
		panic(err)
	}
	row := []float64{0.9, math.NaN()}
	out := make([]float64, 1)
	if err := ens.Predict(row, 0, out); err != nil {
		panic(err)
	}
	fmt.Printf("trees %d, own %.4f, leaves %.4f\n", len(m.Trees), m.Predict(row)[0], out[0])
	imp := m.GainImportance()
	fmt.Println("x0 matters more than x1:", imp[0] > imp[1])
	// Output:
	// trees 20, own 0.9283, leaves 0.9283
	// x0 matters more than x1: true
}

// ExampleContinue adds five rounds trained on recent rows to a stored
// model: the cheap incremental retrain.
func ExampleContinue() {
	n := 300
	X := [][]float64{make([]float64, n)}
	y := make([]float64, n)
	for i := range n {
		X[0][i] = float64(i % 10)
		y[i] = X[0][i] * 2
	}
	old, err := gbdt.Train(gbdt.Dataset{X: X, Y: y}, nil, gbdt.Params{Objective: gbdt.Regression, Rounds: 10})
	if err != nil {
		panic(err)
	}
	var stored bytes.Buffer
	if err := old.WriteText(&stored); err != nil {
		panic(err)
	}
	m, err := gbdt.ParseText(&stored)
	if err != nil {
		panic(err)
	}
	// The relation drifted: recent labels are shifted by 5.
	recent := gbdt.Dataset{X: [][]float64{X[0][:50]}, Y: make([]float64, 50)}
	for i := range recent.Y {
		recent.Y[i] = y[i] + 5
	}
	m2, err := gbdt.Continue(m, recent, &recent, gbdt.Params{Rounds: 5, LearningRate: 0.5})
	if err != nil {
		panic(err)
	}
	vl := m2.Info.ValidLoss
	fmt.Printf("rounds %d → %d, recent RMSE %.2f → %.2f\n", m.Rounds(), m2.Rounds(), vl[0], vl[len(vl)-1])
	// Output:
	// rounds 10 → 15, recent RMSE 5.41 → 0.30
}
