package jobs

import (
	"context"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/store"
)

func newFeeder(t *testing.T) (*DemoFeeder, *store.DB, *time.Time) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	f := &DemoFeeder{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Speed: 7 * 24 * 60}
	return f, db, &now
}

func TestDemoFeederStreams(t *testing.T) {
	ctx := context.Background()
	f, db, now := newFeeder(t)
	if ok, err := f.Install(ctx); err != nil || !ok {
		t.Fatal(err)
	}
	if ok, err := f.Install(ctx); err != nil || ok { // idempotent
		t.Fatal(err, ok)
	}
	m, err := db.FindModelByName(ctx, "elec2")
	if err != nil {
		t.Fatal(err)
	}
	if m.Stats.Observations != DemoPreloadRows || m.Stats.Labeled != DemoPreloadRows-DemoLabelDelay {
		t.Fatalf("preload: %+v", m.Stats)
	}
	// One minute later: one more week (336 rows) is due.
	*now = now.Add(time.Minute)
	fed, labeled, err := f.Tick(ctx)
	if err != nil || fed != 336 || labeled != 336 {
		t.Fatalf("tick: fed %d labeled %d %v", fed, labeled, err)
	}
	// The same tick again (a retried job) changes nothing.
	if fed, labeled, err := f.Tick(ctx); err != nil || fed != 0 || labeled != 0 {
		t.Fatalf("repeat tick: %d %d %v", fed, labeled, err)
	}
	m, _ = db.FindModelByName(ctx, "elec2")
	fr, err := db.Scan(ctx, m, store.ScanFilter{})
	if err != nil {
		t.Fatal(err)
	}
	tab, _ := demo.Elec2()
	n := fr.Len()
	if n != DemoPreloadRows+336 {
		t.Fatalf("rows %d", n)
	}
	for i := 0; i < n; i++ {
		if fr.Time[i] != tab.Time[i] || fr.X[2][i] != tab.Num[1][i] {
			t.Fatalf("row %d differs from the data set", i)
		}
		labeled := !math.IsNaN(fr.Label[i])
		if labeled != (i < n-DemoLabelDelay) || (labeled && fr.Label[i] != tab.Label[i]) {
			t.Fatalf("row %d label %v", i, fr.Label[i])
		}
	}
}

// TestDemoFeederCatchesUpAndLoops: after downtime the stream resumes with
// a bounded step; at the end of the data it starts again, later in time.
func TestDemoFeederCatchesUpAndLoops(t *testing.T) {
	ctx := context.Background()
	f, db, now := newFeeder(t)
	if _, err := f.Install(ctx); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(24 * time.Hour) // a day down: 1,440 weeks due
	fed, _, err := f.Tick(ctx)
	if err != nil || fed != demoMaxPerTick {
		t.Fatalf("catch-up tick fed %d (%v), want %d", fed, err, demoMaxPerTick)
	}
	// Feed past the end of the data set, a capped step at a time.
	for i := 0; i < 20; i++ {
		*now = now.Add(20 * time.Minute)
		if _, _, err := f.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	m, _ := db.FindModelByName(ctx, "elec2")
	tab, _ := demo.Elec2()
	if m.Stats.Observations <= int64(tab.Len()) {
		t.Fatalf("did not loop: %d rows", m.Stats.Observations)
	}
	fr, _ := db.Scan(ctx, m, store.ScanFilter{})
	for i := 1; i < fr.Len(); i++ {
		if fr.Time[i] <= fr.Time[i-1] {
			t.Fatalf("time goes back at row %d: %d after %d", i, fr.Time[i], fr.Time[i-1])
		}
	}
	k := tab.Len() + 10
	if fr.X[3][k] != tab.Num[2][10] || fr.Label[k] != tab.Label[10] {
		t.Fatalf("second loop row 10 differs")
	}
	if m.Stats.Labeled != m.Stats.Observations-DemoLabelDelay {
		t.Fatalf("labels lag %d rows, want %d", m.Stats.Observations-m.Stats.Labeled, DemoLabelDelay)
	}
}
