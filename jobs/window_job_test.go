package jobs

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/datacheck"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/ml/window"
)

// runJob queues a job for m and waits for it to succeed.
func runJob(t *testing.T, r *Runner, m *ml.Model, req JobRequest) *ml.Job {
	t.Helper()
	j, dup, err := r.Enqueue(context.Background(), m, ml.SystemActor, req)
	if err != nil || dup {
		t.Fatalf("enqueue: dup %v: %v", dup, err)
	}
	done := waitJob(t, r.DB, j.ID, time.Minute, "done", isDone) // generous: -race trains ten times slower
	if done.State != ml.JobSucceeded {
		t.Fatalf("job %d %s: %s\n%s", j.ID, done.State, done.Error, done.Log)
	}
	return done
}

// jobVersion is the one version job j made.
func jobVersion(t *testing.T, r *Runner, m *ml.Model, j *ml.Job) *ml.Version {
	t.Helper()
	vs := jobVersions(t, r.DB, m, j.ID)
	if len(vs) != 1 {
		t.Fatalf("job %d made %d versions", j.ID, len(vs))
	}
	return vs[0]
}

// The policy's data window and update strategy, applied by real jobs.
func TestJobWindowRules(t *testing.T) {
	db := newDB(t)
	r := startRunner(t, db, Config{Work: true, MaxTrainings: 2})

	t.Run("sliding_rows", func(t *testing.T) {
		t.Parallel()
		m := elecModel(t, db, "sliding", 2000, ml.ModelConfig{Policy: ml.PolicyConfig{Window: ml.DataWindow{Kind: ml.WindowSlidingRows, Rows: 500}}})
		j := runJob(t, r, m, JobRequest{})
		v := jobVersion(t, r, m, j)
		d := v.Data
		if d.Rows+d.HoldoutRows != 500 || d.HoldoutRows != 50 || d.FromID != 1501 || d.HoldoutToID != 2000 || d.LabeledTotal != 2000 || j.Rows != 450 {
			t.Errorf("data %+v, job rows %d", d, j.Rows)
		}
		if !strings.HasPrefix(d.Window, "sliding window: the newest 500 rows (") {
			t.Errorf("window %q", d.Window)
		}
	})

	t.Run("drift_aware", func(t *testing.T) {
		t.Parallel()
		m := elecModel(t, db, "drift-aware", 1000, ml.ModelConfig{Policy: ml.PolicyConfig{Window: ml.DataWindow{Kind: ml.WindowDriftAware}}})
		j := runJob(t, r, m, JobRequest{})
		d := jobVersion(t, r, m, j).Data
		if !strings.HasPrefix(d.Window, "drift-aware: no change point found; all 1,000 rows (") || d.Rows+d.HoldoutRows != 1000 || d.FromID != 1 {
			t.Errorf("data %+v", d)
		}
		if !strings.Contains(j.Log, "drift-aware: no change point found") {
			t.Errorf("log:\n%s", j.Log)
		}
	})

	t.Run("sliding_days", func(t *testing.T) {
		t.Parallel()
		// Elec2 has a row every half hour: 14 days are 672 rows and the
		// newest row's own half hour.
		m := elecModel(t, db, "sliding-days", 2000, ml.ModelConfig{Policy: ml.PolicyConfig{Window: ml.DataWindow{Kind: ml.WindowSlidingDays, Days: 14}}})
		tab, err := demo.Elec2()
		if err != nil {
			t.Fatal(err)
		}
		from := 0
		for tab.Time[from] < tab.Time[1999]-14*24*3600*1000 {
			from++
		}
		j := runJob(t, r, m, JobRequest{})
		d := jobVersion(t, r, m, j).Data
		all := labeled(t, r, m)
		if n := 2000 - from; n != 673 || d.Rows+d.HoldoutRows != int64(n) || d.FromID != all.IDs[from] || d.HoldoutToID != all.IDs[1999] {
			t.Errorf("data %+v; want the %d rows from id %d", d, n, all.IDs[from])
		}
		if !strings.HasPrefix(d.Window, "sliding window: the last 14 days, 673 rows (") {
			t.Errorf("window %q", d.Window)
		}
	})

	t.Run("recency_weighted", func(t *testing.T) {
		t.Parallel()
		// The same rows trained three times: weighted, then twice not. The
		// two unweighted models are the same (training is deterministic),
		// and the weighted one differs from them: the weights reached the
		// trainer.
		m := elecModel(t, db, "recency", 2000, ml.ModelConfig{Policy: ml.PolicyConfig{Window: ml.DataWindow{Kind: ml.WindowRecencyWeighted, HalfLifeDays: 3}}})
		weighted := runJob(t, r, m, JobRequest{})
		m = setPolicy(t, db, m, ml.PolicyConfig{})
		plain := runJob(t, r, m, JobRequest{})
		again := runJob(t, r, m, JobRequest{})
		w, p := weighted.Data, plain.Data
		if !strings.HasPrefix(w.Window, "recency-weighted: all 2,000 rows, half-life 3 days (") || !strings.HasPrefix(p.Window, "expanding window: all 2,000 rows (") {
			t.Errorf("windows %q and %q", w.Window, p.Window)
		}
		if w.FromID != p.FromID || w.ToID != p.ToID || w.HoldoutFromID != p.HoldoutFromID || w.Hash == p.Hash || p.Hash != again.Data.Hash {
			t.Errorf("weighted data %+v, unweighted %+v and %+v: the same rows, the weights in the hash", w, p, again.Data)
		}
		art := func(j *ml.Job) string {
			b, err := r.DB.FindVersionArtifact(context.Background(), jobVersion(t, r, m, j).ID)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		if a, b, c := art(weighted), art(plain), art(again); b != c || a == b {
			t.Errorf("unweighted models equal: %v; weighted equals unweighted: %v", b == c, a == b)
		}
	})

	t.Run("warm_start", func(t *testing.T) {
		t.Parallel()
		cfg := ml.ModelConfig{Trainer: ml.TrainerConfig{Train: ml.TrainConfig{Rounds: 600, EarlyStopping: -1}}}
		m := elecModel(t, db, "warm", 16000, cfg)
		first := runJob(t, r, m, JobRequest{Reason: "first"})
		champ := jobVersion(t, r, m, first)
		addRows(t, db, m, 16000, 16500)
		m, _ = db.FindModelByID(context.Background(), m.ID)

		warm := runJob(t, r, m, JobRequest{Strategy: ml.StrategyWarmStart, Reason: "new labels"})
		wv := jobVersion(t, r, m, warm)
		full := runJob(t, r, m, JobRequest{Strategy: ml.StrategyFull, Reason: "the same data, from scratch"})
		t.Logf("CPU-s: warm start %.3f (%d rows, %d rounds), full %.3f (%d rows, %d rounds)", warm.CPUSeconds, warm.Rows, warm.Rounds, full.CPUSeconds, full.Rows, full.Rounds)
		if wv.UpdateKind != ml.UpdateWarmStart || wv.ParentID != champ.ID || warm.Strategy != ml.StrategyWarmStart || warm.Rounds != ml.DefaultWarmRounds {
			t.Errorf("warm start version %+v", wv)
		}
		// The warm start learns the rows after the champion's data only,
		// and is measured on the same holdout as a full retrain.
		if wv.Data.FromID != champ.Data.ToID+1 || wv.Data.HoldoutFromID != full.Data.HoldoutFromID || wv.Data.HoldoutRows != 1650 || !(wv.Metrics[ml.MetricAUC] > 0.6) {
			t.Errorf("warm start data %+v, champion's %+v, metrics %v", wv.Data, champ.Data, wv.Metrics)
		}
		if !(warm.CPUSeconds > 0) || warm.CPUSeconds*3 > full.CPUSeconds {
			t.Errorf("a warm start used %.3f CPU-s, a full retrain %.3f", warm.CPUSeconds, full.CPUSeconds)
		}
	})
}

// labeled is m's labeled history in time order, as a retrain reads it.
func labeled(t *testing.T, r *Runner, m *ml.Model) train.Data {
	t.Helper()
	all, err := labeledHistory(context.Background(), r.DB, m)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// A drift-aware window trains on the rows since the change point the
// monitoring found: the demo past Elec2's shift, against a champion
// trained before it. The window starts at the first row of the earliest
// window of the newest run of drifted or decayed windows.
func TestJobWindowDriftAwareChangePoint(t *testing.T) {
	ctx := context.Background()
	f, db, now, m := trainedDemo(t)
	for range 8 {
		*now = now.Add(time.Minute) // a week of data
		if _, _, err := f.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mon := &Monitor{DB: db, Serving: f.Serving}
	if _, err := mon.Run(ctx); err != nil {
		t.Fatal(err)
	}
	// The job runs on the wall clock (heartbeats, the reaper).
	db.Now = time.Now
	// After the shift vicprice, vicdemand and transfer are all outside
	// the champion's range (constant before it). The range check keeps its
	// default: it must not refuse the very window drift-aware training is
	// for (it did), only say what it saw.
	m = setPolicy(t, db, m, ml.PolicyConfig{Window: ml.DataWindow{Kind: ml.WindowDriftAware, MinRows: 100}})

	// Where the monitoring says the change began.
	h, err := mon.Health(ctx, m, 156)
	if err != nil {
		t.Fatal(err)
	}
	starts, flagged := make([]int64, len(h.Drift)), make([]bool, len(h.Drift))
	for i, d := range h.Drift {
		p := h.Perf[i]
		starts[i], flagged[i] = d.Start, d.DatasetDrift || d.WeightedDrift || p.Significant || len(p.Alarms) > 0
	}
	cp, ok := window.ChangePoint(starts, flagged)
	if !ok {
		t.Fatal("no change point in the monitoring windows")
	}
	all := labeled(t, &Runner{DB: db}, m)
	first := 0
	for all.Time[first] < cp {
		first++
	}
	if first == 0 {
		t.Fatal("the change point is before every row: nothing to cut")
	}

	r := startRunner(t, db, Config{Work: true, MaxTrainings: 1})
	j := runJob(t, r, m, JobRequest{})
	d := j.Data
	day := time.UnixMilli(cp).UTC().Format("2006-01-02")
	if want := fmt.Sprintf("drift-aware: rows since the change point %s (%s rows)", day, thousands(all.Len()-first)); d.Window != want {
		t.Errorf("window %q, want %q", d.Window, want)
	}
	// The window starts at the change point: its first row is the first
	// at or after it, the row before is older.
	if d.FromID != all.IDs[first] || d.Rows+d.HoldoutRows != int64(all.Len()-first) || d.LabeledTotal != int64(all.Len()) {
		t.Errorf("data %+v, want it from id %d (%d rows of %d)", d, all.IDs[first], all.Len()-first, all.Len())
	}
	t.Logf("change point %s: trained on %d of %d labeled rows", day, d.Rows, all.Len())
	var shown int
	for _, c := range j.Validation {
		if c.Name == datacheck.CheckRange && c.Value > 0.5 {
			shown++
			if !c.Pass || !strings.Contains(c.Message, "not enforced: the drift-aware window starts at the change found at "+day) {
				t.Errorf("range check %+v", c)
			}
		}
	}
	if shown == 0 {
		t.Errorf("no feature out of the champion's range in %+v", j.Validation)
	}
	if !strings.Contains(j.Log, "drift-aware: rows since the change point "+day) {
		t.Errorf("log:\n%s", j.Log)
	}
}
