package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
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
