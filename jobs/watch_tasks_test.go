package jobs

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/serving"
	"github.com/freshet/freshet/store"
)

// taskLabels derives labels for Elec2's rows [lo, hi) that its features
// predict well: for multiclass the third of the day the row falls in
// (from period), for regression ten times nswdemand. wrong gives labels a
// confidently wrong model learns instead: the next third, or ten times
// the demand turned upside down.
func taskLabels(t testing.TB, task ml.Task, lo, hi int, wrong bool) []float64 {
	t.Helper()
	tab, err := demo.Elec2()
	if err != nil {
		t.Fatal(err)
	}
	y := make([]float64, hi-lo)
	for i := range y {
		period, demand := tab.Num[0][lo+i], tab.Num[2][lo+i]
		switch task {
		case ml.TaskMulticlass:
			c := min(int(period*3), 2)
			if wrong {
				c = (c + 1) % 3
			}
			y[i] = float64(c)
		case ml.TaskRegression:
			if wrong {
				demand = 1 - demand
			}
			y[i] = 10 * demand
		}
	}
	return y
}

// taskModel creates a model with Elec2's features, task's labels (see
// taskLabels), metric (empty: the task's default) and its first n rows,
// labeled.
func taskModel(t testing.TB, db *store.DB, task ml.Task, metric string, n int) *ml.Model {
	t.Helper()
	ctx := context.Background()
	m := demo.Elec2Model()
	m.Name, m.Task, m.Metric, m.Config = "watched-"+string(task), task, metric, ml.ModelConfig{Gate: lenientGate(ml.GateAuto)}
	if task == ml.TaskMulticlass {
		m.Classes = []string{"night", "day", "evening"}
	}
	if err := db.CreateModel(ctx, ml.SystemActor, m); err != nil {
		t.Fatal(err)
	}
	tab, _ := demo.Elec2()
	b := tab.Batch(0, n, 0, 0)
	b.Label = taskLabels(t, task, 0, n, false)
	if _, err := db.InsertBatch(ctx, ml.SystemActor, m, b, store.SourceIngest); err != nil {
		t.Fatal(err)
	}
	m, err := db.FindModelByID(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// plantBadChampion trains a confidently wrong version on Elec2's rows
// [0, 3000), promotes it under a 300-label watch, and logs rows [3000,
// 3400) as served by it, with their labels, the way /predict logs them
// (a multiclass row logs its top probability).
func plantBadChampion(t *testing.T, db *store.DB, m *ml.Model) *ml.Version {
	t.Helper()
	ctx := context.Background()
	tab, _ := demo.Elec2()
	train0 := tab.Batch(0, 3000, 0, 0)
	X, err := db.CategoryCodes(ctx, m, train0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := train.GBDT(m, train.Data{X: X, Y: taskLabels(t, m.Task, 0, 3000, true)}, train.Config{Rounds: 30})
	if err != nil {
		t.Fatal(err)
	}
	bad := &ml.Version{Trainer: ml.TrainerGBDT, Format: ml.FormatLightGBM, Note: "planted: trained on wrong labels"}
	if err := db.CreateVersion(ctx, ml.SystemActor, m, bad, res.Text, false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Promote(ctx, ml.SystemActor, m, bad.ID, store.PromoteOptions{Reason: "test", WatchLabels: 300}); err != nil {
		t.Fatal(err)
	}
	b := tab.Batch(3000, 3400, 0, 0)
	b.Label = taskLabels(t, m.Task, 3000, 3400, false)
	sc, err := serving.Load(bad, res.Text)
	if err != nil {
		t.Fatal(err)
	}
	X, err = db.CategoryCodes(ctx, m, b)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sc.Score(X)
	if err != nil {
		t.Fatal(err)
	}
	k := sc.Outputs()
	logged := make([]float64, b.N)
	for i := range logged {
		logged[i] = raw[i*k]
		for c := range k {
			logged[i] = max(logged[i], raw[i*k+c])
		}
	}
	if _, err := db.InsertScored(ctx, ml.SystemActor, m, b, logged, bad.ID); err != nil {
		t.Fatal(err)
	}
	return bad
}

// TestWatchRollsBackOtherTasks: the post-deploy watch judges multiclass
// and regression champions too (it judged binary ones only, and stored an
// empty result for the others): a planted bad champion is rolled back,
// with a result that holds the metric of both versions and the test.
func TestWatchRollsBackOtherTasks(t *testing.T) {
	for _, tc := range []struct {
		task   ml.Task
		metric string
	}{{ml.TaskMulticlass, ml.MetricLogLoss}, {ml.TaskMulticlass, ml.MetricAccuracy}, {ml.TaskRegression, ml.MetricRMSE}} {
		t.Run(string(tc.task)+"-"+tc.metric, func(t *testing.T) {
			ctx := context.Background()
			db := newDB(t)
			m := taskModel(t, db, tc.task, tc.metric, 3000)
			if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
				t.Fatal(err)
			}
			good, err := db.FindChampion(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			bad := plantBadChampion(t, db, m)
			r := newRunner(t, db, Config{})
			if n, err := r.Watch(ctx); err != nil || n != 1 {
				t.Fatalf("watch: %d %v", n, err)
			}
			if champ, _ := db.FindChampion(ctx, m.ID); champ.ID != good.ID {
				t.Fatalf("champion v%d after the watch, want v%d", champ.Number, good.Number)
			}
			if v, _ := db.FindVersion(ctx, m.ID, bad.ID); v.Status != ml.StatusRolledBack {
				t.Fatalf("bad version is %s", v.Status)
			}
			deps, _ := db.FindDeployments(ctx, m.ID, 10)
			if deps[0].Kind != ml.DeployAutoRollback || deps[1].Watch != ml.WatchRolledBack {
				t.Fatalf("deployments: %+v %+v", deps[0], deps[1])
			}
			var res struct {
				Rows           int
				Metric, Test   string
				New, Old, Drop *float64
				P              float64
				RolledBack     bool `json:"rolled_back"`
				Text           string
			}
			if err := json.Unmarshal(deps[1].WatchResult, &res); err != nil {
				t.Fatalf("watch result %q: %v", deps[1].WatchResult, err)
			}
			if res.Rows != 300 || res.Metric != tc.metric || res.Test != "bootstrap" || !res.RolledBack || res.New == nil || res.Old == nil || res.Drop == nil ||
				!(*res.Drop > 0.02) || (*res.New > *res.Old) != (tc.metric != ml.MetricAccuracy) || !(res.P < 0.05) || !strings.Contains(res.Text, "rolled back to v1") {
				t.Fatalf("watch result: %s", deps[1].WatchResult)
			}
			evs, _ := db.FindTriggers(ctx, m.ID, 5)
			if len(evs) == 0 || evs[0].Triggers[0] != "watch" || evs[0].Reasons[0] != res.Text {
				t.Fatalf("trigger events: %+v", evs)
			}
			// What the deployments API encodes.
			if _, err := json.Marshal(map[string]any{"model": m.Name, "deployments": deps}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestWatchPassesAGoodMulticlassChampion: a multiclass champion as good
// as the one before passes its watch, and the stored result is JSON with
// numbers, not an empty string.
func TestWatchPassesAGoodMulticlassChampion(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	m := taskModel(t, db, ml.TaskMulticlass, "", 3400)
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	first, _ := db.FindChampion(ctx, m.ID)
	// A second version of the same training, promoted under watch; rows
	// [3400, 3800) served by it.
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	second, _ := db.FindChampion(ctx, m.ID)
	if second.ID == first.ID {
		t.Fatal("the second version is not the champion")
	}
	// Retrain promotes without a watch; watch this promotion as the gate would.
	if _, err := db.Promote(ctx, ml.SystemActor, m, first.ID, store.PromoteOptions{Reason: "back"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Promote(ctx, ml.SystemActor, m, second.ID, store.PromoteOptions{Reason: "test", WatchLabels: 300}); err != nil {
		t.Fatal(err)
	}
	tab, _ := demo.Elec2()
	b := tab.Batch(3400, 3800, 0, 0)
	b.Label = taskLabels(t, m.Task, 3400, 3800, false)
	r := newRunner(t, db, Config{})
	sc, err := r.Serving.Version(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	X, _ := db.CategoryCodes(ctx, m, b)
	raw, _ := sc.Score(X)
	logged := make([]float64, b.N)
	for i := range logged {
		logged[i] = math.Max(raw[3*i], math.Max(raw[3*i+1], raw[3*i+2]))
	}
	if _, err := db.InsertScored(ctx, ml.SystemActor, m, b, logged, second.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Watch(ctx); err != nil || n != 1 {
		t.Fatalf("watch: %d %v", n, err)
	}
	if champ, _ := db.FindChampion(ctx, m.ID); champ.ID != second.ID {
		t.Fatalf("champion v%d after a passed watch, want v%d", champ.Number, second.Number)
	}
	deps, _ := db.FindDeployments(ctx, m.ID, 10)
	var res WatchResult
	if deps[0].Watch != ml.WatchPassed || json.Unmarshal(deps[0].WatchResult, &res) != nil || res.New == nil || res.Old == nil || res.RolledBack ||
		!strings.Contains(res.Text, "passed") {
		t.Fatalf("passed watch: %s %q", deps[0].Watch, deps[0].WatchResult)
	}
}
