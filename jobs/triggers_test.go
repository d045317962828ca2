package jobs

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/monitor"
	"github.com/freshet/freshet/store"
)

// setPolicy replaces m's policy and returns the model as stored.
func setPolicy(t *testing.T, db *store.DB, m *ml.Model, pol ml.PolicyConfig) *ml.Model {
	t.Helper()
	cfg := m.Config
	cfg.Policy = pol
	m, err := db.UpdateModelConfig(context.Background(), ml.SystemActor, m.Name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// evaluate runs the policy of the model as stored now.
func evaluate(t *testing.T, r *Runner, id int64) (*ml.TriggerEvent, *ml.Job) {
	t.Helper()
	m, err := r.DB.FindModelByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	ev, j, err := r.Evaluate(context.Background(), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ev, j
}

// triggers lists m's stored trigger events, newest first.
func triggers(t *testing.T, db *store.DB, id int64) []*ml.TriggerEvent {
	t.Helper()
	evs, err := db.FindTriggers(context.Background(), id, 100)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// checkFired checks that ev fired exactly the triggers want, each with
// its reason, and queued a job that links back to it.
func checkFired(t *testing.T, db *store.DB, ev *ml.TriggerEvent, j *ml.Job, want ...string) {
	t.Helper()
	if ev == nil || ev.Outcome != ml.OutcomeFired || !slices.Equal(ev.Triggers, want) || j == nil {
		t.Fatalf("want %v fired with a job, got %+v, job %+v", want, ev, j)
	}
	for _, k := range want {
		if !slices.ContainsFunc(ev.Reasons, func(r string) bool { return strings.HasPrefix(r, k+": ") }) {
			t.Errorf("no %s reason in %q", k, ev.Reasons)
		}
	}
	if ev.JobID != j.ID || j.TriggerID != ev.ID || j.State != ml.JobQueued || !strings.HasPrefix(j.Reason, "policy: "+strings.Join(want, " + ")) {
		t.Errorf("event %d → job %d; job %d → event %d (%s, %q)", ev.ID, ev.JobID, j.ID, j.TriggerID, j.State, j.Reason)
	}
	stored := triggers(t, db, ev.ModelID)[0]
	if stored.ID != ev.ID || stored.JobID != j.ID || stored.Outcome != ml.OutcomeFired || stored.Repeats != 1 {
		t.Errorf("stored event %+v", stored)
	}
}

// driftReason is a drift trigger's reason when at least half of the
// seven features drifted.
var driftReason = regexp.MustCompile(`^drift: drift share (0\.[5-9]\d|1\.00) ≥ 0\.50 in the window 1997-\d\d-\d\d – \d\d-\d\d, the strongest of \d+ \([4-7] of 7 features drifted\)$`)

// Drift and decay fire on the monitoring windows profiled since the last
// evaluation: Elec2 after its shift, against a champion trained before it.
func TestTriggersDriftAndDecay(t *testing.T) {
	ctx := context.Background()
	f, db, now, m := trainedDemo(t)
	r := newRunner(t, db, Config{})
	r.Now = func() time.Time { return *now }
	feed := func(weeks int) {
		t.Helper()
		for range weeks {
			*now = now.Add(time.Minute) // a week of data
			if _, _, err := f.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		m, _ := db.FindModelByID(ctx, m.ID)
		if _, err := r.Monitor.RunModel(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	m = setPolicy(t, db, m, ml.PolicyConfig{Drift: &ml.DriftTrigger{Share: 0.5, Unweighted: true}})

	// The training period's windows: at most 2 of 7 features drift.
	feed(0)
	if ev, j := evaluate(t, r, m.ID); ev != nil || j != nil {
		t.Fatalf("drift before the shift: %+v", ev)
	}
	if len(triggers(t, db, m.ID)) != 0 {
		t.Fatal("a quiet decision was stored")
	}
	// Elec2's shift (1997-05-05) moves vicprice, vicdemand and transfer
	// (3 of 7, below the threshold); from June the prices drift too.
	feed(11)
	ev, j := evaluate(t, r, m.ID)
	checkFired(t, db, ev, j, ml.TriggerDrift)
	if !driftReason.MatchString(ev.Reasons[0]) {
		t.Errorf("drift reason %q", ev.Reasons[0])
	}
	// The same windows are not judged twice.
	if _, err := r.Cancel(ctx, ml.SystemActor, j.ID); err != nil {
		t.Fatal(err)
	}
	if ev, _ := evaluate(t, r, m.ID); ev != nil {
		t.Fatalf("the same windows fired again: %+v", ev)
	}

	// Decay: the champion's AUC falls significantly below its baseline in
	// the weeks that follow.
	m = setPolicy(t, db, m, ml.PolicyConfig{Decay: &ml.DecayTrigger{}})
	feed(6)
	ev, j = evaluate(t, r, m.ID)
	checkFired(t, db, ev, j, ml.TriggerDecay)
	decayReason := regexp.MustCompile(`^decay: auc 0\.659 → 0\.\d+ \(drop 0\.\d+, p = [\d.e-]+\) significant in the window 1997-\d\d-\d\d – \d\d-\d\d, the worst of \d+, \d+ labels`)
	if !decayReason.MatchString(ev.Reasons[0]) || ev.Gap == nil || !(*ev.Gap > 0) || ev.Recent == nil {
		t.Errorf("decay event: %q, gap %v, recent %v", ev.Reasons, ev.Gap, ev.Recent)
	}
	if evs := triggers(t, db, m.ID); len(evs) != 2 || evs[1].Triggers[0] != ml.TriggerDrift {
		t.Errorf("events: %+v", evs)
	}
}

// Volume and schedule fire; dedup, cooldown and the CPU budgets hold a
// wanted retrain back with their reasons, and a standing suppression
// counts up instead of adding rows.
func TestTriggersVolumeScheduleSuppression(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	now := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC) // a Monday
	db.Now = func() time.Time { return now }
	at := func(day, hour, minute int) { now = time.Date(2026, 3, day, hour, minute, 0, 0, time.UTC) }

	m := elecModel(t, db, "policy", 2000, ml.ModelConfig{})
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	m = setPolicy(t, db, m, ml.PolicyConfig{Schedule: "0 3 * * *", Volume: &ml.VolumeTrigger{Labels: 500}, Cooldown: "1h",
		DailyCPU: 20, WeeklyCPU: 20, Strategy: ml.StrategyFull})
	r := newRunner(t, db, Config{})
	r.Now = func() time.Time { return now }
	// finish makes job id end as the worker would, having used cpu CPU-s.
	finish := func(id int64, cpu float64) {
		t.Helper()
		if _, err := db.StartJob(ctx, id, 1); err != nil {
			t.Fatal(err)
		}
		now = now.Add(5 * time.Minute)
		if err := db.FinishJob(ctx, id, store.JobOutcome{State: ml.JobSucceeded, CPUSeconds: cpu, WallSeconds: cpu, Rows: 1800, Rounds: 100}, nil, nil, nil, false); err != nil {
			t.Fatal(err)
		}
	}
	suppressed := func(want string, repeats int, kinds ...string) *ml.TriggerEvent {
		t.Helper()
		ev, j := evaluate(t, r, m.ID)
		if ev == nil || ev.Outcome != ml.OutcomeSuppressed || ev.Suppressed != want || !slices.Equal(ev.Triggers, kinds) || j != nil {
			t.Fatalf("at %s want %v suppressed: %q, got %+v, job %+v", now.Format("Mon 15:04"), kinds, want, ev, j)
		}
		stored := triggers(t, db, m.ID)[0]
		if stored.ID != ev.ID || stored.Suppressed != want || stored.Repeats != repeats || stored.JobID != 0 || !stored.LastAt.Equal(now) {
			t.Fatalf("stored %+v, want %d repeats at %s", stored, repeats, now)
		}
		return ev
	}

	// Mon 02:00, 02:59: nothing due.
	for _, hm := range [][2]int{{2, 0}, {2, 59}} {
		at(2, hm[0], hm[1])
		if ev, j := evaluate(t, r, m.ID); ev != nil || j != nil {
			t.Fatalf("at %s: %+v", now.Format("15:04"), ev)
		}
	}
	// 03:00: the schedule.
	at(2, 3, 0)
	ev, j1 := evaluate(t, r, m.ID)
	checkFired(t, db, ev, j1, ml.TriggerSchedule)
	if want := `schedule: due 2026-03-02 03:00 ("0 3 * * *" in UTC, never fired, counting from the model's creation at 2026-03-02 02:00)`; ev.Reasons[0] != want {
		t.Errorf("schedule reason %q, want %q", ev.Reasons[0], want)
	}
	if ps, _ := db.FindPolicyState(ctx, m.ID); !ps.LastScheduled.Equal(now) {
		t.Errorf("last scheduled %v", ps.LastScheduled)
	}
	if ev.Reasons[1] != "volume: 0 new labels < 500" {
		t.Errorf("volume reason %q", ev.Reasons[1])
	}

	// 600 new labels while the scheduled job waits: held back, twice,
	// in one row.
	addRows(t, db, m, 2000, 2600)
	at(2, 3, 1)
	first := suppressed(fmt.Sprintf("a retrain is already queued (job %d)", j1.ID), 1, ml.TriggerVolume)
	if first.Reasons[1] != "volume: 600 new labels ≥ 500" {
		t.Errorf("volume reason %q", first.Reasons[1])
	}
	at(2, 3, 2)
	if ev := suppressed(fmt.Sprintf("a retrain is already queued (job %d)", j1.ID), 2, ml.TriggerVolume); ev.ID != first.ID || !ev.At.Equal(first.At) {
		t.Errorf("the repeat is event %d at %s, want %d at %s", ev.ID, ev.At, first.ID, first.At)
	}

	// The job ran (4 CPU-s) but made no version: the labels are still
	// new, and the cooldown from its start holds them back.
	finish(j1.ID, 4)
	at(2, 3, 10)
	suppressed("cooldown until 04:00 (last retrain 03:00, cooldown 1h0m0s)", 1, ml.TriggerVolume)
	at(2, 3, 40)
	suppressed("cooldown until 04:00 (last retrain 03:00, cooldown 1h0m0s)", 2, ml.TriggerVolume)

	// 04:00: cooled down, within budget (4 used + about 6 predicted).
	at(2, 4, 0)
	ev, j2 := evaluate(t, r, m.ID)
	checkFired(t, db, ev, j2, ml.TriggerVolume)
	finish(j2.ID, 17)

	// 05:10: 21 CPU-s used today, of 20.
	at(2, 5, 10)
	suppressed("daily budget: 21 of 20 CPU-s used", 1, ml.TriggerVolume)
	// Tuesday 05:10: today's budget is free again, the week's is not; the
	// schedule is due too, and stays due while it is held back.
	at(3, 5, 10)
	ev = suppressed("weekly budget: 21 of 20 CPU-s used", 1, ml.TriggerSchedule, ml.TriggerVolume)
	due := `schedule: due 2026-03-03 03:00 ("0 3 * * *" in UTC, last fired 2026-03-02 03:00)`
	if ev.Reasons[0] != due {
		t.Errorf("schedule reason %q, want %q", ev.Reasons[0], due)
	}
	at(3, 5, 20)
	suppressed("weekly budget: 21 of 20 CPU-s used", 2, ml.TriggerSchedule, ml.TriggerVolume)
	// A week after Monday's jobs the budget is free: the held-back
	// schedule fires, once.
	at(9, 5, 0)
	ev, j3 := evaluate(t, r, m.ID)
	checkFired(t, db, ev, j3, ml.TriggerSchedule, ml.TriggerVolume)
	if ev.Reasons[0] != due {
		t.Errorf("schedule reason %q, want %q", ev.Reasons[0], due)
	}
	if ps, _ := db.FindPolicyState(ctx, m.ID); !ps.LastScheduled.Equal(now) {
		t.Errorf("last scheduled %v, want %v", ps.LastScheduled, now)
	}
	if n := len(triggers(t, db, m.ID)); n != 7 {
		t.Errorf("%d trigger events, want 7", n)
	}
}

// The drift trigger weighs drifted features by the champion's importance
// by default. Just after Elec2's shift only vicprice, vicdemand and
// transfer drift, and the champion, trained while they were constant,
// gives them no importance: 3 of 7 features (0.43) is drift, 0.00 of the
// importance is not. A month later the prices it leans on drift too.
func TestTriggersWeightedDrift(t *testing.T) {
	ctx := context.Background()
	f, db, now, m := trainedDemo(t)
	r := newRunner(t, db, Config{})
	r.Now = func() time.Time { return *now }
	// feedUntil feeds weeks until the newest profiled window starts on
	// day, and returns the windows the next evaluation will judge.
	feedUntil := func(day string) []*monitor.WindowDrift {
		t.Helper()
		ps, err := db.FindPolicyState(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			*now = now.Add(time.Minute) // a week of data
			if _, _, err := f.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			m, _ := db.FindModelByID(ctx, m.ID)
			if _, err := r.Monitor.RunModel(ctx, m); err != nil {
				t.Fatal(err)
			}
			h, err := r.Monitor.Health(ctx, m, 26)
			if err != nil {
				t.Fatal(err)
			}
			if newest := h.Drift[len(h.Drift)-1]; time.UnixMilli(newest.Start).UTC().Format("2006-01-02") == day {
				var fresh []*monitor.WindowDrift
				for _, d := range h.Drift {
					if d.End > ps.WindowCursor {
						fresh = append(fresh, d)
					}
				}
				return fresh
			}
		}
		t.Fatalf("no window starting on %s after 20 weeks", day)
		return nil
	}
	strongest := func(ws []*monitor.WindowDrift, weighted bool) float64 {
		best := 0.0
		for _, d := range ws {
			x := d.Share
			if weighted {
				x = d.WeightedShare
			}
			best = max(best, x)
		}
		return best
	}

	m = setPolicy(t, db, m, ml.PolicyConfig{Drift: &ml.DriftTrigger{Share: 0.4}})
	feedUntil("1997-04-24")
	evaluate(t, r, m.ID) // the windows before the shift: quiet either way
	before, err := db.FindPolicyState(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	ws := feedUntil("1997-05-29")
	if s, w := strongest(ws, false), strongest(ws, true); s < 0.4 || w >= 0.4 {
		t.Fatalf("the month after the shift: drift share %.2f, weighted %.2f; want ≥ 0.4 and < 0.4", s, w)
	}
	if ev, j := evaluate(t, r, m.ID); ev != nil || j != nil {
		t.Fatalf("weighted drift fired on features the champion does not use: %+v", ev)
	}
	// The same windows judged unweighted fire: the weights made the
	// difference.
	if err := db.SavePolicyState(ctx, m.ID, before); err != nil {
		t.Fatal(err)
	}
	m = setPolicy(t, db, m, ml.PolicyConfig{Drift: &ml.DriftTrigger{Share: 0.4, Unweighted: true}})
	ev, j := evaluate(t, r, m.ID)
	checkFired(t, db, ev, j, ml.TriggerDrift)
	if want := fmt.Sprintf("drift: drift share %.2f ≥ 0.40 in the window 1997-", strongest(ws, false)); !strings.HasPrefix(ev.Reasons[0], want) {
		t.Errorf("unweighted reason %q, want it to start %q", ev.Reasons[0], want)
	}
	if _, err := r.Cancel(ctx, ml.SystemActor, j.ID); err != nil {
		t.Fatal(err)
	}

	// Three weeks on, the prices drift: weighted, it fires, and says so.
	m = setPolicy(t, db, m, ml.PolicyConfig{Drift: &ml.DriftTrigger{Share: 0.4}})
	ws = feedUntil("1997-06-19")
	ev, j = evaluate(t, r, m.ID)
	checkFired(t, db, ev, j, ml.TriggerDrift)
	reason := regexp.MustCompile(`^drift: weighted drift share (\d\.\d\d) ≥ 0\.40 in the window 1997-06-\d\d – \d\d-\d\d, the strongest of 3 \([4-7] of 7 features drifted\)$`)
	if g := reason.FindStringSubmatch(ev.Reasons[0]); g == nil || g[1] != fmt.Sprintf("%.2f", strongest(ws, true)) {
		t.Errorf("weighted reason %q; the strongest weighted share is %.2f", ev.Reasons[0], strongest(ws, true))
	}
}
