package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/policy"
	"github.com/freshet/freshet/serving"
	"github.com/freshet/freshet/store"
)

// The cost-aware trigger end to end: a champion whose concept has
// turned (the labels of the newest rows are flipped, so its AUC falls
// far below its baseline), past retrains that stopped early (6 to 8 of
// 100 rounds), and a policy that values a point of the primary metric at
// 10 CPU-seconds. It fires with the gap model's gain against a cost
// predicted at the rounds past retrains trained; held back by the budget
// it is stored suppressed; both events carry the cost and gain
// estimates.
func TestCostAwareEndToEnd(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	m := elecModel(t, db, "turned", 2000, ml.ModelConfig{Monitor: ml.MonitorConfig{WindowRows: 336}})
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	// Four windows more, scored by the champion as they arrive, with the
	// opposite labels.
	tab, err := demo.Elec2()
	if err != nil {
		t.Fatal(err)
	}
	b := tab.Batch(2000, 2000+4*336, 0, 0)
	b.Label = make([]float64, 4*336)
	for i := range b.Label {
		b.Label[i] = 1 - tab.Label[2000+i]
	}
	sc, err := (&serving.Registry{DB: db}).Champion(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	X, err := db.CategoryCodes(ctx, m, b)
	if err != nil {
		t.Fatal(err)
	}
	scores, err := sc.Score(X)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.InsertScored(ctx, ml.SystemActor, m, b, scores, sc.Version.ID); err != nil {
		t.Fatal(err)
	}
	// The evaluation two hours on: past the cooldown from the last job,
	// within the day of the budget.
	r := newRunner(t, db, Config{})
	r.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if m, err = db.FindModelByID(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Monitor.RunModel(ctx, m); err != nil {
		t.Fatal(err)
	}

	// Three past full retrains that stopped after 6 to 8 rounds.
	past := []policy.CostPoint{
		{Strategy: ml.StrategyFull, Rows: 1800, Rounds: 6, CPUSeconds: 0.061},
		{Strategy: ml.StrategyFull, Rows: 2400, Rounds: 8, CPUSeconds: 0.079},
		{Strategy: ml.StrategyFull, Rows: 3000, Rounds: 7, CPUSeconds: 0.074},
	}
	for _, p := range past {
		j, _, err := r.Enqueue(ctx, m, ml.SystemActor, JobRequest{Reason: "past"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.StartJob(ctx, j.ID, 1); err != nil {
			t.Fatal(err)
		}
		if err := db.FinishJob(ctx, j.ID, storeOutcome(p), nil, nil, nil, false); err != nil {
			t.Fatal(err)
		}
	}

	m = setPolicy(t, db, m, ml.PolicyConfig{CostAware: &ml.CostAwareTrigger{ValuePerPoint: 10}, Strategy: ml.StrategyFull, DailyCPU: 100})
	trainRows := int(m.Stats.Labeled)
	wantCost := policy.FitCost(past, ml.StrategyFull).Predict(float64(trainRows) * 7)

	// check reads the stored event's cost and gain estimates (the JSON
	// the API and the pages show) and checks them against the reason.
	check := func(ev *ml.TriggerEvent) {
		t.Helper()
		stored := triggers(t, db, m.ID)[0]
		if stored.ID != ev.ID || len(stored.Cost) == 0 || len(stored.Gain) == 0 {
			t.Fatalf("stored event %+v", stored)
		}
		var cost policy.CostEstimate
		var gain policy.GainEstimate
		if err := json.Unmarshal(stored.Cost, &cost); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(stored.Gain, &gain); err != nil {
			t.Fatal(err)
		}
		if cost.CPUSeconds != wantCost.CPUSeconds || cost.Low != wantCost.Low || cost.High != wantCost.High || cost.RowsXRounds != float64(trainRows*7) {
			t.Errorf("cost %+v, want %+v", cost, wantCost)
		}
		if !strings.HasSuffix(cost.Basis, fmt.Sprintf("; for %s rows × 7 rounds, the median of the last 3 full retrains (early stopping; at most 100)", thousands(trainRows))) ||
			!strings.HasPrefix(cost.Basis, "fit over 3 past jobs: ") {
			t.Errorf("cost basis %q", cost.Basis)
		}
		if gain.Strategy != ml.StrategyFull || !(gain.Points > 0) || math.Abs(gain.Value-10*gain.Points) > 1e-9 || !strings.Contains(gain.Basis, "points for a full retrain") {
			t.Errorf("gain %+v", gain)
		}
		if stored.Gap == nil || !(*stored.Gap > 0) {
			t.Errorf("gap %v", stored.Gap)
		}
		re := regexp.MustCompile(`^cost-aware: expected gain ([\d.]+) points × 10 CPU-s/point = ([\d.]+) CPU-s > predicted cost ([\d.]+) CPU-s \(full retrain\)$`)
		g := re.FindStringSubmatch(stored.Reasons[0])
		if g == nil {
			t.Fatalf("reason %q", stored.Reasons[0])
		}
		for i, x := range []float64{gain.Points, gain.Value, cost.CPUSeconds} {
			if y := parseFloat(t, g[i+1]); math.Abs(x-y) > 0.01*max(math.Abs(x), 0.01) {
				t.Errorf("the reason says %s where the estimate has %v", g[i+1], x)
			}
		}
	}

	ev, j := evaluate(t, r, m.ID)
	if ev == nil || ev.Outcome != ml.OutcomeFired || !slices.Equal(ev.Triggers, []string{ml.TriggerCostAware}) || j == nil || ev.JobID != j.ID || j.TriggerID != ev.ID || j.Strategy != ml.StrategyFull {
		t.Fatalf("want cost_aware fired with a full retrain, got %+v, job %+v", ev, j)
	}
	check(ev)
	t.Logf("fired: %s; cost %s; gain %s", ev.Reasons[0], ev.Cost, ev.Gain)
	if _, err := r.Cancel(ctx, ml.SystemActor, j.ID); err != nil {
		t.Fatal(err)
	}

	// 0.214 CPU-s used today: over a 0.2 budget, held back with the same
	// estimates.
	m = setPolicy(t, db, m, ml.PolicyConfig{CostAware: &ml.CostAwareTrigger{ValuePerPoint: 10}, Strategy: ml.StrategyFull, DailyCPU: 0.2})
	ev, j = evaluate(t, r, m.ID)
	if ev == nil || ev.Outcome != ml.OutcomeSuppressed || ev.Suppressed != "daily budget: 0.214 of 0.2 CPU-s used" || j != nil {
		t.Fatalf("want suppressed by the budget, got %+v, job %+v", ev, j)
	}
	check(ev)
}

func storeOutcome(p policy.CostPoint) store.JobOutcome {
	return store.JobOutcome{State: ml.JobSucceeded, CPUSeconds: p.CPUSeconds, WallSeconds: p.CPUSeconds, Rows: p.Rows, Rounds: p.Rounds}
}

func parseFloat(t *testing.T, s string) float64 {
	t.Helper()
	var x float64
	if _, err := fmt.Sscan(s, &x); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return x
}
