package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/serving"
	"github.com/freshet/freshet/store"
)

// TestMonitorSeesTheElec2Shift runs the demo past Elec2's covariate shift
// (vicprice, vicdemand and transfer are constant for the first ~52
// weeks) and checks that monitoring flags it, against a champion trained
// on the first 48 weeks.
func TestMonitorSeesTheElec2Shift(t *testing.T) {
	ctx := context.Background()
	f, db, now, m := trainedDemo(t)
	// Twelve more weeks, scored by the champion as they arrive.
	for range 12 {
		*now = now.Add(time.Minute)
		if _, _, err := f.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mon := &Monitor{DB: db, Serving: f.Serving}
	n, err := mon.Run(ctx)
	if err != nil || n < 50 {
		t.Fatalf("profiled %d windows: %v", n, err)
	}
	// A second run re-profiles only the last windows.
	if n2, err := mon.Run(ctx); err != nil || n2 > RecomputeWindows {
		t.Fatalf("second run profiled %d windows: %v", n2, err)
	}
	m, _ = db.FindModelByName(ctx, "elec2")
	h, err := mon.Health(ctx, m, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Drift) < 50 || h.Reference == nil || h.Reference.Rows < 4000 { // the demo policy trains on the newest 4,704 rows
		t.Fatalf("health: %d windows, ref %+v", len(h.Drift), h.Reference)
	}
	vic := func(d int) bool {
		for _, f := range h.Drift[d].Features {
			if f.Name == "vicdemand" {
				return f.Drifted
			}
		}
		t.Fatal("no vicdemand")
		return false
	}
	// vicdemand is constant while the champion trained: never flagged
	// then; real and flagged in the weeks after the shift. (Prices drift
	// with the seasons all along, so other features do get flagged.)
	for d := 0; d < 40; d++ {
		if vic(d) {
			t.Errorf("vicdemand flagged in training-period window %d", d)
		}
	}
	if last := len(h.Drift) - 2; !vic(last) {
		t.Errorf("vicdemand not flagged after the shift: %+v", h.Drift[last].Features)
	}
	// Multivariate drift sees the shift too.
	if mv := h.Drift[len(h.Drift)-2].Multi; mv == nil || !(mv.DomainDrift || mv.PCADrifted) {
		t.Errorf("multivariate drift after the shift: %+v", mv)
	}
	// Performance exists for scored windows after the champion.
	scored := 0
	for _, p := range h.Perf {
		if p.Scored > 0 {
			scored++
		}
	}
	if scored < 8 {
		t.Errorf("only %d windows have scored labels", scored)
	}
}

// Windows of N rows: each closed window holds exactly N observations, a
// partial one waits, and the profiles carry the rows' times.
func TestMonitorRowWindows(t *testing.T) {
	ctx := context.Background()
	f, db, _, m := trainedDemo(t)
	cfg := m.Config
	cfg.Monitor.WindowRows = 5000
	if _, err := db.UpdateModelConfig(ctx, ml.SystemActor, "elec2", cfg); err != nil {
		t.Fatal(err)
	}
	mon := &Monitor{DB: db, Serving: f.Serving}
	m, _ = db.FindModelByName(ctx, "elec2")
	n, err := mon.Run(ctx)
	if want := int(m.Stats.Observations / 5000); err != nil || n != want {
		t.Fatalf("profiled %d windows, want %d: %v", n, want, err)
	}
	h, err := mon.Health(ctx, m, 100)
	if err != nil {
		t.Fatal(err)
	}
	if h.Window != "5000 rows" || len(h.Drift) != n {
		t.Fatalf("health window %q, %d windows", h.Window, len(h.Drift))
	}
	for i, d := range h.Drift {
		if d.Rows != 5000 || d.End <= d.Start || (i > 0 && d.Start < h.Drift[i-1].End-1) {
			t.Fatalf("window %d: %d rows, %d..%d", i, d.Rows, d.Start, d.End)
		}
	}
}

// A pinned reference period replaces the champion's training rows, and
// changing it rebuilds the reference and the profiles.
func TestMonitorPinnedReference(t *testing.T) {
	ctx := context.Background()
	f, db, _, m := trainedDemo(t)
	mon := &Monitor{DB: db, Serving: f.Serving}
	if _, err := mon.Run(ctx); err != nil {
		t.Fatal(err)
	}
	m, _ = db.FindModelByName(ctx, "elec2")
	h, _ := mon.Health(ctx, m, 1)
	if h.Reference.Rows < 4000 { // the demo policy trains on the newest 4,704 rows
		t.Fatalf("training reference: %d rows", h.Reference.Rows)
	}
	from := *m.Stats.FirstObservation
	to := from.Add(14 * 24 * time.Hour) // two weeks: 672 rows
	cfg := m.Config
	cfg.Monitor.ReferenceFrom, cfg.Monitor.ReferenceTo = &from, &to
	if _, err := db.UpdateModelConfig(ctx, ml.SystemActor, "elec2", cfg); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.LastProfileStart(ctx, m.ID); ok {
		t.Fatal("profiles of the old reference survived the change")
	}
	m, _ = db.FindModelByName(ctx, "elec2")
	if _, err := mon.Run(ctx); err != nil {
		t.Fatal(err)
	}
	h, err := mon.Health(ctx, m, 100)
	if err != nil || h.Reference.Rows != 672 || len(h.Drift) < 40 {
		t.Fatalf("pinned reference: %+v, %d windows, %v", h.Reference, len(h.Drift), err)
	}
	bad := cfg
	bad.Monitor.ReferenceTo = nil
	if _, err := db.UpdateModelConfig(ctx, ml.SystemActor, "elec2", bad); ml.ErrorCode(err) != ml.EINVALID {
		t.Fatalf("half a pin: %v", err)
	}
}

// trainedDemo installs the demo (48 weeks) with a serving registry and
// trains its first champion.
func trainedDemo(t *testing.T) (*DemoFeeder, *store.DB, *time.Time, *ml.Model) {
	t.Helper()
	ctx := context.Background()
	f, db, now := newFeeder(t)
	f.Serving = &serving.Registry{DB: db}
	if _, err := f.Install(ctx); err != nil {
		t.Fatal(err)
	}
	m, err := db.FindModelByName(ctx, "elec2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	return f, db, now, m
}
