package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
)

// A firing's policy state commits with its event and job: refused (here
// its webhook row), the schedule it used stays due and fires on the next
// evaluation, instead of being spent on a retrain that never queued.
func TestFailedFiringKeepsTheScheduleDue(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	hook := newHookRecorder(t)
	m := elecModel(t, db, "due", 2000, ml.ModelConfig{Notify: ml.NotifyConfig{WebhookURL: hook.URL, Events: []string{ml.EventTriggerFired}}})
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	m = setPolicy(t, db, m, ml.PolicyConfig{Schedule: "* * * * *", Strategy: ml.StrategyFull})
	now := time.Now().Add(3 * time.Minute) // a minute's tick has passed since the model was made
	db.Now = func() time.Time { return now }
	r := newRunner(t, db, Config{})
	r.Now = db.Now
	m, _ = db.FindModelByID(ctx, m.ID)

	allow := refuseWebhooks(t, db)
	if _, _, err := r.Evaluate(ctx, m, nil); err == nil {
		t.Fatal("the firing went through with its webhook refused")
	}
	if ps, _ := db.FindPolicyState(ctx, m.ID); !ps.LastScheduled.IsZero() {
		t.Fatalf("the failed firing spent the schedule: last scheduled %v", ps.LastScheduled)
	}
	allow()
	ev, j, err := r.Evaluate(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkFired(t, db, ev, j, ml.TriggerSchedule)
	if ps, _ := db.FindPolicyState(ctx, m.ID); !ps.LastScheduled.Equal(now.Truncate(time.Millisecond)) && !ps.LastScheduled.Equal(now) {
		t.Fatalf("last scheduled %v, want %v", ps.LastScheduled, now)
	}
}
