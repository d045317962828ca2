package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
)

// TestShadowRowsConfigJudgesEarlier: with shadow_rows 120 a pending
// shadowed challenger is judged on live rows once 120 of them are
// labeled; 150 are enough here, where the default (200) waits (as
// TestShadowRejudgeFailsAWorseChallenger shows), and 100 are not.
func TestShadowRowsConfigJudgesEarlier(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	cfg := shadowGate(ml.GateApproval)
	cfg.Gate.ShadowRows = 120
	m := elecModel(t, db, "shadow-rows", 3000, cfg)
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	champ, _ := db.FindChampion(ctx, m.ID)
	bad := &ml.Version{Trainer: ml.TrainerGBDT, Format: ml.FormatLightGBM, Data: champ.Data}
	d := &ml.GateDecision{Mode: ml.GateApproval, Pass: true, Status: ml.GatePending, ChampionID: champ.ID, HoldoutRows: 300,
		Summary: "planted: passed its holdout", Report: json.RawMessage(`{"metric":"auc","pass":true}`)}
	pendingDecision(t, db, m, bad, badModel(t, db, m, 0, 2700), d)
	r := newRunner(t, db, Config{})

	serveShadowed(t, db, m, champ, bad, 3000, 3100, true)
	serveShadowed(t, db, m, champ, bad, 3100, 3150, false)
	if n, err := r.Rejudge(ctx); err != nil || n != 0 {
		t.Fatalf("rejudged on 100 labeled shadow rows, under shadow_rows 120: %d %v", n, err)
	}
	labelRows(t, db, m, 3100, 3150)
	if n, err := r.Rejudge(ctx); err != nil || n != 1 {
		t.Fatalf("rejudged %d on 150 labeled shadow rows, over shadow_rows 120: %v", n, err)
	}
	got, _ := db.FindGate(ctx, d.ID)
	shadow, _ := shadowPart(t, got.Report)
	if got.Status != ml.GateFailed || shadow == nil || shadow.N != 150 || !strings.HasPrefix(got.Summary, "fails on 150 live shadow rows: ") {
		t.Fatalf("decision %s: %s\n%s", got.Status, got.Summary, got.Report)
	}
}

// TestFreshRowsConfig: a version that recorded no holdout (an online
// snapshot that learned ids up to 600) waits for fresh_rows labeled rows
// after its data: 20 rows make it wait under the default (100) and judge
// it under fresh_rows 20. A fresh_rows above the 2,000 newest rows such a
// version is otherwise judged on judges it on all the rows it waited for.
func TestFreshRowsConfig(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	m := elecModel(t, db, "fresh-rows", 2700, ml.ModelConfig{Gate: lenientGate(ml.GateAuto)})
	r := newRunner(t, db, Config{})
	snap := func(toID int64) *ml.Version { return &ml.Version{Data: ml.DataVersion{ToID: toID}} }

	var wait *gateWait
	if _, _, err := r.holdout(ctx, m, snap(2680)); !errors.As(err, &wait) || !strings.Contains(wait.why, "once 100 have arrived") {
		t.Fatalf("default fresh_rows on 20 rows: %v", err)
	}
	m.Config.Gate.FreshRows = 20
	hold, rows, err := r.holdout(ctx, m, snap(2680))
	if err != nil || hold.Len() != 20 || rows.Source != "after its data" || slices.Min(hold.IDs) != 2681 {
		t.Fatalf("fresh_rows 20 on 20 rows: %d rows %+v: %v", hold.Len(), rows, err)
	}
	m.Config.Gate.FreshRows = 2500
	if _, _, err := r.holdout(ctx, m, snap(600)); !errors.As(err, &wait) || !strings.Contains(wait.why, "only 2,100 labeled rows") {
		t.Fatalf("fresh_rows 2,500 on 2,100 rows: %v", err)
	}
	if hold, _, err = r.holdout(ctx, m, snap(200)); err != nil || hold.Len() != 2500 {
		t.Fatalf("fresh_rows 2,500 on 2,500 rows: judged on %d: %v", hold.Len(), err)
	}
}
