package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

// A decision judged outside the transaction that records it is refused
// when what it judged changed meanwhile: the champion it was judged
// against no longer serves, or the version is no longer a candidate (a
// stale pass would otherwise make an old version champion over a newer
// one).
func TestRecordGateRefusesAStaleJudgement(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	m := elecModel(t, db, "stale", 3000, ml.ModelConfig{})
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	champ, _ := db.FindChampion(ctx, m.ID)
	record := func(v *ml.Version, championID int64) error {
		d := &ml.GateDecision{Mode: ml.GateAuto, Pass: true, Status: ml.GateAutoPromoted, ChampionID: championID,
			Summary: "planted", Report: json.RawMessage(`{"metric":"auc","pass":true}`)}
		return db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := db.RecordGateTx(ctx, tx, m, v, d, true, store.PromoteOptions{Reason: "gate"})
			return err
		})
	}
	newVersion := func() *ml.Version {
		v := &ml.Version{Trainer: ml.TrainerGBDT, Format: ml.FormatLightGBM, Data: champ.Data}
		if err := db.CreateVersion(ctx, ml.SystemActor, m, v, badModel(t, db, m, 0, 2700), false); err != nil {
			t.Fatal(err)
		}
		return v
	}

	v := newVersion()
	if err := record(v, champ.ID+1000); ml.ErrorCode(err) != ml.ECONFLICT {
		t.Fatalf("judged against another champion: %v", err)
	}
	if c, _ := db.FindChampion(ctx, m.ID); c.ID != champ.ID {
		t.Fatalf("the stale pass promoted v%d", c.Number)
	}
	if err := db.RejectVersion(ctx, ml.SystemActor, v, "test"); err != nil {
		t.Fatal(err)
	}
	if err := record(v, champ.ID); ml.ErrorCode(err) != ml.ECONFLICT {
		t.Fatalf("a rejected version: %v", err)
	}
	if c, _ := db.FindChampion(ctx, m.ID); c.ID != champ.ID {
		t.Fatalf("a rejected version became champion (v%d)", c.Number)
	}
	// Still a candidate, judged against the champion that serves: recorded.
	w := newVersion()
	if err := record(w, champ.ID); err != nil {
		t.Fatal(err)
	}
	if c, _ := db.FindChampion(ctx, m.ID); c.ID != w.ID {
		t.Fatalf("champion v%d, want v%d", c.Number, w.Number)
	}
}
