package online_test

import (
	"bytes"
	"fmt"

	"github.com/freshet/freshet/ml/online"
)

// Rows have a categorical weekday code and a temperature; the label is
// whether a shop sold out.
func Example() {
	schema := online.NewSchema(2, 0) // column 0 is categorical
	m, err := online.New(online.Config{Schema: schema, Alpha: 0.5})
	if err != nil {
		panic(err)
	}
	for i := range 2000 {
		day := float64(i % 7)
		temp := float64(10 + i%23)
		soldOut := 0.0
		if day == 5 || temp > 25 {
			soldOut = 1
		}
		if err := m.LearnOne([]float64{day, temp}, soldOut); err != nil {
			panic(err)
		}
	}
	fmt.Printf("hot Saturday: %.2f\n", m.PredictOne([]float64{5, 30}))
	fmt.Printf("cool Monday: %.2f\n", m.PredictOne([]float64{0, 12}))
	met := m.Metrics()
	fmt.Printf("prequential accuracy over %d rows: %.2f\n", met.Rows, met.Accuracy)

	var snap bytes.Buffer
	if err := m.Snapshot(&snap); err != nil {
		panic(err)
	}
	restored, err := online.Restore(&snap)
	if err != nil {
		panic(err)
	}
	fmt.Println("restored predicts the same:", restored.PredictOne([]float64{5, 30}) == m.PredictOne([]float64{5, 30}))
	// Output:
	// hot Saturday: 1.00
	// cool Monday: 0.00
	// prequential accuracy over 2000 rows: 0.96
	// restored predicts the same: true
}

func ExampleEnsemble() {
	e, err := online.NewEnsemble(online.EnsembleConfig{
		Base:   online.Config{Schema: online.NewSchema(1)},
		Alphas: []float64{0.001, 0.5},
	})
	if err != nil {
		panic(err)
	}
	for i := range 1000 {
		x := float64(i % 10)
		y := 0.0
		if x >= 5 {
			y = 1
		}
		if err := e.LearnOne([]float64{x}, y); err != nil {
			panic(err)
		}
	}
	fmt.Printf("weights for alphas %v: %.3f\n", e.Alphas(), e.Weights())
	// Output:
	// weights for alphas [0.001 0.5]: [0.000 1.000]
}
