package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

func createBacktest(t *testing.T, db *store.DB, m *ml.Model, id int64) *ml.Backtest {
	t.Helper()
	b := &ml.Backtest{ID: id, Settings: ml.BacktestSettings{Batch: 336, Policies: []string{"never", "every:1", "cost_aware"}, Rounds: 50, Window: 4704, Alpha: 0.01}}
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		return db.CreateBacktestTx(context.Background(), tx, ml.Actor{Kind: "user", Name: "lee"}, m, b)
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBacktestLifecycle(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	m := mustModel(t, db)
	createBacktest(t, db, m, 41)

	b, err := db.FindBacktest(ctx, 41)
	if err != nil {
		t.Fatal(err)
	}
	if b.State != ml.JobQueued || b.Model != "elec2" || b.CreatedBy != "user:lee" || b.Settings.Batch != 336 || len(b.Settings.Policies) != 3 || b.Report != nil {
		t.Fatalf("created: %+v", b)
	}
	if _, err := db.FindBacktest(ctx, 99); ml.ErrorCode(err) != ml.ENOTFOUND {
		t.Fatalf("missing: %v", err)
	}

	// Running: progress beats the heartbeat and reads the cancel flag.
	if b, err = db.StartBacktest(ctx, 41, 1); err != nil || b.State != ml.JobRunning || b.StartedAt == nil {
		t.Fatalf("start: %v %+v", err, b)
	}
	cancel, err := db.BacktestProgress(ctx, 41, ml.BacktestProgress{Done: 10, Total: 300, Policy: "every:1"})
	if err != nil || cancel {
		t.Fatalf("progress: %v %v", cancel, err)
	}
	if b, _ = db.FindBacktest(ctx, 41); b.Progress != (ml.BacktestProgress{Done: 10, Total: 300, Policy: "every:1"}) || b.HeartbeatAt == nil {
		t.Fatalf("progress stored: %+v", b.Progress)
	}
	if ids, err := db.StaleBacktests(ctx, time.Now().Add(time.Minute)); err != nil || len(ids) != 1 || ids[0] != 41 {
		t.Fatalf("stale: %v %v", ids, err)
	}
	if ids, _ := db.StaleBacktests(ctx, time.Now().Add(-time.Minute)); len(ids) != 0 {
		t.Fatalf("fresh counted stale: %v", ids)
	}

	// Finished: the report and the recommendation are kept; it cannot
	// finish twice.
	report := `{"rows":5000,"results":[],"recommended":"cost_aware","why":"cheap"}`
	if err := db.FinishBacktest(ctx, 41, store.BacktestOutcome{State: ml.JobSucceeded, Report: []byte(report), Recommended: "cost_aware"}); err != nil {
		t.Fatal(err)
	}
	b, _ = db.FindBacktest(ctx, 41)
	if b.State != ml.JobSucceeded || string(b.Report) != report || b.Recommended != "cost_aware" || b.FinishedAt == nil || b.Progress.Done != 300 {
		t.Fatalf("finished: %+v", b)
	}
	if err := db.FinishBacktest(ctx, 41, store.BacktestOutcome{State: ml.JobFailed, Error: "late"}); ml.ErrorCode(err) != ml.ECONFLICT {
		t.Fatalf("finish twice: %v", err)
	}
	if _, err := db.RequestBacktestCancel(ctx, ml.SystemActor, 41); ml.ErrorCode(err) != ml.ECONFLICT {
		t.Fatalf("cancel a finished one: %v", err)
	}

	// The list leaves reports out, newest first, per model.
	createBacktest(t, db, m, 42)
	list, err := db.FindBacktests(ctx, store.BacktestFilter{ModelID: m.ID})
	if err != nil || len(list) != 2 || list[0].ID != 42 || list[1].Report != nil || list[1].Recommended != "cost_aware" {
		t.Fatalf("list: %v %+v", err, list)
	}
	if active, _ := db.FindBacktests(ctx, store.BacktestFilter{Active: true}); len(active) != 1 || active[0].ID != 42 {
		t.Fatalf("active: %+v", active)
	}
	audit, _ := db.FindAudit(ctx, store.AuditFilter{Action: "backtest.create"})
	if len(audit) != 2 || !strings.Contains(audit[0].Detail, "backtest 42: 336-row batches") {
		t.Fatalf("audit: %+v", audit)
	}
}

func TestBacktestCancel(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	m := mustModel(t, db)
	lee := ml.Actor{Kind: "user", Name: "lee"}

	// Queued: cancelled at once, and it cannot start any more.
	createBacktest(t, db, m, 1)
	b, err := db.RequestBacktestCancel(ctx, lee, 1)
	if err != nil || b.State != ml.JobCancelled || !strings.Contains(b.Error, "user:lee") {
		t.Fatalf("cancel queued: %v %+v", err, b)
	}
	if _, err := db.StartBacktest(ctx, 1, 1); ml.ErrorCode(err) != ml.ECONFLICT {
		t.Fatalf("start a cancelled one: %v", err)
	}

	// Running: flagged; the worker sees the flag on its next write.
	createBacktest(t, db, m, 2)
	db.StartBacktest(ctx, 2, 1)
	if b, err = db.RequestBacktestCancel(ctx, lee, 2); err != nil || b.State != ml.JobRunning || !b.CancelRequested {
		t.Fatalf("cancel running: %v %+v", err, b)
	}
	if cancel, _ := db.BacktestProgress(ctx, 2, ml.BacktestProgress{Done: 1, Total: 2}); !cancel {
		t.Fatal("the worker does not see the cancel flag")
	}
	if err := db.FinishBacktest(ctx, 2, store.BacktestOutcome{State: ml.JobCancelled, Error: "cancelled"}); err != nil {
		t.Fatal(err)
	}
	if audit, _ := db.FindAudit(ctx, store.AuditFilter{Action: "backtest."}); len(audit) != 5 {
		// two creates, two cancel requests, one cancelled
		t.Fatalf("audit: %+v", audit)
	}
}

func TestApplyBacktestPolicy(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	m := mustModel(t, db)
	lee := ml.Actor{Kind: "user", Name: "lee"}
	cfg := m.Config
	cfg.Policy = ml.PolicyConfig{Schedule: "@daily", TimeZone: "Europe/Paris", Cooldown: "2h", Priority: 1, DailyCPU: 100, WeeklyCPU: 500,
		Drift: &ml.DriftTrigger{Share: 0.3}, Strategy: ml.StrategyFull, Window: ml.DataWindow{Kind: ml.WindowExpanding, MinRows: 300, HoldoutFrac: 0.2},
		Validation: ml.ValidationConfig{MaxMissing: 0.1}}
	if _, err := db.UpdateModelConfig(ctx, ml.SystemActor, m.Name, cfg); err != nil {
		t.Fatal(err)
	}
	replayed := ml.PolicyConfig{Cooldown: "0s", CostAware: &ml.CostAwareTrigger{ValuePerPoint: 12.5}, Volume: &ml.VolumeTrigger{Labels: 2688},
		Strategy: ml.StrategyAuto, FullEvery: 8, WarmRounds: 5, Window: ml.DataWindow{Kind: ml.WindowSlidingRows, Rows: 4704}}

	createBacktest(t, db, m, 7)
	if _, err := db.ApplyBacktestPolicy(ctx, lee, 7, "cost_aware", replayed); ml.ErrorCode(err) != ml.ECONFLICT {
		t.Fatalf("apply from a queued backtest: %v", err)
	}
	db.StartBacktest(ctx, 7, 1)
	db.FinishBacktest(ctx, 7, store.BacktestOutcome{State: ml.JobSucceeded, Report: []byte(`{}`), Recommended: "cost_aware"})
	got, err := db.ApplyBacktestPolicy(ctx, lee, 7, "cost_aware", replayed)
	if err != nil {
		t.Fatal(err)
	}
	p := got.Config.Policy
	// Replaced: triggers, strategy, full_every, warm_rounds, window.
	if p.Schedule != "" || p.Drift != nil || p.CostAware == nil || p.CostAware.ValuePerPoint != 12.5 || p.Volume == nil || p.Volume.Labels != 2688 ||
		p.Strategy != ml.StrategyAuto || p.FullEvery != 8 || p.WarmRounds != 5 || p.Window.Kind != ml.WindowSlidingRows || p.Window.Rows != 4704 {
		t.Fatalf("replaced: %+v", p)
	}
	// Kept: budgets, priority, cooldown, time zone, validation, holdout.
	if p.TimeZone != "Europe/Paris" || p.Cooldown != "2h" || p.Priority != 1 || p.DailyCPU != 100 || p.WeeklyCPU != 500 ||
		p.Validation.MaxMissing != 0.1 || p.Window.MinRows != 300 || p.Window.HoldoutFrac != 0.2 {
		t.Fatalf("kept: %+v", p)
	}
	stored, _ := db.FindModelByName(ctx, m.Name)
	if stored.Config.Policy.CostAware == nil || stored.Config.Policy.Window.Rows != 4704 {
		t.Fatalf("not stored: %+v", stored.Config.Policy)
	}
	b, _ := db.FindBacktest(ctx, 7)
	if b.Applied != "cost_aware" || b.AppliedBy != "user:lee" || b.AppliedAt == nil {
		t.Fatalf("not recorded on the backtest: %+v", b)
	}
	audit, _ := db.FindAudit(ctx, store.AuditFilter{Action: "backtest.apply"})
	if len(audit) != 1 || audit[0].Actor != "user:lee" || audit[0].Target != "model:elec2" || !strings.Contains(audit[0].Detail, "policy cost_aware of backtest 7") ||
		!strings.Contains(audit[0].Detail, `"schedule":"@daily"`) {
		t.Fatalf("audit: %+v", audit)
	}

	// An invalid policy changes nothing.
	bad := replayed
	bad.Volume = &ml.VolumeTrigger{Labels: -1}
	if _, err := db.ApplyBacktestPolicy(ctx, lee, 7, "bad", bad); ml.ErrorCode(err) != ml.EINVALID {
		t.Fatalf("invalid: %v", err)
	}
	if after, _ := db.FindModelByName(ctx, m.Name); after.Config.Policy.Volume.Labels != 2688 {
		t.Fatal("an invalid policy was stored")
	}
}
