package jobs

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

// These tests refuse the webhook's queue row (a SQLite trigger on River's
// job table, as the database would refuse any write) and check that the
// state change the webhook announces is rolled back with it; once the
// queue takes it, the change is stored, exactly one delivery is queued,
// and the runner's worker delivers it once.

// refuseWebhooks makes every insert of a webhook delivery fail until the
// returned func is called. River's migrations must have run (newRunner).
func refuseWebhooks(t *testing.T, db *store.DB) (allow func()) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Write.ExecContext(ctx, `CREATE TRIGGER refuse_webhook BEFORE INSERT ON river_job WHEN NEW.kind = 'webhook'
		BEGIN SELECT RAISE(ABORT, 'webhook queue refused'); END`); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if _, err := db.Write.ExecContext(ctx, `DROP TRIGGER refuse_webhook`); err != nil {
			t.Fatal(err)
		}
	}
}

// countRows runs a COUNT query.
func countRows(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Read.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// queuedWebhooks is how many deliveries of event are in River's table.
func queuedWebhooks(t *testing.T, db *store.DB, event string) int {
	t.Helper()
	return countRows(t, db, `SELECT COUNT(*) FROM river_job WHERE kind = 'webhook' AND json_extract(args, '$.event') = ?`, event)
}

// deliveredOnce waits for event's delivery that ok accepts and checks no
// second one follows.
func deliveredOnce(t *testing.T, hook *hookRecorder, event string, ok func(map[string]any) bool) {
	t.Helper()
	hook.wait(t, event, ok)
	time.Sleep(300 * time.Millisecond) // a second delivery would be queued with the first
	if n := hook.count(event); n != 1 {
		t.Fatalf("%d %s deliveries, want 1", n, event)
	}
}

// TestFinishGatedWebhooksInItsTransaction: a retrain's gate verdict and
// its auto-promotion are announced in the transaction that stores them.
// With the webhook refused the job, its version, the decision and the
// promotion are all missing; then all of them and one delivery of each
// webhook.
func TestFinishGatedWebhooksInItsTransaction(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	hook := newHookRecorder(t)
	m := elecModel(t, db, "gated", 1200, ml.ModelConfig{Gate: lenientGate(ml.GateAuto), Notify: ml.NotifyConfig{WebhookURL: hook.URL}})
	r := newRunner(t, db, Config{Work: true})
	const jobID = 4242 // a record without a River job: nothing else runs it
	if err := db.InTx(ctx, func(tx *sql.Tx) error {
		return db.CreateJobTx(ctx, tx, ml.SystemActor, m, &ml.Job{ID: jobID, Strategy: ml.StrategyFull, Priority: ml.DefaultPriority, Reason: "test"})
	}); err != nil {
		t.Fatal(err)
	}
	trained := func() *Trained {
		t.Helper()
		tr, err := Train(ctx, db, t.TempDir(), TrainSpec{ModelID: m.ID, JobID: jobID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	succeeded := store.JobOutcome{State: ml.JobSucceeded, Log: []string{"done"}}

	allow := refuseWebhooks(t, db)
	tr := trained()
	if err := r.finishGated(ctx, jobID, succeeded, m, tr.Version, tr.Artifact); err == nil || !strings.Contains(err.Error(), "webhook queue refused") {
		t.Fatalf("finishGated with the queue refusing: %v", err)
	}
	if j, _ := db.FindJob(ctx, jobID); j.State != ml.JobQueued || j.VersionID != 0 {
		t.Fatalf("job %s with version %d after a refused webhook", j.State, j.VersionID)
	}
	if vs, _ := db.FindVersions(ctx, m.ID, 10); len(vs) != 0 {
		t.Fatalf("%d versions after a refused webhook", len(vs))
	}
	if gs, _ := db.FindGates(ctx, store.GateFilter{ModelID: m.ID}); len(gs) != 0 {
		t.Fatalf("%d gate decisions after a refused webhook", len(gs))
	}
	if k := countRows(t, db, `SELECT COUNT(*) FROM deployments WHERE model_id = ?`, m.ID); k != 0 {
		t.Fatalf("%d deployments after a refused webhook", k)
	}

	allow()
	tr = trained()
	if err := r.finishGated(ctx, jobID, succeeded, m, tr.Version, tr.Artifact); err != nil {
		t.Fatal(err)
	}
	v := tr.Version
	gs, _ := db.FindGates(ctx, store.GateFilter{ModelID: m.ID})
	champ, err := db.FindChampion(ctx, m.ID)
	if err != nil || champ.ID != v.ID || len(gs) != 1 || gs[0].Status != ml.GateAutoPromoted {
		t.Fatalf("champion %+v (%v), decisions %+v", champ, err, gs)
	}
	if j, _ := db.FindJob(ctx, jobID); j.State != ml.JobSucceeded || j.VersionID != v.ID {
		t.Fatalf("job %s with version %d, want succeeded with %d", j.State, j.VersionID, v.ID)
	}
	for _, ev := range []string{ml.EventGateVerdict, ml.EventPromoted} {
		if n := queuedWebhooks(t, db, ev); n != 1 {
			t.Fatalf("%d %s webhooks queued", n, ev)
		}
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	deliveredOnce(t, hook, ml.EventGateVerdict, func(d map[string]any) bool {
		return d["id"] == float64(gs[0].ID) && d["status"] == ml.GateAutoPromoted
	})
	deliveredOnce(t, hook, ml.EventPromoted, func(d map[string]any) bool {
		return d["version_id"] == float64(v.ID) && d["decision_id"] == float64(gs[0].ID) && d["by"] == "gate"
	})
}

// TestTriggerFiredWebhookInItsTransaction: a fired trigger's event, the
// job it queues and its webhook commit together. With the webhook
// refused there is no event and no job (in our records or River's);
// then one of each, linked, and one delivery that names both.
func TestTriggerFiredWebhookInItsTransaction(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	hook := newHookRecorder(t)
	m := elecModel(t, db, "fires", 2000, ml.ModelConfig{Notify: ml.NotifyConfig{WebhookURL: hook.URL, Events: []string{ml.EventTriggerFired}}})
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	m = setPolicy(t, db, m, ml.PolicyConfig{Volume: &ml.VolumeTrigger{Labels: 500}, Strategy: ml.StrategyFull})
	addRows(t, db, m, 2000, 2600)
	r := newRunner(t, db, Config{Work: true})
	m, _ = db.FindModelByID(ctx, m.ID)

	allow := refuseWebhooks(t, db)
	ev, j, err := r.Evaluate(ctx, m, nil)
	if err == nil || !strings.Contains(err.Error(), "webhook queue refused") || ev != nil || j != nil {
		t.Fatalf("evaluate with the queue refusing: %+v, %+v, %v", ev, j, err)
	}
	if k := countRows(t, db, `SELECT COUNT(*) FROM trigger_events WHERE model_id = ?`, m.ID); k != 0 {
		t.Fatalf("%d trigger events after a refused webhook", k)
	}
	if k := countRows(t, db, `SELECT COUNT(*) FROM train_jobs WHERE model_id = ?`, m.ID); k != 0 {
		t.Fatalf("%d jobs after a refused webhook", k)
	}
	if k := countRows(t, db, `SELECT COUNT(*) FROM river_job WHERE kind = 'retrain'`); k != 0 {
		t.Fatalf("%d retrain queue jobs after a refused webhook", k)
	}

	allow()
	ev, j, err = r.Evaluate(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkFired(t, db, ev, j, ml.TriggerVolume)
	if k := countRows(t, db, `SELECT COUNT(*) FROM trigger_events WHERE model_id = ?`, m.ID); k != 1 {
		t.Fatalf("%d trigger events", k)
	}
	if n := queuedWebhooks(t, db, ml.EventTriggerFired); n != 1 {
		t.Fatalf("%d trigger.fired webhooks queued", n)
	}
	// The queued retrain is not what this test is about: cancelled, it
	// does not train when the runner starts.
	if _, err := r.Cancel(ctx, ml.SystemActor, j.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	deliveredOnce(t, hook, ml.EventTriggerFired, func(d map[string]any) bool {
		return d["id"] == float64(ev.ID) && d["job_id"] == float64(j.ID)
	})
}

// laterRetries puts a failed attempt off for an hour: the test runs it
// again itself, with Client.JobRetry, once it has looked.
type laterRetries struct{}

func (laterRetries) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Hour) }

// TestJobFailedWebhookInItsTransaction: a job's failure and its webhook
// are recorded together. With the webhook refused, the failure is not
// recorded either (the job is still running, nothing audited) and River
// holds the attempt's error for a retry; run again with the queue
// taking it, the job fails with one webhook, delivered once.
func TestJobFailedWebhookInItsTransaction(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	hook := newHookRecorder(t)
	m := demo.Elec2Model()
	m.Name, m.Config = "one-class", ml.ModelConfig{Notify: ml.NotifyConfig{WebhookURL: hook.URL, Events: []string{ml.EventJobFailed}}}
	if err := db.CreateModel(ctx, ml.SystemActor, m); err != nil {
		t.Fatal(err)
	}
	tab, _ := demo.Elec2()
	b := tab.Batch(0, 400, 0, 0)
	b.Label = make([]float64, 400) // one class only: fails data validation
	if _, err := db.InsertBatch(ctx, ml.SystemActor, m, b, store.SourceIngest); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, db, Config{Work: true, RetryPolicy: laterRetries{}})
	allow := refuseWebhooks(t, db)
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	j, _, err := r.Enqueue(ctx, m, ml.SystemActor, JobRequest{Reason: "bad data"})
	if err != nil {
		t.Fatal(err)
	}
	row := waitRiverJob(t, r, j.ID, func(row *rivertype.JobRow) bool { return row.State == rivertype.JobStateRetryable })
	if len(row.Errors) != 1 || !strings.Contains(row.Errors[0].Error, "webhook queue refused") {
		t.Fatalf("attempt's errors %+v", row.Errors)
	}
	if got, _ := db.FindJob(ctx, j.ID); got.State != ml.JobRunning || got.Error != "" {
		t.Fatalf("job %s (%q) after its failure's webhook was refused, want still running", got.State, got.Error)
	}
	if k := countRows(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'job.failed'`); k != 0 {
		t.Fatalf("%d job.failed audit rows after a refused webhook", k)
	}

	allow()
	if _, err := r.Client.JobRetry(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	done := waitJob(t, db, j.ID, 30*time.Second, "done", isDone)
	if done.State != ml.JobFailed || done.Attempt != 2 || !strings.HasPrefix(done.Error, "data validation failed: ") {
		t.Fatalf("job %s on attempt %d: %s", done.State, done.Attempt, done.Error)
	}
	if k := countRows(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'job.failed'`); k != 1 {
		t.Fatalf("%d job.failed audit rows", k)
	}
	if n := queuedWebhooks(t, db, ml.EventJobFailed); n != 1 {
		t.Fatalf("%d job.failed webhooks queued", n)
	}
	deliveredOnce(t, hook, ml.EventJobFailed, func(d map[string]any) bool {
		return d["job_id"] == float64(j.ID) && d["error"] == done.Error
	})
}

// waitRiverJob polls River's row of job id until ok holds (30 s; a
// finished job fails at once).
func waitRiverJob(t *testing.T, r *Runner, id int64, ok func(*rivertype.JobRow) bool) *rivertype.JobRow {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		row, err := r.Client.JobGet(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(row) {
			return row
		}
		if row.FinalizedAt != nil || time.Now().After(deadline) {
			t.Fatalf("river job %d: %s, attempt %d, errors %+v", id, row.State, row.Attempt, row.Errors)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
