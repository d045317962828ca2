package datacheck_test

import (
	"fmt"
	"math"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/datacheck"
)

func ExampleRun() {
	// The champion trained on 1,000 rows of nswprice in [0, 1), 2% missing.
	champion := make([]float64, 1000)
	for i := range champion {
		champion[i] = float64(i%100) / 100
		if i%50 == 0 {
			champion[i] = math.NaN()
		}
	}
	ref := datacheck.ReferenceOf([]datacheck.Column{{Name: "nswprice", Values: champion}})

	// The new window has 120 rows, 64% of nswprice missing.
	price := make([]float64, 120)
	labels := make([]float64, 120)
	for i := range price {
		price[i] = 0.5
		if i < 77 {
			price[i] = math.NaN()
		}
		labels[i] = float64(i % 2)
	}
	r := datacheck.Run(ml.ValidationConfig{}, datacheck.Input{
		Task:      ml.TaskBinary,
		Features:  []datacheck.Column{{Name: "nswprice", Values: price}},
		Labels:    labels,
		Reference: ref,
		MinRows:   200,
	})
	for _, c := range r.Checks {
		fmt.Printf("%-13s %-8s pass=%-5v %s\n", c.Name, c.Feature, c.Pass, c.Message)
	}
	fmt.Println(ml.ErrorMessage(r.Error()))
	// Output:
	// schema                 pass=true  1 feature matches the reference
	// min_rows               pass=false only 120 rows (minimum 200)
	// labels                 pass=true  120 labels, all 0 or 1
	// label_balance          pass=true  the rarest class 0 is 50% of labels (minimum 1%)
	// missing       nswprice pass=false feature nswprice is 64% missing (reference 2%, limit +30 points)
	// range         nswprice pass=true  feature nswprice has 0% of values outside the reference range 0.01 to 0.99 (±10%; limit 50%)
	// data validation failed: only 120 rows (minimum 200); feature nswprice is 64% missing (reference 2%, limit +30 points)
}
