package jobs

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/backtest"
)

func TestResolveBacktest(t *testing.T) {
	m := &ml.Model{Name: "m", Task: ml.TaskBinary, Stats: ml.ModelStats{Labeled: 10_000}}
	s, err := ResolveBacktest(m, ml.BacktestSettings{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Batch != 336 || s.Rounds != 50 || s.Window != 4704 || s.Alpha != 0.01 || strings.Join(s.Policies, ",") != backtest.DefaultPolicies {
		t.Fatalf("defaults: %+v", s)
	}
	// Fewer than 20 batches of 336: a 20th of the rows; the live
	// sliding window.
	m.Stats.Labeled = 3000
	m.Config.Policy.Window = ml.DataWindow{Kind: ml.WindowSlidingRows, Rows: 2000}
	if s, _ = ResolveBacktest(m, ml.BacktestSettings{Policies: []string{" never ", "", "cost_aware"}}); s.Batch != 150 || s.Window != 2000 ||
		strings.Join(s.Policies, ",") != "never,cost_aware" {
		t.Fatalf("small model: %+v", s)
	}

	for _, c := range []struct {
		name  string
		in    ml.BacktestSettings
		field string
		want  string
	}{
		{"tiny batch", ml.BacktestSettings{Batch: 5}, "batch", "at least 10"},
		{"one batch", ml.BacktestSettings{Batch: 2000}, "batch", "make 1 batch(es); a backtest needs at least 2, so use at most 1,350 rows"},
		{"too many batches", ml.BacktestSettings{Batch: 10, Policies: []string{"never"}}, "batch", ""},
		{"unknown policy", ml.BacktestSettings{Policies: []string{"never", "sometimes"}}, "policies", `unknown policy "sometimes"`},
		{"twice", ml.BacktestSettings{Policies: []string{"every:2", "every:2"}}, "policies", "every:2 is listed twice"},
		{"rounds", ml.BacktestSettings{Rounds: 5000}, "rounds", "1 to 1,000"},
		{"window", ml.BacktestSettings{Window: 10}, "window", "use 50"},
		{"alpha", ml.BacktestSettings{Alpha: 2}, "alpha", "above 0 and at most 1"},
		{"negative alpha", ml.BacktestSettings{Alpha: -0.1}, "alpha", "above 0"},
	} {
		_, err := ResolveBacktest(m, c.in)
		var fe *ml.FieldError
		if c.name == "too many batches" {
			// 2,700 rows in 10-row batches make 270: allowed.
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil || ml.ErrorCode(err) != ml.EINVALID || !asFieldError(err, &fe) || !strings.Contains(fe.Fields[c.field], c.want) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	m.Stats.Labeled = 200_000
	if _, err := ResolveBacktest(m, ml.BacktestSettings{Batch: 10}); err == nil || !strings.Contains(ml.ErrorMessage(err), "at most 2,000, so use at least 90 rows") {
		t.Errorf("too many batches: %v", err)
	}
	// Several fields at once, named in the form's order.
	_, err = ResolveBacktest(m, ml.BacktestSettings{Batch: 1, Rounds: -1, Alpha: 5})
	if msg := ml.ErrorMessage(err); !strings.HasPrefix(msg, "batch: ") || !strings.Contains(msg, "; rounds: ") || !strings.Contains(msg, "; alpha: ") {
		t.Errorf("several: %q", msg)
	}
	// Problems with the model itself.
	if _, err := ResolveBacktest(&ml.Model{Name: "few", Task: ml.TaskBinary, Stats: ml.ModelStats{Labeled: 300}}, ml.BacktestSettings{}); ml.ErrorMessage(err) !=
		"few has 300 labeled rows; a backtest needs at least 500 (the oldest 10% train the first model, which needs 50)" {
		t.Errorf("few rows: %v", err)
	}
	if _, err := ResolveBacktest(&ml.Model{Name: "r", Task: ml.TaskRegression, Stats: ml.ModelStats{Labeled: 9000}}, ml.BacktestSettings{}); ml.ErrorCode(err) != ml.EINVALID ||
		!strings.Contains(ml.ErrorMessage(err), "binary classifiers; r is a regression model") {
		t.Errorf("regression: %v", err)
	}
}

func asFieldError(err error, fe **ml.FieldError) bool {
	e, ok := err.(*ml.FieldError)
	*fe = e
	return ok
}

func waitBacktest(t *testing.T, r *Runner, id int64, timeout time.Duration, states ...string) *ml.Backtest {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b, err := r.DB.FindBacktest(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range states {
			if b.State == s {
				return b
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("backtest %d still %s after %s (%+v)", id, b.State, timeout, b.Progress)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBacktestJob: a backtest of a stored model runs on the training
// queue, counts its progress and stores the report.
func TestBacktestJob(t *testing.T) {
	db := newDB(t)
	m := elecModel(t, db, "bt", 3000, ml.ModelConfig{})
	r := startRunner(t, db, Config{Work: true, MaxTrainings: 1})
	ctx := context.Background()
	b, err := r.EnqueueBacktest(ctx, m, ml.Actor{Kind: "user", Name: "lee"}, ml.BacktestSettings{Batch: 300, Policies: []string{"never", "every:1", "cost_aware"}, Rounds: 5})
	if err != nil {
		t.Fatal(err)
	}
	// A fast queue may have started it already.
	if (b.State != ml.JobQueued && b.State != ml.JobRunning) || b.Settings.Window != 4704 || b.Settings.Alpha != 0.01 {
		t.Fatalf("queued: %+v", b)
	}
	b = waitBacktest(t, r, b.ID, 60*time.Second, ml.JobSucceeded, ml.JobFailed, ml.JobCancelled)
	if b.State != ml.JobSucceeded {
		t.Fatalf("backtest %s: %s", b.State, b.Error)
	}
	var rep backtest.Report
	if err := json.Unmarshal(b.Report, &rep); err != nil {
		t.Fatal(err)
	}
	// 3,000 rows: the first 300 train the first model, 9 batches follow.
	if rep.Rows != 3000 || rep.InitRows != 300 || rep.Batches != 9 || len(rep.Results) != 3 || rep.Recommended == "" || rep.Recommended != b.Recommended {
		t.Fatalf("report: rows %d, init %d, batches %d, %d results, recommended %q", rep.Rows, rep.InitRows, rep.Batches, len(rep.Results), rep.Recommended)
	}
	if every := rep.Results[1]; every.Name != "every:1" || every.Retrains != 8 || math.Abs(every.RelCost-1) > 1e-9 || len(every.Batches) != 9 {
		t.Fatalf("every:1: %+v", every)
	}
	if b.Progress.Done != b.Progress.Total || b.Progress.Total != 27 {
		t.Fatalf("progress: %+v", b.Progress)
	}
	// River ran it as a backtest on the training queue.
	j, err := r.Client.JobGet(ctx, b.ID)
	if err != nil || j.Kind != "backtest" || j.Queue != QueueTraining {
		t.Fatalf("river job: %v %+v", err, j)
	}
}

// TestBacktestCancel: a running backtest stops when cancelled, and a
// model without enough rows fails with the reason.
func TestBacktestCancel(t *testing.T) {
	db := newDB(t)
	m := elecModel(t, db, "bt", 6000, ml.ModelConfig{})
	r := startRunner(t, db, Config{Work: true, MaxTrainings: 1})
	ctx := context.Background()
	lee := ml.Actor{Kind: "user", Name: "lee"}
	b, err := r.EnqueueBacktest(ctx, m, lee, ml.BacktestSettings{Batch: 20, Policies: []string{"every:1"}, Rounds: 300})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, _ := db.FindBacktest(ctx, b.ID)
		if got.State == ml.JobRunning && got.Progress.Done > 0 {
			break
		}
		if got.Done() || time.Now().After(deadline) {
			t.Fatalf("never seen running: %+v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t0 := time.Now()
	if _, err := r.CancelBacktest(ctx, lee, b.ID); err != nil {
		t.Fatal(err)
	}
	b = waitBacktest(t, r, b.ID, 10*time.Second, ml.JobCancelled, ml.JobSucceeded, ml.JobFailed)
	if b.State != ml.JobCancelled || b.Report != nil {
		t.Fatalf("after cancel: %s %q", b.State, b.Error)
	}
	t.Logf("cancelled in %s", time.Since(t0))

	// A model whose rows are too few by the time the job runs (its
	// counts said otherwise when asked): the job says why.
	few := elecModel(t, db, "few", 400, ml.ModelConfig{})
	stale := *few
	stale.Stats.Labeled = 5000
	b, err = r.EnqueueBacktest(ctx, &stale, lee, ml.BacktestSettings{Batch: 300, Policies: []string{"never"}, Rounds: 5})
	if err != nil {
		t.Fatal(err)
	}
	b = waitBacktest(t, r, b.ID, 30*time.Second, ml.JobSucceeded, ml.JobFailed)
	if b.State != ml.JobFailed || !strings.Contains(b.Error, "a backtest needs at least 500") {
		t.Fatalf("few rows: %s %q", b.State, b.Error)
	}
}
