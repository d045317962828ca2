package gate_test

import (
	"fmt"
	"math"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/gate"
)

func ExampleEvaluate() {
	// A small holdout: the challenger ranks the rows better than the
	// champion.
	n := 400
	y := make([]float64, n)
	champ, chal := make([]float64, n), make([]float64, n)
	day := make([]string, n)
	for i := range y {
		x := math.Sin(float64(i)) // a deterministic stand-in for a feature
		noise := math.Sin(float64(7 * i))
		if x+0.3*math.Cos(float64(3*i)) > 0 {
			y[i] = 1
		}
		chal[i] = 1 / (1 + math.Exp(-3*x))
		champ[i] = 1 / (1 + math.Exp(-3*(x+0.6*noise)/1.2))
		day[i] = []string{"mon", "tue"}[i%2]
	}
	rep, err := gate.Evaluate(ml.GateConfig{Floor: 0.8}, gate.Input{
		Task: ml.TaskBinary, Metric: ml.MetricAUC, Labels: y,
		Champion: champ, Challenger: chal,
		Slices:          []gate.SliceColumn{{Name: "day", Values: day}},
		ChallengerBytes: 2 << 20, ChallengerP99Micros: math.NaN(), Seed: 1,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("pass:", rep.Pass)
	for _, c := range rep.Checks {
		switch {
		case c.Skipped:
			fmt.Printf("%-15s skipped: %s\n", c.Name, c.Detail)
		default:
			fmt.Printf("%-15s %v\n", c.Name, c.Pass)
		}
	}
	fmt.Println(rep.Checks[2].Detail)
	// Output:
	// pass: true
	// floor           true
	// min_improvement true
	// significance    true
	// slices          true
	// calibration     true
	// score_shift     true
	// size            true
	// latency         skipped: p99 latency not measured
	// auc +0.046 (95% CI +0.029 to +0.064), DeLong z = 5.14, p < 0.0001; one-sided p(worse) = 1, p(better) < 0.0001
}
