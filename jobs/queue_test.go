package jobs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

// newDB opens a fresh, migrated database file in t.TempDir().
func newDB(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "freshet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// elecModel creates a model named name with Elec2's schema, the given
// config, and Elec2's first n rows, labeled.
func elecModel(t testing.TB, db *store.DB, name string, n int, cfg ml.ModelConfig) *ml.Model {
	t.Helper()
	m := demo.Elec2Model()
	m.Name, m.Config = name, cfg
	if err := db.CreateModel(context.Background(), ml.SystemActor, m); err != nil {
		t.Fatal(err)
	}
	addRows(t, db, m, 0, n)
	m, err := db.FindModelByID(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// addRows ingests Elec2's rows [lo, hi) into m, labeled.
func addRows(t testing.TB, db *store.DB, m *ml.Model, lo, hi int) {
	t.Helper()
	tab, err := demo.Elec2()
	if err != nil {
		t.Fatal(err)
	}
	b := tab.Batch(lo, hi, 0, 0)
	b.Label = tab.Label[lo:hi]
	if _, err := db.InsertBatch(context.Background(), ml.SystemActor, m, b, store.SourceIngest); err != nil {
		t.Fatal(err)
	}
}

// startRunner starts a Runner that works on db; it is stopped when the
// test ends.
func startRunner(t testing.TB, db *store.DB, cfg Config) *Runner {
	t.Helper()
	r := newRunner(t, db, cfg)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r
}

// newRunner builds a Runner without starting it; with cfg.Work it is
// stopped when the test ends.
func newRunner(t testing.TB, db *store.DB, cfg Config) *Runner {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	r, err := New(context.Background(), db, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Stop(ctx)
	})
	return r
}

// waitJob polls job id until ok holds or timeout passes, and returns the
// job as last read.
func waitJob(t testing.TB, db *store.DB, id int64, timeout time.Duration, what string, ok func(*ml.Job) bool) *ml.Job {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		j, err := db.FindJob(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d: not %s after %v: state %s, phase %s, error %q\nlog:\n%s", id, what, timeout, j.State, j.Phase, j.Error, j.Log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func isState(s string) func(*ml.Job) bool { return func(j *ml.Job) bool { return j.State == s } }

func isDone(j *ml.Job) bool { return j.Done() }

// isTraining is a running job whose training process has started
// boosting.
func isTraining(j *ml.Job) bool {
	return j.State == ml.JobRunning && strings.Contains(j.Log, "round 1/")
}

// trainingChildren lists the live training processes of job id, by the
// spec in their environment.
func trainingChildren(t testing.TB, id int64) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`"job_id":%d}`, id)
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue // gone, or not ours
		}
		var child, match, ours bool
		for _, kv := range bytes.Split(env, []byte{0}) {
			ours = ours || (bytes.HasPrefix(kv, []byte(childDBEnv+"=")) && bytes.Contains(kv, []byte(tempName(t))))
			child = child || string(kv) == childEnv+"=1"
			match = match || (bytes.HasPrefix(kv, []byte(childSpecEnv+"=")) && bytes.Contains(kv, []byte(want)))
		}
		if child && match && ours {
			pids = append(pids, pid)
		}
	}
	return pids
}

// tempName is the directory that holds this test's t.TempDir()s: only
// this test's training processes count, since other test binaries
// running at the same time have children with the same job ids. (It was
// the test's name with separators mapped to '_', but TempDir drops them,
// so in a subtest it matched no process and its checks passed vacuously.)
func tempName(t testing.TB) string {
	return filepath.Dir(t.TempDir()) + string(filepath.Separator)
}

