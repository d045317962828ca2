package sampling_test

import (
	"fmt"

	"github.com/freshet/freshet/ml/sampling"
)

func ExampleSelect() {
	// Eight unlabeled rows scored by the champion (P(rain)), with two
	// features. Rows 1 and 2 are near-copies the model is unsure about.
	p := sampling.Pool{
		Scores: []float64{0.97, 0.49, 0.5, 0.55, 0.08, 0.62, 0.44, 0.9},
		X: [][]float64{
			{21, 14.1, 14.0, 30, 5, 18, 2, 25},
			{1012, 1003, 1003, 1020, 990, 1008, 996, 1015},
		},
	}
	picks, err := sampling.Select(sampling.StrategyMargin, p, 3, sampling.Options{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("margin:")
	for _, pk := range picks {
		fmt.Printf("  row %d: %s\n", pk.Row, pk.Why)
	}
	picks, _ = sampling.Select(sampling.StrategyDiversity, p, 3, sampling.Options{Seed: 1, Candidates: 5})
	fmt.Println("diversity:")
	for _, pk := range picks {
		fmt.Printf("  row %d: %s\n", pk.Row, pk.Why)
	}
	// Margin spends a third of the batch on row 1, a near-copy of row 2;
	// diversity takes the next least sure row that is far from both.

	// Output:
	// margin:
	//   row 2: margin 0.00 (among the 13% least sure)
	//   row 1: margin 0.02 (among the 25% least sure)
	//   row 3: margin 0.10 (among the 38% least sure)
	// diversity:
	//   row 2: margin 0.00 (among the 13% least sure)
	//   row 3: margin 0.10 (among the 38% least sure), 0.84 from the nearest row already chosen or labeled
	//   row 6: margin 0.12 (among the 50% least sure), 0.31 from the nearest row already chosen or labeled
}
