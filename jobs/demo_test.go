package jobs

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/policy"
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

// demoShiftRow is Elec2's row where vicprice, vicdemand and transfer stop
// being constant: 1997-05-05 00:00, 3.86 data weeks after the preload.
const demoShiftRow = 17424

// windowSpan is the window a trigger's reason names: "in the window
// 1997-05-01 – 05-08".
var windowSpan = regexp.MustCompile(`in the window (\d{4})-(\d\d-\d\d) – (\d\d-\d\d)`)

// TestDemoShiftFiresTheFirstRetrain replays the demo as freshet serve
// runs it, at its default speed (a data week a minute) on a simulated
// clock: the feeder every 5 s, the monitor every 10 s and the policy
// every 15 s, as the runner's periodic jobs do, the first model queued
// by InstallDemo and every training job run by the runner's own worker,
// and the demo model's own policy (its 2-minute cooldown included).
// Ordinary week-to-week variation before Elec2's shift must not fire
// drift or decay (not even held back by the cooldown); the shift must,
// within five minutes of the start, on a window that ends after it, and
// the event and its job must carry the cost.
func TestDemoShiftFiresTheFirstRetrain(t *testing.T) {
	if testing.Short() {
		t.Skip("replays five minutes of the demo and trains twice")
	}
	ctx := context.Background()
	tab, err := demo.Elec2()
	if err != nil {
		t.Fatal(err)
	}
	shift := time.UnixMilli(tab.Time[demoShiftRow]).UTC()
	if tab.Num[4][demoShiftRow-1] != tab.Num[4][0] || tab.Num[4][demoShiftRow] == tab.Num[4][0] {
		t.Fatalf("vicdemand does not change at row %d", demoShiftRow)
	}
	db := newDB(t)
	var clock atomic.Int64 // read by the worker's goroutines
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	clock.Store(start.UnixMilli())
	now := func() time.Time { return time.UnixMilli(clock.Load()).UTC() }
	db.Now = now
	// Periodic jobs far apart: the loop below runs them on the simulated
	// clock; the runner only works the training queue.
	r := startRunner(t, db, Config{Demo: true, Work: true, MonitorEvery: 24 * time.Hour, TriggerEvery: 24 * time.Hour, LostAfter: 48 * time.Hour})
	r.Now = now
	if err := r.InstallDemo(ctx); err != nil {
		t.Fatal(err)
	}
	m, err := db.FindModelByName(ctx, "elec2")
	if err != nil {
		t.Fatal(err)
	}
	if d := m.Config.Policy.Drift; d == nil || *d != *demo.Elec2Model().Config.Policy.Drift || m.Config.Policy.Cooldown != "2m" {
		t.Fatalf("not the demo's policy: %+v", m.Config.Policy)
	}
	// finishJobs waits for the queued or running job, as the real demo
	// would go on while it trains; training takes seconds of a week.
	finishJobs := func() {
		t.Helper()
		if id, err := db.ActiveJob(ctx, m.ID); err != nil {
			t.Fatal(err)
		} else if id != 0 {
			if j := waitJob(t, db, id, 2*time.Minute, "done", isDone); j.State != ml.JobSucceeded {
				t.Fatalf("job %d %s: %s", j.ID, j.State, j.Error)
			}
		}
	}
	finishJobs() // the first model

	var fired *ml.TriggerEvent
	var firedAfter time.Duration
	for elapsed := 5 * time.Second; elapsed <= 6*time.Minute && fired == nil; elapsed += 5 * time.Second {
		clock.Store(start.Add(elapsed).UnixMilli())
		if _, _, err := r.feeder.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if elapsed%(10*time.Second) == 0 {
			if _, err := r.Monitor.Run(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if elapsed%(15*time.Second) != 0 {
			continue
		}
		m, err := db.FindModelByID(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		ev, j, err := r.Evaluate(ctx, m, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ev == nil {
			continue
		}
		t.Logf("%s: %s %v (%s) %s", elapsed, ev.Outcome, ev.Triggers, ev.Suppressed, strings.Join(ev.Reasons, "; "))
		if !slices.Contains(ev.Triggers, ml.TriggerDrift) && !slices.Contains(ev.Triggers, ml.TriggerDecay) {
			continue
		}
		// The first drift or decay decision, fired or held back, must be
		// about a window that ends after the shift began.
		var why string
		for _, reason := range ev.Reasons {
			if strings.HasPrefix(reason, ml.TriggerDrift+": ") && slices.Contains(ev.Triggers, ml.TriggerDrift) ||
				strings.HasPrefix(reason, ml.TriggerDecay+": ") && slices.Contains(ev.Triggers, ml.TriggerDecay) {
				why = reason
			}
		}
		span := windowSpan.FindStringSubmatch(why)
		if span == nil {
			t.Fatalf("%s: no window in %q", elapsed, why)
		}
		end, err := time.Parse("2006-01-02", span[1]+"-"+span[3])
		if err != nil {
			t.Fatal(err)
		}
		if !end.After(shift) {
			t.Fatalf("%s: %v %s on the window %s-%s – %s, before Elec2's shift (%s): %q", elapsed, ev.Triggers, ev.Outcome, span[1], span[2], span[3], shift.Format("2006-01-02"), why)
		}
		if ev.Outcome != ml.OutcomeFired || j == nil {
			t.Fatalf("%s: the shift's trigger did not start a retrain: %+v", elapsed, ev)
		}
		fired, firedAfter = ev, elapsed
		finishJobs()
	}
	if fired == nil {
		t.Fatal("no drift or decay retrain within 6 minutes of the demo's start")
	}
	if firedAfter > 5*time.Minute {
		t.Errorf("the shift fired %s after the start, want within 5 minutes", firedAfter)
	}
	var cost policy.CostEstimate
	if err := json.Unmarshal(fired.Cost, &cost); err != nil || !(cost.CPUSeconds > 0) {
		t.Errorf("event cost %s: %v", fired.Cost, err)
	}
	j, err := db.FindJob(ctx, fired.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != ml.JobSucceeded || !(j.CPUSeconds > 0) || j.PeakRSS <= 0 || j.TriggerID != fired.ID {
		t.Errorf("the shift's job: %+v", j)
	}
	t.Logf("fired %s after the start: %v → job %d, predicted %.3f CPU-s, used %.3f CPU-s", firedAfter, fired.Triggers, j.ID, cost.CPUSeconds, j.CPUSeconds)
}
