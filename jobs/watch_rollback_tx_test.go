package jobs

import (
	"context"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
)

// TestWatchRollbackIsOneTransaction: the watch's rollback, its deployment
// row, the version statuses, the trigger event that says why and the
// webhook that tells people are written in one transaction. With the
// webhook's queue row refused (its last write), none of the rest is
// left behind; once the queue takes it, all of it is there.
func TestWatchRollbackIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	m := taskModel(t, db, ml.TaskMulticlass, "", 3000)
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	good, _ := db.FindChampion(ctx, m.ID)
	cfg := m.Config
	cfg.Notify = ml.NotifyConfig{WebhookURL: "http://127.0.0.1:9/hook"} // queued only: the runner is not started
	m, err := db.UpdateModelConfig(ctx, ml.SystemActor, m.Name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	bad := plantBadChampion(t, db, m)
	r := newRunner(t, db, Config{}) // applies River's migrations: river_job exists from here
	if _, err := db.Write.ExecContext(ctx, `CREATE TRIGGER refuse_webhook BEFORE INSERT ON river_job WHEN NEW.kind = 'webhook'
		BEGIN SELECT RAISE(ABORT, 'webhook queue refused'); END`); err != nil {
		t.Fatal(err)
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.Read.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	n, err := r.Watch(ctx)
	if err == nil || !strings.Contains(err.Error(), "webhook queue refused") || n != 0 {
		t.Fatalf("watch with the queue refusing: %d %v", n, err)
	}
	if champ, _ := db.FindChampion(ctx, m.ID); champ.ID != bad.ID {
		t.Fatalf("champion v%d after a failed rollback, want v%d still", champ.Number, bad.Number)
	}
	if v, _ := db.FindVersion(ctx, m.ID, good.ID); v.Status != ml.StatusRetired {
		t.Fatalf("old champion is %s after a failed rollback", v.Status)
	}
	deps, _ := db.FindDeployments(ctx, m.ID, 10)
	if len(deps) != 2 || deps[0].VersionID != bad.ID || deps[0].Watch != ml.WatchWatching {
		t.Fatalf("deployments after a failed rollback: %+v", deps[0])
	}
	if k := count(`SELECT COUNT(*) FROM trigger_events WHERE model_id = ? AND triggers = 'watch'`, m.ID); k != 0 {
		t.Fatalf("%d watch trigger events after a failed rollback", k)
	}
	if k := count(`SELECT COUNT(*) FROM audit_log WHERE action = 'version.rollback'`); k != 0 {
		t.Fatalf("%d rollback audit rows after a failed rollback", k)
	}

	if _, err := db.Write.ExecContext(ctx, `DROP TRIGGER refuse_webhook`); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Watch(ctx); err != nil || n != 1 {
		t.Fatalf("watch: %d %v", n, err)
	}
	if champ, _ := db.FindChampion(ctx, m.ID); champ.ID != good.ID {
		t.Fatalf("champion v%d after the rollback, want v%d", champ.Number, good.Number)
	}
	if k := count(`SELECT COUNT(*) FROM trigger_events WHERE model_id = ? AND triggers = 'watch'`, m.ID); k != 1 {
		t.Fatalf("%d watch trigger events after the rollback", k)
	}
	if k := count(`SELECT COUNT(*) FROM river_job WHERE kind = 'webhook' AND json_extract(args, '$.event') = ?`, ml.EventRolledBack); k != 1 {
		t.Fatalf("%d rolled-back webhooks queued", k)
	}
}
