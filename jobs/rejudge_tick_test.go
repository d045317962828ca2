package jobs

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
)

// TestRejudgeRunsOnItsTick: a worker comes back to a pending shadowed
// challenger by itself (the rejudge_gates tick), without anyone calling
// Rejudge. Its tick is set under a second, which River's unique periods
// refuse (the tick then never ran).
func TestRejudgeRunsOnItsTick(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	m := elecModel(t, db, "ticked", 3000, shadowGate(ml.GateApproval))
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	champ, _ := db.FindChampion(ctx, m.ID)
	bad := &ml.Version{Trainer: ml.TrainerGBDT, Format: ml.FormatLightGBM, Data: champ.Data}
	d := &ml.GateDecision{Mode: ml.GateApproval, Pass: true, Status: ml.GatePending, ChampionID: champ.ID, HoldoutRows: 300,
		Summary: "planted: passed its holdout", Report: json.RawMessage(`{"metric":"auc","pass":true}`)}
	pendingDecision(t, db, m, bad, badModel(t, db, m, 0, 2700), d)
	serveShadowed(t, db, m, champ, bad, 3000, 3250, true)

	startRunner(t, db, Config{Work: true, TriggerEvery: 200 * time.Millisecond})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got, err := db.FindGate(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == ml.GateFailed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not re-judge the shadowed challenger in 20 s: %s", got.Status)
		}
	}
}
