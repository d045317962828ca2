package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/serving"
	"github.com/freshet/freshet/store"
)

// An online model learns each labeled row as it comes; every
// online_every labels its learner becomes a job of strategy online, and
// the job a version that serves like any other.
func TestOnlineSnapshotBecomesVersion(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	m := elecModel(t, db, "online", 700, ml.ModelConfig{Policy: ml.PolicyConfig{Strategy: ml.StrategyOnline, OnlineEvery: 300}})
	r := newRunner(t, db, Config{Work: true, TriggerEvery: time.Hour})

	n, err := r.OnlineUpdate(ctx, m)
	if err != nil || n != 700 {
		t.Fatalf("learned %d labels: %v", n, err)
	}
	ps, _ := db.FindPolicyState(ctx, m.ID)
	if ps.OnlineCursor != 700 || ps.OnlineSince != 100 || len(ps.OnlineState) == 0 || len(ps.OnlineSnapshot) == 0 {
		t.Errorf("policy state: cursor %d, since %d, %d bytes of learner, %d of snapshot", ps.OnlineCursor, ps.OnlineSince, len(ps.OnlineState), len(ps.OnlineSnapshot))
	}
	// Nothing new: nothing learned, nothing queued.
	if n, err := r.OnlineUpdate(ctx, m); err != nil || n != 0 {
		t.Fatalf("second update learned %d: %v", n, err)
	}
	evs := triggers(t, db, m.ID)
	if len(evs) != 1 {
		t.Fatalf("%d trigger events, want 1: %+v", len(evs), evs)
	}
	ev := evs[0]
	if ev.Outcome != ml.OutcomeFired || ev.Strategy != ml.StrategyOnline || len(ev.Triggers) != 1 || ev.Triggers[0] != ml.TriggerVolume ||
		len(ev.Reasons) != 1 || ev.Reasons[0] != "online: 300 labels learned since the last snapshot ≥ 300" || ev.JobID == 0 {
		t.Fatalf("event %+v", ev)
	}
	j, err := db.FindJob(ctx, ev.JobID)
	if err != nil || j.Strategy != ml.StrategyOnline || j.TriggerID != ev.ID || j.State != ml.JobQueued {
		t.Fatalf("job %+v: %v", j, err)
	}

	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	done := waitJob(t, db, j.ID, 10*time.Second, "done", isDone)
	if done.State != ml.JobSucceeded || done.Rows != 300 || !strings.Contains(done.Log, "published the online snapshot of 300 labels") {
		t.Fatalf("job %s (%s), %d rows\n%s", done.State, done.Error, done.Rows, done.Log)
	}
	if len(trainingChildren(t, j.ID)) != 0 {
		t.Error("an online job started a training process")
	}
	v := jobVersion(t, r, m, done)
	if v.UpdateKind != ml.UpdateOnline || v.Trainer != ml.TrainerOnline || v.Status != ml.StatusChampion || v.Data.FromID != 301 || v.Data.ToID != 600 ||
		v.Data.Rows != 300 || v.Metrics["rows"] != 300 || !(v.Metrics[ml.MetricAUC] > 0.5) {
		t.Errorf("version %+v", v)
	}
	if ps, _ := db.FindPolicyState(ctx, m.ID); len(ps.OnlineSnapshot) != 0 {
		t.Error("the published snapshot is still waiting")
	}

	// The artifact serves: probabilities strictly between 0 and 1.
	art, err := db.FindVersionArtifact(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := serving.Load(v, art)
	if err != nil {
		t.Fatal(err)
	}
	fr, err := db.Scan(ctx, m, store.ScanFilter{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := sc.Score(fr.X)
	if err != nil || len(p) != fr.Len() || fr.Len() != 700 {
		t.Fatalf("%d scores for %d rows: %v", len(p), fr.Len(), err)
	}
	lo, hi := 1.0, 0.0
	for _, x := range p {
		if !(x > 0 && x < 1) {
			t.Fatalf("score %v", x)
		}
		lo, hi = min(lo, x), max(hi, x)
	}
	if hi-lo < 0.1 {
		t.Errorf("scores span only %.3f – %.3f", lo, hi)
	}
}
