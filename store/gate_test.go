package store_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

// mustVersion stores a version of m (the artifact is not loaded here).
func mustVersion(t *testing.T, db *store.DB, m *ml.Model, promote bool) *ml.Version {
	t.Helper()
	v := &ml.Version{Trainer: ml.TrainerGBDT, Format: ml.FormatLightGBM}
	if err := db.CreateVersion(context.Background(), ml.SystemActor, m, v, []byte("tree"), promote); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestOneChampionPerModel: the database itself refuses a second champion
// for a model (the unique partial index model_versions_one_champion), so
// no code path, however it is written, can make two versions serve.
func TestOneChampionPerModel(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	m := mustModel(t, db)
	v1 := mustVersion(t, db, m, true)
	v2 := mustVersion(t, db, m, false)
	_, err := db.Write.ExecContext(ctx, `UPDATE model_versions SET status = 'champion' WHERE id = ?`, v2.ID)
	if err == nil || !strings.Contains(err.Error(), "UNIQUE constraint failed: model_versions.model_id") {
		t.Fatalf("a second champion: %v", err)
	}
	if _, err := db.Write.ExecContext(ctx, `INSERT INTO model_versions (model_id, number, created_at, trainer, format, artifact, sha256, size, status)
		VALUES (?, 99, 0, 'gbdt', 'lightgbm', x'00', '', 1, 'champion')`, m.ID); err == nil || !strings.Contains(err.Error(), "UNIQUE constraint failed: model_versions.model_id") {
		t.Fatalf("a new version inserted as a second champion: %v", err)
	}
	if c, _ := db.FindChampion(ctx, m.ID); c.ID != v1.ID {
		t.Fatalf("champion %d, want %d", c.ID, v1.ID)
	}
	// Other statuses repeat freely, and another model has its own champion.
	mustVersion(t, db, m, false)
	other := mustModelNamed(t, db, "other")
	w := mustVersion(t, db, other, true)
	if c, _ := db.FindChampion(ctx, other.ID); c.ID != w.ID {
		t.Fatalf("other model's champion %d, want %d", c.ID, w.ID)
	}
}

func mustModelNamed(t *testing.T, db *store.DB, name string) *ml.Model {
	t.Helper()
	m := demo.Elec2Model()
	m.Name = name
	if err := db.CreateModel(context.Background(), ml.SystemActor, m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestEndWatchRefusesWhatJSONCannotHold: a watch result that does not
// encode (a NaN) is an error, and the deployment keeps watching; it was
// stored as an empty watch_result.
func TestEndWatchRefusesWhatJSONCannotHold(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	m := mustModel(t, db)
	mustVersion(t, db, m, true)
	v2 := mustVersion(t, db, m, false)
	dep, err := db.Promote(ctx, ml.SystemActor, m, v2.ID, store.PromoteOptions{Reason: "test", WatchLabels: 10})
	if err != nil || dep.Watch != ml.WatchWatching {
		t.Fatalf("promote: %+v %v", dep, err)
	}
	if err := db.EndWatch(ctx, dep.ID, ml.WatchPassed, map[string]float64{"new": math.NaN()}); err == nil || !strings.Contains(err.Error(), "watch result") {
		t.Fatalf("NaN result: %v", err)
	}
	deps, _ := db.FindDeployments(ctx, m.ID, 1)
	if deps[0].Watch != ml.WatchWatching {
		t.Fatalf("watch %s after a refused result", deps[0].Watch)
	}
	if err := db.EndWatch(ctx, dep.ID, ml.WatchPassed, map[string]any{"new": nil, "text": "ok"}); err != nil {
		t.Fatal(err)
	}
	deps, _ = db.FindDeployments(ctx, m.ID, 1)
	if deps[0].Watch != ml.WatchPassed || !json.Valid(deps[0].WatchResult) || !strings.Contains(string(deps[0].WatchResult), `"text":"ok"`) {
		t.Fatalf("ended watch: %s %q", deps[0].Watch, deps[0].WatchResult)
	}
}

// TestRollbackGoesOneStepBack: a rollback makes the previous champion
// serve, marks the current one rolled back and is audited with its
// actor and reason; a second rollback would land on the version just
// judged bad, so it is refused with what to do instead.
func TestRollbackGoesOneStepBack(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	m := mustModel(t, db)
	v1 := mustVersion(t, db, m, true)
	v2 := mustVersion(t, db, m, true)
	lee := ml.Actor{Kind: "user", Name: "lee"}
	dep, target, err := db.Rollback(ctx, lee, m, ml.DeployRollback, "drill")
	if err != nil || target.ID != v1.ID || dep.VersionID != v1.ID || dep.PreviousID != v2.ID || dep.Kind != ml.DeployRollback {
		t.Fatalf("rollback: %+v %+v %v", dep, target, err)
	}
	if v, _ := db.FindVersion(ctx, m.ID, v2.ID); v.Status != ml.StatusRolledBack {
		t.Fatalf("v2 is %s", v.Status)
	}
	audit, err := db.FindAudit(ctx, store.AuditFilter{Action: "version.rollback"})
	if err != nil || len(audit) != 1 || audit[0].Actor != "user:lee" || audit[0].Target != "model:"+m.Name || !strings.Contains(audit[0].Detail, "v1 is the champion: drill") {
		t.Fatalf("rollback audit: %+v %v", audit, err)
	}
	_, _, err = db.Rollback(ctx, lee, m, ml.DeployRollback, "again")
	if ml.ErrorCode(err) != ml.ECONFLICT || !strings.Contains(ml.ErrorMessage(err), "v2 was itself rolled back: promote the version") {
		t.Fatalf("second rollback: %v", err)
	}
	if c, _ := db.FindChampion(ctx, m.ID); c.ID != v1.ID {
		t.Fatalf("champion %d after a refused rollback", c.ID)
	}
}
