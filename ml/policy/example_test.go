package policy_test

import (
	"fmt"
	"math"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/policy"
)

func ExampleEvaluate() {
	cfg := ml.PolicyConfig{
		Drift:    &ml.DriftTrigger{Share: 0.5},
		Volume:   &ml.VolumeTrigger{Labels: 2000},
		Cooldown: "1h",
	}
	now := time.Date(2026, 3, 9, 13, 50, 0, 0, time.UTC)
	s := policy.State{
		Now:         now,
		HasChampion: true,
		LastTrain:   now.Add(-30 * time.Minute),
		Drift: []policy.WindowDrift{{
			Start: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC),
			WeightedShare: 0.62, Share: 0.42, Drifted: 5, Features: 12,
		}},
		NewLabels: 1240,
		TrainRows: 50000,
		Gap:       math.NaN(),
	}
	d := policy.Evaluate(cfg, s)
	fmt.Println(d.Outcome, d.Fired)
	for _, r := range d.Reasons {
		fmt.Println(r)
	}
	fmt.Println(d.Suppressed)
	fmt.Println(d.StrategyWhy)
	fmt.Printf("%.2f CPU-s (%s)\n", d.Cost.CPUSeconds, d.Cost.Basis)

	// A person's request skips the cooldown.
	s.Manual = &policy.Manual{By: "lee"}
	d = policy.Evaluate(cfg, s)
	fmt.Println(d.Outcome, d.Fired, d.Priority)
	// Output:
	// suppressed [drift]
	// drift: weighted drift share 0.62 ≥ 0.50 in the window 2026-03-02 – 03-09 (5 of 12 features drifted)
	// volume: 1,240 new labels < 2,000
	// cooldown until 14:20 (last retrain 13:20, cooldown 1h0m0s)
	// full: drift fired
	// 7.55 CPU-s (default: no past jobs, 0.05 s + 1.5 µs × rows×rounds)
	// fired [manual drift] 1
}