// waitNoChildren waits until job id has no training process left.
func waitNoChildren(t testing.TB, id int64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		pids := trainingChildren(t, id)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d: training processes %v still alive after %v", id, pids, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// jobVersions lists the versions of m made by job id.
func jobVersions(t testing.TB, db *store.DB, m *ml.Model, id int64) []*ml.Version {
	t.Helper()
	vs, err := db.FindVersions(context.Background(), m.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []*ml.Version
	for _, v := range vs {
		if v.JobID == id {
			out = append(out, v)
		}
	}
	return out
}

// A retrain through the queue: queued, then running in a training
// process, then succeeded with its cost, data, validation, log and
// version recorded. A second request while it waits is the same job.
func TestQueueRetrainSucceeds(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	// Enough rounds to be seen running (a few tenths of a second).
	m := elecModel(t, db, "queue", 4000, ml.ModelConfig{Trainer: ml.TrainerConfig{Train: ml.TrainConfig{Rounds: 300, EarlyStopping: -1}}})
	r := newRunner(t, db, Config{Work: true, MaxTrainings: 1})
	actor := ml.Actor{Kind: "user", Name: "ana"}

	j, dup, err := r.Enqueue(ctx, m, actor, JobRequest{Reason: "first model"})
	if err != nil || dup || j.State != ml.JobQueued {
		t.Fatalf("enqueue: %+v dup %v: %v", j, dup, err)
	}
	// Not started yet, so surely still queued: both ways of asking again
	// give the same job.
	j2, dup, err := r.Enqueue(ctx, m, actor, JobRequest{Reason: "again"})
	if err != nil || !dup || j2.ID != j.ID {
		t.Fatalf("second enqueue: %+v dup %v: %v", j2, dup, err)
	}
	ev, j3, err := r.RequestRetrain(ctx, m, actor, "once more", "")
	if err != nil || j3 == nil || j3.ID != j.ID || ev == nil || ev.Outcome != ml.OutcomeSuppressed || ev.Suppressed != fmt.Sprintf("a retrain is already queued (job %d)", j.ID) {
		t.Fatalf("request while queued: event %+v job %+v: %v", ev, j3, err)
	}
	if js, _ := db.FindJobs(ctx, store.JobFilter{ModelID: m.ID}); len(js) != 1 {
		t.Fatalf("%d jobs, want 1", len(js))
	}

	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var states []string
	done := waitJob(t, db, j.ID, 15*time.Second, "done", func(j *ml.Job) bool {
		if len(states) == 0 || states[len(states)-1] != j.State {
			states = append(states, j.State)
		}
		return j.Done()
	})
	// Polling may miss a short state on a busy machine (the log shows the
	// attempt started); what it sees must be in order, ending succeeded.
	order := map[string]int{ml.JobQueued: 0, ml.JobRunning: 1, ml.JobSucceeded: 2}
	for i, st := range states {
		k, ok := order[st]
		if !ok || (i > 0 && k <= order[states[i-1]]) || (i == len(states)-1 && st != ml.JobSucceeded) {
			t.Fatalf("states %s; error %q\n%s", strings.Join(states, " → "), done.Error, done.Log)
		}
	}
	if done.Attempt != 1 || done.CPUSeconds <= 0 || done.WallSeconds <= 0 || done.PeakRSS <= 0 || done.Rows <= 0 || done.Rounds != 300 {
		t.Errorf("cost: attempt %d, %.3f CPU-s, %.3f s, %d bytes, %d rows, %d rounds", done.Attempt, done.CPUSeconds, done.WallSeconds, done.PeakRSS, done.Rows, done.Rounds)
	}
	d := done.Data
	if d.Hash == "" || d.FromID <= 0 || d.ToID <= d.FromID || d.Rows != int64(done.Rows) || d.HoldoutRows <= 0 || d.HoldoutFromID != d.ToID+1 ||
		d.HoldoutToID < d.HoldoutFromID || d.Rows+d.HoldoutRows != 4000 || d.LabeledTotal != 4000 || !strings.HasPrefix(d.Window, "expanding window: all 4,000 rows") {
		t.Errorf("data version %+v", d)
	}
	if len(done.Validation) < 4 {
		t.Errorf("validation: %+v", done.Validation)
	}
	for _, c := range done.Validation {
		if !c.Pass || c.Message == "" {
			t.Errorf("check %+v", c)
		}
	}
	for _, want := range []string{"attempt 1 started", "4,000 labeled rows loaded", "round 1/300", "round 300/300", "checks passed", "holdout: auc", "done: "} {
		if !strings.Contains(done.Log, want) {
			t.Errorf("log lacks %q:\n%s", want, done.Log)
		}
	}
	vs := jobVersions(t, db, m, j.ID)
	if len(vs) != 1 || done.VersionID != vs[0].ID {
		t.Fatalf("versions of job %d: %+v (job's %d)", j.ID, vs, done.VersionID)
	}
	v := vs[0]
	if v.Status != ml.StatusChampion || v.UpdateKind != ml.UpdateFull || v.Data != d || !(v.Metrics[ml.MetricAUC] > 0.6) || v.Metrics[ml.MetricLogLoss] <= 0 {
		t.Errorf("version %+v", v)
	}
	if len(trainingChildren(t, j.ID)) != 0 {
		t.Error("a training process outlived its job")
	}
	// Finished: a new request at once makes a new job (River marks its
	// job completed a moment after our record says succeeded).
	j4, dup, err := r.Enqueue(ctx, m, actor, JobRequest{Reason: "after"})
	if err != nil || dup || j4.ID == j.ID {
		t.Fatalf("enqueue after: %+v dup %v: %v", j4, dup, err)
	}
	if _, err := r.Cancel(ctx, actor, j4.ID); err != nil {
		t.Fatal(err)
	}
}

// longTraining is a trainer config that boosts for many seconds.
var longTraining = ml.TrainerConfig{Train: ml.TrainConfig{Rounds: 5000, EarlyStopping: -1}}

// Cancelling a running job kills its training process within a second
// and records the job cancelled, without a version; cancelling a queued
// job takes it out of the queue before it starts.
func TestQueueCancel(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	long := elecModel(t, db, "long", 16000, ml.ModelConfig{Trainer: longTraining})
	other := elecModel(t, db, "other", 1000, ml.ModelConfig{})
	r := startRunner(t, db, Config{Work: true, MaxTrainings: 1})
	actor := ml.Actor{Kind: "user", Name: "ana"}

	j, _, err := r.Enqueue(ctx, long, actor, JobRequest{Reason: "long"})
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, db, j.ID, 10*time.Second, "training", isTraining)
	pids := trainingChildren(t, j.ID)
	if len(pids) != 1 {
		t.Fatalf("training processes of job %d: %v, want one", j.ID, pids)
	}
	// A request while it runs is held back, saying so.
	ev, same, err := r.RequestRetrain(ctx, long, actor, "while it runs", "")
	if err != nil || ev == nil || same == nil || same.ID != j.ID || ev.Suppressed != fmt.Sprintf("a retrain is already running (job %d)", j.ID) {
		t.Fatalf("request while running: event %+v, job %+v: %v", ev, same, err)
	}

	// One training at a time: the other model's job waits, and is
	// cancelled before it starts.
	q, _, err := r.Enqueue(ctx, other, actor, JobRequest{Reason: "waits"})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := r.Cancel(ctx, actor, q.ID); err != nil || c.State != ml.JobCancelled || !strings.Contains(c.Error, "before it started") {
		t.Fatalf("cancel queued: %+v: %v", c, err)
	}

	start := time.Now()
	c, err := r.Cancel(ctx, actor, j.ID)
	if err != nil || !c.CancelRequested {
		t.Fatalf("cancel running: %+v: %v", c, err)
	}
	done := waitStopped(t, db, j.ID, pids, start)
	if !strings.Contains(done.Log, "cancel requested by user:ana") || !strings.Contains(done.Log, "the training process was stopped") || done.VersionID != 0 {
		t.Errorf("cancelled job: version %d, log\n%s", done.VersionID, done.Log)
	}
	if vs, _ := db.FindVersions(ctx, long.ID, 10); len(vs) != 0 {
		t.Errorf("a cancelled job made versions: %+v", vs)
	}

	// The queued job never starts, though the training slot is free now.
	rj, err := r.Client.JobGet(ctx, q.ID)
	if err != nil || rj.State != "cancelled" {
		t.Fatalf("queue's job %d: %+v: %v", q.ID, rj, err)
	}
	// A later job of the same model runs through the free slot; by then
	// the cancelled one would have been fetched, were it still queued.
	later, dup, err := r.Enqueue(ctx, other, actor, JobRequest{Reason: "later"})
	if err != nil || dup {
		t.Fatalf("enqueue after the cancel: dup %v: %v", dup, err)
	}
	waitJob(t, db, later.ID, 10*time.Second, "succeeded", isState(ml.JobSucceeded))
	if qj, _ := db.FindJob(ctx, q.ID); qj.State != ml.JobCancelled || qj.Attempt != 0 || qj.StartedAt != nil {
		t.Errorf("queued job after the cancel: state %s attempt %d started %v", qj.State, qj.Attempt, qj.StartedAt)
	}
	// A finished job cannot be cancelled again.
	if _, err := r.Cancel(ctx, actor, j.ID); ml.ErrorCode(err) != ml.ECONFLICT {
		t.Errorf("second cancel: %v", err)
	}
}

// maxCancel is how long a cancel may take to stop training: "cancellation
// from the UI stops training within a second".
const maxCancel = time.Second

// waitStopped waits until job id, whose training processes were pids, is
// stopped after a cancel requested at start: its training processes
// gone (killed and reaped) and its record cancelled, each within
// maxCancel. It returns the job.
func waitStopped(t *testing.T, db *store.DB, id int64, pids []int, start time.Time) *ml.Job {
	t.Helper()
	var gone, recorded time.Duration
	var j *ml.Job
	for gone == 0 || recorded == 0 {
		if gone == 0 && !slices.ContainsFunc(pids, func(pid int) bool {
			_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid)))
			return err == nil // a zombie counts as alive: the worker reaps its child
		}) {
			gone = time.Since(start)
		}
		if recorded == 0 {
			var err error
			if j, err = db.FindJob(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			if j.Done() {
				recorded = time.Since(start)
			}
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("job %d 10 s after the cancel: training processes gone after %v, record %s after %v", id, gone, j.State, recorded)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("after the cancel: training stopped in %v, job recorded %s in %v", gone, j.State, recorded)
	if j.State != ml.JobCancelled || gone > maxCancel || recorded > maxCancel {
		t.Fatalf("job %s; training stopped %v and recorded %v after the cancel, want both within %v (error %q)", j.State, gone, recorded, maxCancel, j.Error)
	}
	if len(trainingChildren(t, id)) != 0 {
		t.Fatal("a training process survived the cancel")
	}
	return j
}

// A cancel made in a process that only serves the web (no worker, so
// the running job is not in its hands) is a flag in the database; the
// worker process reads it with its heartbeat, every 250 ms, and stops
// training within the same second.
func TestQueueCancelFromWebProcess(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	m := elecModel(t, db, "long", 16000, ml.ModelConfig{Trainer: longTraining})
	web := newRunner(t, db, Config{}) // Work false: enqueues and cancels only
	actor := ml.Actor{Kind: "user", Name: "ana"}
	j, _, err := web.Enqueue(ctx, m, actor, JobRequest{Reason: "long"})
	if err != nil {
		t.Fatal(err)
	}
	_, out := startWorkerProcess(t, db, "")
	waitJob(t, db, j.ID, 20*time.Second, "training in the worker process", isTraining)
	pids := trainingChildren(t, j.ID)
	if len(pids) != 1 {
		t.Fatalf("training processes: %v\nworker:\n%s", pids, out)
	}

	start := time.Now()
	c, err := web.Cancel(ctx, actor, j.ID)
	if err != nil || !c.CancelRequested || c.State != ml.JobRunning {
		t.Fatalf("cancel: %+v: %v", c, err)
	}
	done := waitStopped(t, db, j.ID, pids, start)
	if !strings.Contains(done.Log, "cancel requested by user:ana") || !strings.Contains(done.Log, "the training process was stopped") || done.VersionID != 0 {
		t.Errorf("cancelled job: version %d, log\n%s", done.VersionID, done.Log)
	}
}

// With one training slot, queued retrains start by priority (1 first),
// then by age, one at a time.
func TestQueueOrder(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	r := newRunner(t, db, Config{Work: true, MaxTrainings: 1})
	type queued struct {
		name string
		prio int
		id   int64
	}
	// Queued before the worker starts, oldest first.
	js := []*queued{{"a3", 3, 0}, {"b1", 1, 0}, {"c3", 3, 0}, {"d2", 2, 0}, {"e1", 1, 0}, {"f4", 4, 0}}
	for _, q := range js {
		m := elecModel(t, db, q.name, 600, ml.ModelConfig{Trainer: ml.TrainerConfig{Train: ml.TrainConfig{Rounds: 20, EarlyStopping: -1}}})
		j, _, err := r.Enqueue(ctx, m, ml.SystemActor, JobRequest{Reason: "order", Priority: q.prio})
		if err != nil || j.Priority != q.prio {
			t.Fatalf("enqueue %s: %+v: %v", q.name, j, err)
		}
		q.id = j.ID
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var done []*ml.Job
	for _, q := range js {
		j := waitJob(t, db, q.id, time.Minute, "done", isDone)
		if j.State != ml.JobSucceeded {
			t.Fatalf("job %s %s: %s", q.name, j.State, j.Error)
		}
		done = append(done, j)
	}
	slices.SortFunc(done, func(a, b *ml.Job) int { return a.StartedAt.Compare(*b.StartedAt) })
	var order []string
	for i, j := range done {
		order = append(order, j.Model)
		// One slot: each started after the one before it finished.
		if i > 0 && j.StartedAt.Before(*done[i-1].FinishedAt) {
			t.Errorf("%s started at %s, before %s finished at %s", j.Model, j.StartedAt, done[i-1].Model, done[i-1].FinishedAt)
		}
	}
	if want := []string{"b1", "e1", "d2", "a3", "c3", "f4"}; !slices.Equal(order, want) {
		t.Errorf("ran %v, want %v", order, want)
	}
}

// A window that fails data validation fails its job on the first attempt
// (retrying cannot fix data), with the failing check and a message that
// names the problem, and makes no version: one class only, a feature
// always missing, a feature out of the champion's range, too few rows.
// (The schema check cannot fail here: a model's features cannot change,
// and the window and the reference are both read by them; ml/datacheck
// tests it.)
func TestQueueValidationFails(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	tab, err := demo.Elec2()
	if err != nil {
		t.Fatal(err)
	}
	// One class only: every label 0.
	oneClass := demo.Elec2Model()
	oneClass.Name, oneClass.Config = "one-class", ml.ModelConfig{}
	if err := db.CreateModel(ctx, ml.SystemActor, oneClass); err != nil {
		t.Fatal(err)
	}
	b := tab.Batch(0, 400, 0, 0)
	b.Label = make([]float64, 400)
	if _, err := db.InsertBatch(ctx, ml.SystemActor, oneClass, b, store.SourceIngest); err != nil {
		t.Fatal(err)
	}
	// A feature never present: nswprice is missing in every row.
	missing := demo.Elec2Model()
	missing.Name, missing.Config = "no-price", ml.ModelConfig{}
	if err := db.CreateModel(ctx, ml.SystemActor, missing); err != nil {
		t.Fatal(err)
	}
	b = tab.Batch(0, 400, 0, 0)
	b.Label = tab.Label[:400]
	b.Num[2] = make([]float64, 400)
	for i := range b.Num[2] {
		b.Num[2][i] = math.NaN()
	}
	if _, err := db.InsertBatch(ctx, ml.SystemActor, missing, b, store.SourceIngest); err != nil {
		t.Fatal(err)
	}

	// Out of range: a champion trained on the first 2,000 rows, then
	// 1,000 rows whose nswprice is 10 more than any it saw, and a window
	// of those.
	outOfRange := elecModel(t, db, "out-of-range", 2000, ml.ModelConfig{Policy: ml.PolicyConfig{Window: ml.DataWindow{Kind: ml.WindowSlidingRows, Rows: 1000}}})
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: outOfRange.ID}, 0); err != nil {
		t.Fatal(err)
	}
	b = tab.Batch(2000, 3000, 0, 0)
	b.Label = tab.Label[2000:3000]
	for i := range b.Num[2] {
		b.Num[2][i] += 10
	}
	if _, err := db.InsertBatch(ctx, ml.SystemActor, outOfRange, b, store.SourceIngest); err != nil {
		t.Fatal(err)
	}
	// Too few rows: 300 labeled, where the policy asks for 1,000.
	few := elecModel(t, db, "few", 300, ml.ModelConfig{Policy: ml.PolicyConfig{Window: ml.DataWindow{MinRows: 1000}}})

	r := startRunner(t, db, Config{Work: true, MaxTrainings: 2})
	for _, tc := range []struct {
		m              *ml.Model
		check, feature string
		msg            string
	}{
		{oneClass, "label_balance", "", "all 360 valid labels are class 0"},
		{missing, "missing", "nswprice", "feature nswprice is 100% missing"},
		{outOfRange, "range", "nswprice", "feature nswprice has 100% of values outside the reference range "},
		{few, "min_rows", "", "min_rows: only 300 labeled rows in the window; the policy's window.min_rows is 1,000"},
	} {
		t.Run(tc.m.Name, func(t *testing.T) {
			m, _ := db.FindModelByID(ctx, tc.m.ID)
			j, _, err := r.Enqueue(ctx, m, ml.SystemActor, JobRequest{Reason: "bad data"})
			if err != nil {
				t.Fatal(err)
			}
			done := waitJob(t, db, j.ID, 15*time.Second, "done", isDone)
			if done.State != ml.JobFailed || done.Attempt != 1 {
				t.Fatalf("job %s on attempt %d: %s", done.State, done.Attempt, done.Error)
			}
			if !strings.HasPrefix(done.Error, "data validation failed: ") || !strings.Contains(done.Error, tc.msg) {
				t.Errorf("error %q, want it to say %q", done.Error, tc.msg)
			}
			var failed []ml.Check
			for _, c := range done.Validation {
				if !c.Pass {
					failed = append(failed, c)
				}
			}
			if len(failed) != 1 || failed[0].Name != tc.check || failed[0].Feature != tc.feature || !strings.Contains(failed[0].Message, tc.msg) {
				t.Errorf("failed checks %+v, want %s %s", failed, tc.check, tc.feature)
			}
			if len(done.Validation) < 4 || done.Data.Hash == "" {
				t.Errorf("the record lost what the run found: %d checks, data %+v", len(done.Validation), done.Data)
			}
			if !strings.Contains(done.Log, "failed: data validation failed") || strings.Contains(done.Log, "round 1/") {
				t.Errorf("log:\n%s", done.Log)
			}
			// River does not retry it either.
			rj, err := r.Client.JobGet(ctx, j.ID)
			if err != nil || rj.Attempt != 1 || (rj.State != "cancelled" && rj.State != "running") {
				t.Errorf("queue's job: %+v: %v", rj, err)
			}
			if vs := jobVersions(t, db, m, j.ID); len(vs) != 0 {
				t.Errorf("versions %+v", vs)
			}
		})
	}
}
