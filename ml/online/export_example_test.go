package online_test

import (
	"fmt"
	"math"

	"github.com/freshet/freshet/ml/modelfile"
	"github.com/freshet/freshet/ml/online"
)

// An online model is served like any other version: export it as
// LightGBM text and load that with modelfile (which hands it to leaves).
func ExampleModel_LightGBMTextWithCodes() {
	schema := online.NewSchema(2, 0) // column 0: weekday code 0..6
	m, err := online.New(online.Config{Schema: schema, Alpha: 0.5, Clip: 3})
	if err != nil {
		panic(err)
	}
	for i := range 2000 {
		day, temp := float64(i%7), float64(10+i%23)
		soldOut := 0.0
		if day == 5 || temp > 25 {
			soldOut = 1
		}
		if err := m.LearnOne([]float64{day, temp}, soldOut); err != nil {
			panic(err)
		}
	}
	text, err := m.LightGBMTextWithCodes([]string{"weekday", "temperature"},
		map[int][]float64{0: {0, 1, 2, 3, 4, 5, 6}})
	if err != nil {
		panic(err)
	}
	served, err := modelfile.Load(text, modelfile.Limits{})
	if err != nil {
		panic(err)
	}
	rows := [][]float64{{5, 30}, {0, 12}, {3, math.NaN()}}
	ps, err := served.Predict(rows)
	if err != nil {
		panic(err)
	}
	for i, x := range rows {
		fmt.Printf("%v: served %.3f, online %.3f\n", x, ps[i], m.PredictOne(x))
	}
	// Output:
	// [5 30]: served 1.000, online 1.000
	// [0 12]: served 0.002, online 0.002
	// [3 NaN]: served 0.112, online 0.112
}
