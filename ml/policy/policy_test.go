package policy_test

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Paris without the system's zoneinfo

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/policy"
)

var now = time.Date(2026, 3, 9, 13, 50, 0, 0, time.UTC)

func day(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }

// base is a model with a champion, trained long ago, nothing pending.
func base() policy.State {
	return policy.State{
		Now:         now,
		HasChampion: true,
		LastTrain:   now.Add(-48 * time.Hour),
		Created:     day(1),
		TrainRows:   10000,
		Gap:         math.NaN(),
	}
}

type scenario struct {
	name     string
	cfg      ml.PolicyConfig
	state    func(*policy.State)
	outcome  string
	fired    []string
	reasons  []string // exact, when set
	strategy string   // when set
	why      string   // exact StrategyWhy, when set
	supp     string   // exact Suppressed
}

func run(t *testing.T, cases []scenario) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := base()
			if tc.state != nil {
				tc.state(&s)
			}
			d := policy.Evaluate(tc.cfg, s)
			if d.Outcome != tc.outcome {
				t.Errorf("outcome %q, want %q (reasons %q, suppressed %q)", d.Outcome, tc.outcome, d.Reasons, d.Suppressed)
			}
			if !slices.Equal(d.Fired, tc.fired) {
				t.Errorf("fired %q, want %q", d.Fired, tc.fired)
			}
			if tc.reasons != nil && !slices.Equal(d.Reasons, tc.reasons) {
				t.Errorf("reasons\n got %q\nwant %q", d.Reasons, tc.reasons)
			}
			if tc.strategy != "" && d.Strategy != tc.strategy {
				t.Errorf("strategy %q (%s), want %q", d.Strategy, d.StrategyWhy, tc.strategy)
			}
			if tc.why != "" && d.StrategyWhy != tc.why {
				t.Errorf("strategy why\n got %q\nwant %q", d.StrategyWhy, tc.why)
			}
			if d.Suppressed != tc.supp {
				t.Errorf("suppressed %q, want %q", d.Suppressed, tc.supp)
			}
			if d.Outcome == policy.OutcomeQuiet && (d.Strategy != "" || d.Cost.CPUSeconds != 0) {
				t.Errorf("quiet decision has strategy %q cost %v", d.Strategy, d.Cost)
			}
			if d.Outcome != policy.OutcomeQuiet && (d.Strategy == "" || d.StrategyWhy == "" || d.Cost.Basis == "") {
				t.Errorf("decision without strategy or cost: %+v", d)
			}
		})
	}
}

func TestDrift(t *testing.T) {
	t.Parallel()
	drift := ml.PolicyConfig{Drift: &ml.DriftTrigger{}}
	w := func(ws, s float64) policy.WindowDrift {
		return policy.WindowDrift{Start: day(2), End: day(9), WeightedShare: ws, Share: s, Drifted: 5, Features: 12, Rows: 4000}
	}
	run(t, []scenario{
		{
			name: "weighted share fires", cfg: drift,
			state:   func(s *policy.State) { s.Drift = []policy.WindowDrift{w(0.62, 0.42)} },
			outcome: policy.OutcomeFired, fired: []string{ml.TriggerDrift},
			reasons:  []string{"drift: weighted drift share 0.62 ≥ 0.50 in the window 2026-03-02 – 03-09 (5 of 12 features drifted)"},
			strategy: ml.StrategyFull, why: "full: drift fired",
		},
		{
			name: "weighted share below threshold, strongest of two", cfg: drift,
			state: func(s *policy.State) {
				a, b := w(0.31, 0.6), w(0.12, 0.7)
				b.Start, b.End = day(9), time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
				s.Drift = []policy.WindowDrift{a, b}
			},
			outcome: policy.OutcomeQuiet,
			reasons: []string{"drift: weighted drift share 0.31 < 0.50 in the window 2026-03-02 – 03-09, the strongest of 2 (5 of 12 features drifted)"},
		},
		{
			name: "configured share", cfg: ml.PolicyConfig{Drift: &ml.DriftTrigger{Share: 0.3}},
			state:   func(s *policy.State) { s.Drift = []policy.WindowDrift{w(0.31, 0.6)} },
			outcome: policy.OutcomeFired, fired: []string{ml.TriggerDrift},
			reasons: []string{"drift: weighted drift share 0.31 ≥ 0.30 in the window 2026-03-02 – 03-09 (5 of 12 features drifted)"},
		},
		{
			name: "unweighted", cfg: ml.PolicyConfig{Drift: &ml.DriftTrigger{Unweighted: true}},
			state:   func(s *policy.State) { s.Drift = []policy.WindowDrift{w(0.1, 0.55)} },
			outcome: policy.OutcomeFired, fired: []string{ml.TriggerDrift},
			reasons: []string{"drift: drift share 0.55 ≥ 0.50 in the window 2026-03-02 – 03-09 (5 of 12 features drifted)"},
		},
		{
			name: "unknown weighted share falls back to the share", cfg: drift,
			state:   func(s *policy.State) { s.Drift = []policy.WindowDrift{w(math.NaN(), 0.45)} },
			outcome: policy.OutcomeQuiet,
			reasons: []string{"drift: drift share 0.45 < 0.50 in the window 2026-03-02 – 03-09 (5 of 12 features drifted)"},
		},
		{
			name: "zero weighted share is taken at its word", cfg: drift,
			state:   func(s *policy.State) { s.Drift = []policy.WindowDrift{w(0, 0.9)} },
			outcome: policy.OutcomeQuiet,
		},
		{
			name: "prediction drift", cfg: ml.PolicyConfig{Drift: &ml.DriftTrigger{Prediction: true}},
			state: func(s *policy.State) {
				x := w(0.2, 0.2)
				x.PredictionDrift = true
				s.Drift = []policy.WindowDrift{x}
			},
			outcome: policy.OutcomeFired, fired: []string{ml.TriggerDrift},
			reasons: []string{"drift: the champion's scores drifted in the window 2026-03-02 – 03-09 (weighted drift share 0.20 < 0.50)"},
		},
		{
			name: "prediction drift ignored unless asked for", cfg: drift,
			state: func(s *policy.State) {
				x := w(0.2, 0.2)
				x.PredictionDrift = true
				s.Drift = []policy.WindowDrift{x}
			},
			outcome: policy.OutcomeQuiet,
		},
		{
			name: "no window", cfg: drift, outcome: policy.OutcomeQuiet,
			reasons: []string{"drift: no window profiled since the last evaluation"},
		},
	})
}

func TestDecay(t *testing.T) {
	t.Parallel()
	w := func(drop, p float64, sig bool, labeled int, alarms ...string) policy.WindowDecay {
		return policy.WindowDecay{Start: day(2), End: day(9), Metric: "auc", Baseline: 0.912, Value: 0.912 - drop,
			Drop: drop, PValue: p, Significant: sig, Labeled: labeled, Alarms: alarms}
	}
	decay := ml.PolicyConfig{Decay: &ml.DecayTrigger{}}
	run(t, []scenario{
		{
			name: "significant drop", cfg: decay,
			state:   func(s *policy.State) { s.Decay = []policy.WindowDecay{w(0.041, 0.003, true, 1240)} },
			outcome: policy.OutcomeFired, fired: []string{ml.TriggerDecay},
			reasons:  []string{"decay: auc 0.912 → 0.871 (drop 0.041, p = 0.003) significant in the window 2026-03-02 – 03-09, 1,240 labels"},
			strategy: ml.StrategyFull, why: "full: decay fired",
		},
		{
			name: "not significant", cfg: decay,
			state:   func(s *policy.State) { s.Decay = []policy.WindowDecay{w(0.007, 0.31, false, 1240)} },
			outcome: policy.OutcomeQuiet,
			reasons: []string{"decay: auc 0.912 → 0.905 (drop 0.007, p = 0.31) not significant in the window 2026-03-02 – 03-09, 1,240 labels"},
		},
		{
			name: "any detector's alarm", cfg: decay,
			state:   func(s *policy.State) { s.Decay = []policy.WindowDecay{w(0.012, 0.21, false, 800, "adwin")} },
			outcome: policy.OutcomeFired, fired: []string{ml.TriggerDecay},
			reasons: []string{"decay: adwin alarmed on the error stream in the window 2026-03-02 – 03-09, 800 labels; auc 0.912 → 0.900 (drop 0.012, p = 0.21) not significant"},
		},
		{
			name: "alarm of a detector not listened to", cfg: ml.PolicyConfig{Decay: &ml.DecayTrigger{Detectors: []string{"adwin"}}},
			state:   func(s *policy.State) { s.Decay = []policy.WindowDecay{w(0.012, 0.21, false, 800, "ddm")} },
			outcome: policy.OutcomeQuiet,
			reasons: []string{"decay: auc 0.912 → 0.900 (drop 0.012, p = 0.21) not significant in the window 2026-03-02 – 03-09, 800 labels; ddm alarmed, but the policy listens to adwin only"},
		},
		{
			name: "significant only", cfg: ml.PolicyConfig{Decay: &ml.DecayTrigger{SignificantOnly: true}},
			state:   func(s *policy.State) { s.Decay = []policy.WindowDecay{w(0.012, 0.0004, false, 800, "adwin", "kswin")} },
			outcome: policy.OutcomeQuiet,
			reasons: []string{"decay: auc 0.912 → 0.900 (drop 0.012, p < 0.001) not significant in the window 2026-03-02 – 03-09, 800 labels; adwin and kswin alarmed, but only significant drops count"},
		},
		{
			name: "too few labels", cfg: decay,
			state:   func(s *policy.State) { s.Decay = []policy.WindowDecay{w(0.2, 0.001, true, 99)} },
			outcome: policy.OutcomeQuiet,
			reasons: []string{"decay: no window with at least 100 labels since the last evaluation (1 window with fewer)"},
		},
		{
			name: "worst significant window of several", cfg: decay,
			state: func(s *policy.State) {
				s.Decay = []policy.WindowDecay{w(0.05, 0.01, true, 500), w(0.08, 0.001, true, 500), w(0.001, 0.4, false, 500)}
			},
			outcome: policy.OutcomeFired, fired: []string{ml.TriggerDecay},
			reasons: []string{"decay: auc 0.912 → 0.832 (drop 0.080, p = 0.001) significant in the window 2026-03-02 – 03-09, the worst of 3, 500 labels"},
		},
	})
}

func TestVolumeScheduleManual(t *testing.T) {
	t.Parallel()
	volume := ml.PolicyConfig{Volume: &ml.VolumeTrigger{Labels: 2000}}
	sched := ml.PolicyConfig{Schedule: "0 3 * * *"}
	run(t, []scenario{
		{
			name: "volume below", cfg: volume, outcome: policy.OutcomeQuiet,
			state:   func(s *policy.State) { s.NewLabels = 1240 },
			reasons: []string{"volume: 1,240 new labels < 2,000"},
		},
		{
			name: "volume reached", cfg: volume,
			state:   func(s *policy.State) { s.NewLabels = 2000; s.UpdatesSinceFull = 3 },
			outcome: policy.OutcomeFired, fired: []string{ml.TriggerVolume},
			reasons:  []string{"volume: 2,000 new labels ≥ 2,000"},
			strategy: ml.StrategyWarmStart, why: "warm start: 3 updates since the last full retrain, full every 8",
		},
		{
			name: "schedule due", cfg: sched,
			state:   func(s *policy.State) { s.LastScheduled = time.Date(2026, 3, 8, 3, 0, 0, 0, time.UTC) },
			outcome: policy.OutcomeFired, fired: []string{ml.TriggerSchedule},
			reasons:  []string{`schedule: due 2026-03-09 03:00 ("0 3 * * *" in UTC, last fired 2026-03-08 03:00)`},
			strategy: ml.StrategyFull, why: "full: schedule fired",
		},
		{
			name: "schedule not due", cfg: sched, outcome: policy.OutcomeQuiet,
			state:   func(s *policy.State) { s.LastScheduled = time.Date(2026, 3, 9, 3, 0, 0, 0, time.UTC) },
			reasons: []string{`schedule: next 2026-03-10 03:00 ("0 3 * * *" in UTC, last fired 2026-03-09 03:00)`},
		},
		{
			name: "schedule counts from creation", cfg: sched, outcome: policy.OutcomeQuiet,
			state:   func(s *policy.State) { s.Created = time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC) },
			reasons: []string{`schedule: next 2026-03-10 03:00 ("0 3 * * *" in UTC, never fired, counting from the model's creation at 2026-03-09 10:00)`},
		},
		{
			name: "manual", outcome: policy.OutcomeFired, fired: []string{ml.TriggerManual},
			state:    func(s *policy.State) { s.Manual = &policy.Manual{By: "lee"} },
			reasons:  []string{"manual: requested by lee — cooldown and budget do not apply to a person's request"},
			strategy: ml.StrategyFull, why: "full: requested by lee",
		},
		{
			name: "manual with a reason, by the API", outcome: policy.OutcomeFired, fired: []string{ml.TriggerManual},
			state:   func(s *policy.State) { s.Manual = &policy.Manual{Reason: "schema fix"} },
			reasons: []string{`manual: requested by hand ("schema fix") — cooldown and budget do not apply to a person's request`},
		},
		{name: "no trigger at all", outcome: policy.OutcomeQuiet},
	})
}

func TestCombine(t *testing.T) {
	t.Parallel()
	cfg := func(combine string, atLeast int) ml.PolicyConfig {
		return ml.PolicyConfig{Combine: combine, AtLeast: atLeast, Drift: &ml.DriftTrigger{},
			Volume: &ml.VolumeTrigger{Labels: 100}, Decay: &ml.DecayTrigger{}}
	}
	// Drift and volume fire, decay does not.
	two := func(s *policy.State) {
		s.Drift = []policy.WindowDrift{{Start: day(8), End: day(9), WeightedShare: 0.7, Share: 0.7}}
		s.NewLabels = 150
	}
	both := []string{ml.TriggerDrift, ml.TriggerVolume}
	reasons := func(last string) []string {
		r := []string{
			"drift: weighted drift share 0.70 ≥ 0.50 in the window 2026-03-08 – 03-09",
			"decay: no window with at least 100 labels since the last evaluation",
			"volume: 150 new labels ≥ 100",
		}
		if last != "" {
			r = append(r, last)
		}
		return r
	}
	run(t, []scenario{
		{name: "any", cfg: cfg("", 0), state: two, outcome: policy.OutcomeFired, fired: both, reasons: reasons("")},
		{name: "any, one is enough", cfg: cfg(ml.CombineAny, 0), outcome: policy.OutcomeFired, fired: []string{ml.TriggerVolume},
			state: func(s *policy.State) { s.NewLabels = 150 }},
		{name: "all, not met", cfg: cfg(ml.CombineAll, 0), state: two, outcome: policy.OutcomeQuiet, fired: both,
			reasons: reasons("combine: 2 of 3 automatic triggers fired, all needed")},
		{name: "all, met", cfg: ml.PolicyConfig{Combine: ml.CombineAll, Drift: &ml.DriftTrigger{}, Volume: &ml.VolumeTrigger{Labels: 100}},
			state: two, outcome: policy.OutcomeFired, fired: both},
		{name: "at least 2, met", cfg: cfg(ml.CombineAtLeast, 2), state: two, outcome: policy.OutcomeFired, fired: both,
			reasons: reasons("combine: 2 of 3 automatic triggers fired, at least 2 needed")},
		{name: "at least 3, not met", cfg: cfg(ml.CombineAtLeast, 3), state: two, outcome: policy.OutcomeQuiet, fired: both,
			reasons: reasons("combine: 2 of 3 automatic triggers fired, at least 3 needed")},
		{name: "manual fires whatever the combination", cfg: cfg(ml.CombineAll, 0), outcome: policy.OutcomeFired,
			state: func(s *policy.State) { s.Manual = &policy.Manual{By: "lee"} }, fired: []string{ml.TriggerManual},
			reasons: []string{
				"manual: requested by lee — cooldown and budget do not apply to a person's request",
				"drift: no window profiled since the last evaluation",
				"decay: no window with at least 100 labels since the last evaluation",
				"volume: 0 new labels < 100",
				"combine: 0 of 3 automatic triggers fired, all needed",
			}},
	})
}

func TestSuppression(t *testing.T) {
	t.Parallel()
	volume := ml.PolicyConfig{Volume: &ml.VolumeTrigger{Labels: 100}}
	fire := func(s *policy.State) { s.NewLabels = 500 }
	budget := func(day, week float64) ml.PolicyConfig {
		c := volume
		c.DailyCPU, c.WeeklyCPU = day, week
		return c
	}
	run(t, []scenario{
		{
			name: "dedup", cfg: volume, outcome: policy.OutcomeSuppressed, fired: []string{ml.TriggerVolume},
			state: func(s *policy.State) { fire(s); s.Pending, s.PendingJob = true, 42 },
			supp:  "a retrain is already queued (job 42)", strategy: ml.StrategyWarmStart,
		},
		{
			name: "dedup applies to manual", outcome: policy.OutcomeSuppressed, fired: []string{ml.TriggerManual},
			state: func(s *policy.State) { s.Manual = &policy.Manual{By: "lee"}; s.Pending, s.PendingJob = true, 42 },
			supp:  "a retrain is already queued (job 42)",
		},
		{
			name: "dedup without a job id", cfg: volume, outcome: policy.OutcomeSuppressed, fired: []string{ml.TriggerVolume},
			state: func(s *policy.State) { fire(s); s.Pending = true },
			supp:  "a retrain is already queued",
		},
		{
			name: "dedup while the job runs", cfg: volume, outcome: policy.OutcomeSuppressed, fired: []string{ml.TriggerVolume},
			state: func(s *policy.State) { fire(s); s.Pending, s.PendingJob, s.PendingRunning = true, 42, true },
			supp:  "a retrain is already running (job 42)", strategy: ml.StrategyWarmStart,
		},
		{
			name: "dedup while a job without an id runs", outcome: policy.OutcomeSuppressed, fired: []string{ml.TriggerManual},
			state: func(s *policy.State) { s.Manual = &policy.Manual{By: "lee"}; s.Pending, s.PendingRunning = true, true },
			supp:  "a retrain is already running",
		},
		{
			name: "cooldown", cfg: volume, outcome: policy.OutcomeSuppressed, fired: []string{ml.TriggerVolume},
			state: func(s *policy.State) { fire(s); s.LastTrain = time.Date(2026, 3, 9, 13, 20, 0, 0, time.UTC) },
			supp:  "cooldown until 14:20 (last retrain 13:20, cooldown 1h0m0s)",
		},
		{
			name: "cooldown across midnight, configured", outcome: policy.OutcomeSuppressed, fired: []string{ml.TriggerVolume},
			cfg:   ml.PolicyConfig{Volume: &ml.VolumeTrigger{Labels: 100}, Cooldown: "24h"},
			state: func(s *policy.State) { fire(s); s.LastTrain = time.Date(2026, 3, 8, 22, 0, 0, 0, time.UTC) },
			supp:  "cooldown until 22:00 (last retrain 2026-03-08 22:00, cooldown 24h0m0s)",
		},
		{
			name: "cooldown over", cfg: volume, outcome: policy.OutcomeFired, fired: []string{ml.TriggerVolume},
			state: func(s *policy.State) { fire(s); s.LastTrain = time.Date(2026, 3, 9, 12, 50, 0, 0, time.UTC) },
		},
		{
			name: "manual skips cooldown and budget", cfg: budget(1800, 1800), outcome: policy.OutcomeFired,
			fired: []string{ml.TriggerManual},
			state: func(s *policy.State) {
				s.Manual = &policy.Manual{By: "lee"}
				s.LastTrain = now.Add(-time.Minute)
				s.UsedDay, s.UsedWeek = 5000, 5000
			},
			reasons: []string{
				"manual: requested by lee — cooldown and budget do not apply to a person's request",
				"volume: 0 new labels < 100",
			},
		},
		{
			name: "daily budget used", cfg: budget(1800, 0), outcome: policy.OutcomeSuppressed, fired: []string{ml.TriggerVolume},
			state: func(s *policy.State) { fire(s); s.UsedDay, s.UsedWeek = 1830, 1830 },
			supp:  "daily budget: 1,830 of 1,800 CPU-s used",
		},
		{
			name: "weekly budget used", cfg: budget(5000, 1800), outcome: policy.OutcomeSuppressed, fired: []string{ml.TriggerVolume},
			state: func(s *policy.State) { fire(s); s.UsedDay, s.UsedWeek = 100, 1830 },
			supp:  "weekly budget: 1,830 of 1,800 CPU-s used",
		},
		{
			name: "would exceed the weekly budget", cfg: budget(5000, 1800), outcome: policy.OutcomeSuppressed, fired: []string{ml.TriggerVolume},
			state: func(s *policy.State) {
				fire(s)
				s.UsedDay, s.UsedWeek = 100, 1700
				// Warm starts cost 150 CPU-s each, whatever their size.
				s.Costs = []policy.CostPoint{{Strategy: ml.StrategyWarmStart, Rows: 2500, Rounds: 10, CPUSeconds: 150}}
				s.WarmRows = 2500
			},
			supp: "would exceed the weekly budget: 1,700 used + 150 predicted > 1,800",
		},
		{
			name: "would exceed the daily budget", cfg: budget(1800, 0), outcome: policy.OutcomeSuppressed, fired: []string{ml.TriggerVolume},
			state: func(s *policy.State) {
				fire(s)
				s.UsedDay = 1750
				s.Costs = []policy.CostPoint{{Strategy: ml.StrategyWarmStart, Rows: 2500, Rounds: 10, CPUSeconds: 60}}
			},
			supp: "would exceed the daily budget: 1,750 used + 60 predicted > 1,800",
		},
		{
			name: "within budget", cfg: budget(1800, 1800), outcome: policy.OutcomeFired, fired: []string{ml.TriggerVolume},
			state: func(s *policy.State) { fire(s); s.UsedDay, s.UsedWeek = 1000, 1700 },
		},
	})
}

func TestStrategy(t *testing.T) {
	t.Parallel()
	volume := func(strategy string) ml.PolicyConfig {
		return ml.PolicyConfig{Volume: &ml.VolumeTrigger{Labels: 1}, Strategy: strategy}
	}
	fire := func(more func(*policy.State)) func(*policy.State) {
		return func(s *policy.State) {
			s.NewLabels = 10
			if more != nil {
				more(s)
			}
		}
	}
	vol := []string{ml.TriggerVolume}
	run(t, []scenario{
		{name: "auto, no champion", cfg: volume(""), outcome: policy.OutcomeFired, fired: vol,
			state: fire(func(s *policy.State) { s.HasChampion = false }), strategy: ml.StrategyFull, why: "full: no champion yet"},
		{name: "auto, warm start", cfg: volume(ml.StrategyAuto), outcome: policy.OutcomeFired, fired: vol,
			state: fire(func(s *policy.State) { s.UpdatesSinceFull = 1 }), strategy: ml.StrategyWarmStart,
			why: "warm start: 1 update since the last full retrain, full every 8"},
		{name: "auto, full every 8", cfg: volume(""), outcome: policy.OutcomeFired, fired: vol,
			state: fire(func(s *policy.State) { s.UpdatesSinceFull = 7 }), strategy: ml.StrategyFull,
			why: "full: 8th update since the last full retrain, full every 8"},
		{name: "auto, full every 3", cfg: ml.PolicyConfig{Volume: &ml.VolumeTrigger{Labels: 1}, FullEvery: 3}, outcome: policy.OutcomeFired, fired: vol,
			state: fire(func(s *policy.State) { s.UpdatesSinceFull = 2 }), strategy: ml.StrategyFull,
			why: "full: 3rd update since the last full retrain, full every 3"},
		{name: "manual asks for a warm start", cfg: volume(""), outcome: policy.OutcomeFired, fired: []string{ml.TriggerManual},
			state:    func(s *policy.State) { s.Manual = &policy.Manual{By: "lee", Strategy: ml.StrategyWarmStart} },
			strategy: ml.StrategyWarmStart, why: "warm start: asked for by lee"},
		{name: "manual asks for auto", cfg: volume(""), outcome: policy.OutcomeFired, fired: []string{ml.TriggerManual},
			state:    func(s *policy.State) { s.Manual = &policy.Manual{By: "lee", Strategy: ml.StrategyAuto} },
			strategy: ml.StrategyFull, why: "full: requested by lee"},
		{name: "fixed full", cfg: volume(ml.StrategyFull), outcome: policy.OutcomeFired, fired: vol,
			state: fire(nil), strategy: ml.StrategyFull, why: "full: the policy's strategy"},
		{name: "fixed warm start", cfg: volume(ml.StrategyWarmStart), outcome: policy.OutcomeFired, fired: vol,
			state: fire(func(s *policy.State) { s.UpdatesSinceFull = 20 }), strategy: ml.StrategyWarmStart, why: "warm start: the policy's strategy"},
		{name: "fixed warm start without a champion", cfg: volume(ml.StrategyWarmStart), outcome: policy.OutcomeFired, fired: vol,
			state: fire(func(s *policy.State) { s.HasChampion = false }), strategy: ml.StrategyFull,
			why: "full: a warm start needs a champion to start from and there is none yet"},
		{name: "fixed online", cfg: volume(ml.StrategyOnline), outcome: policy.OutcomeFired, fired: vol,
			state: fire(func(s *policy.State) { s.OnlineCapable = true }), strategy: ml.StrategyOnline, why: "online: the policy's strategy"},
		{name: "online, not capable", cfg: volume(ml.StrategyOnline), outcome: policy.OutcomeFired, fired: vol,
			state: fire(nil), strategy: ml.StrategyFull, why: "full: online updates need an online-capable (binary) model"},
		{name: "drift and schedule mean full", outcome: policy.OutcomeFired,
			cfg:   ml.PolicyConfig{Schedule: "@daily", Drift: &ml.DriftTrigger{}, Volume: &ml.VolumeTrigger{Labels: 1}},
			fired: []string{ml.TriggerSchedule, ml.TriggerDrift, ml.TriggerVolume},
			state: fire(func(s *policy.State) {
				s.LastScheduled = day(8)
				s.Drift = []policy.WindowDrift{{Start: day(8), End: day(9), WeightedShare: 0.9}}
			}),
			strategy: ml.StrategyFull, why: "full: schedule and drift fired"},
	})
}

func TestPriority(t *testing.T) {
	t.Parallel()
	cfg := ml.PolicyConfig{Priority: 3, Volume: &ml.VolumeTrigger{Labels: 1}}
	s := base()
	s.NewLabels = 5
	if d := policy.Evaluate(cfg, s); d.Priority != 3 {
		t.Errorf("priority %d, want 3", d.Priority)
	}
	s.Manual = &policy.Manual{By: "lee"}
	if d := policy.Evaluate(cfg, s); d.Priority != 1 {
		t.Errorf("manual priority %d, want 1", d.Priority)
	}
	if d := policy.Evaluate(ml.PolicyConfig{}, base()); d.Priority != ml.DefaultPriority {
		t.Errorf("default priority %d", d.Priority)
	}
}

// TestScheduleTimeZone checks "0 3 * * *" in Europe/Paris fires at 03:00
// Paris time, on both sides of the switch to summer time (2026-03-29).
func TestScheduleTimeZone(t *testing.T) {
	t.Parallel()
	cfg := ml.PolicyConfig{Schedule: "0 3 * * *", TimeZone: "Europe/Paris"}
	utc := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, time.UTC) }
	cases := []struct {
		last, now time.Time
		fired     bool
		reason    string
		next      time.Time
	}{
		// Winter: 03:00 CET is 02:00 UTC.
		{utc(27, 2, 0), utc(28, 1, 59), false, `schedule: next 2026-03-28 03:00 ("0 3 * * *" in Europe/Paris, last fired 2026-03-27 03:00)`, utc(28, 2, 0)},
		{utc(27, 2, 0), utc(28, 2, 0), true, `schedule: due 2026-03-28 03:00 ("0 3 * * *" in Europe/Paris, last fired 2026-03-27 03:00)`, utc(29, 1, 0)},
		// Summer: 03:00 CEST is 01:00 UTC.
		{utc(28, 2, 0), utc(29, 0, 59), false, `schedule: next 2026-03-29 03:00 ("0 3 * * *" in Europe/Paris, last fired 2026-03-28 03:00)`, utc(29, 1, 0)},
		{utc(28, 2, 0), utc(29, 1, 0), true, `schedule: due 2026-03-29 03:00 ("0 3 * * *" in Europe/Paris, last fired 2026-03-28 03:00)`, utc(30, 1, 0)},
	}
	for _, c := range cases {
		s := base()
		s.Now, s.LastScheduled, s.LastTrain = c.now, c.last, time.Time{}
		d := policy.Evaluate(cfg, s)
		if got := d.Outcome == policy.OutcomeFired; got != c.fired {
			t.Errorf("now %v: fired %v, want %v (%q)", c.now, got, c.fired, d.Reasons)
		}
		if len(d.Reasons) != 1 || d.Reasons[0] != c.reason {
			t.Errorf("now %v: reasons %q, want %q", c.now, d.Reasons, c.reason)
		}
		if !d.NextSchedule.Equal(c.next) {
			t.Errorf("now %v: next schedule %v, want %v", c.now, d.NextSchedule.UTC(), c.next)
		}
	}
}

func TestFitCost(t *testing.T) {
	t.Parallel()
	const a, b = 0.31, 2.1e-6
	var exact, noisy []policy.CostPoint
	for i := 1; i <= 40; i++ {
		rows, rounds := 1000*i, 100
		x := float64(rows * rounds)
		exact = append(exact, policy.CostPoint{Strategy: ml.StrategyFull, Rows: rows, Rounds: rounds, CPUSeconds: a + b*x})
		noise := 0.05 * float64(i%3-1) // -0.05, 0, 0.05
		noisy = append(noisy, policy.CostPoint{Strategy: ml.StrategyFull, Rows: rows, Rounds: rounds, CPUSeconds: a + b*x + noise})
		// Warm starts in between must not disturb the full fit.
		exact = append(exact, policy.CostPoint{Strategy: ml.StrategyWarmStart, Rows: rows, Rounds: 10, CPUSeconds: 99})
	}
	m := policy.FitCost(exact, ml.StrategyFull)
	if m.Method != policy.CostFit || m.N != policy.MaxCostPoints || math.Abs(m.Intercept-a) > 1e-9 || math.Abs(m.Slope-b) > 1e-15 {
		t.Fatalf("exact fit: %+v", m)
	}
	if m.Basis != "fit over 30 past jobs: 0.31 s + 2.1 µs × rows×rounds" {
		t.Errorf("basis %q", m.Basis)
	}
	e := m.Predict(1e6)
	if math.Abs(e.CPUSeconds-(a+b*1e6)) > 1e-9 || math.Abs(e.High-e.Low) > 1e-6 {
		t.Errorf("exact prediction %+v", e)
	}

	n := policy.FitCost(noisy, "")
	if math.Abs(n.Intercept-a) > 0.05 || math.Abs(n.Slope-b)/b > 0.01 || n.ResidualSD < 0.03 || n.ResidualSD > 0.05 {
		t.Errorf("noisy fit: %+v", n)
	}
	e = n.Predict(1e6)
	if math.Abs(e.High-e.CPUSeconds-2*n.ResidualSD) > 1e-12 || e.Low >= e.CPUSeconds {
		t.Errorf("noisy band %+v", e)
	}

	// A negative slope falls back to the ratio of means.
	neg := []policy.CostPoint{{Rows: 100, Rounds: 1, CPUSeconds: 3}, {Rows: 200, Rounds: 1, CPUSeconds: 2}, {Rows: 300, Rounds: 1, CPUSeconds: 1}}
	r := policy.FitCost(neg, ml.StrategyFull)
	if r.Method != policy.CostRatio || r.Intercept != 0 || math.Abs(r.Slope-2.0/200) > 1e-15 {
		t.Errorf("ratio fallback: %+v", r)
	}
	if r.Basis != "ratio over 3 past jobs: 0.01 s × rows×rounds" {
		t.Errorf("ratio basis %q", r.Basis)
	}
	// A negative intercept refits through the origin.
	orig := []policy.CostPoint{{Rows: 100, Rounds: 1, CPUSeconds: 0.5}, {Rows: 200, Rounds: 1, CPUSeconds: 2}, {Rows: 300, Rounds: 1, CPUSeconds: 3.5}}
	o := policy.FitCost(orig, ml.StrategyFull)
	wantB := (100*0.5 + 200*2 + 300*3.5) / (100.0*100 + 200*200 + 300*300)
	if o.Method != policy.CostOrigin || o.Intercept != 0 || math.Abs(o.Slope-wantB) > 1e-15 {
		t.Errorf("origin fallback: %+v, want slope %v", o, wantB)
	}
	// Same-sized jobs: the ratio.
	same := []policy.CostPoint{{Rows: 100, Rounds: 10, CPUSeconds: 1}, {Rows: 100, Rounds: 10, CPUSeconds: 3}}
	if s := policy.FitCost(same, ml.StrategyFull); s.Method != policy.CostRatio || math.Abs(s.Slope-0.002) > 1e-15 {
		t.Errorf("same size: %+v", s)
	}
	// One job scales proportionally, with the wide band.
	one := policy.FitCost([]policy.CostPoint{{Strategy: ml.StrategyWarmStart, Rows: 2000, Rounds: 10, CPUSeconds: 4}}, ml.StrategyWarmStart)
	if e := one.Predict(40000); one.Method != policy.CostScaled || e.CPUSeconds != 8 || e.Low != 4 || e.High != 16 {
		t.Errorf("one point: %+v %+v", one, e)
	}
	if one.Basis != "scaled from 1 past job: 4 CPU-s for 20,000 rows×rounds" {
		t.Errorf("one basis %q", one.Basis)
	}
	// None: the default.
	def := policy.FitCost(exact, ml.StrategyOnline)
	if e := def.Predict(1e6); def.Method != policy.CostDefault || math.Abs(e.CPUSeconds-1.55) > 1e-12 || e.Low != e.CPUSeconds/2 || e.High != 2*e.CPUSeconds {
		t.Errorf("default: %+v %+v", def, e)
	}
	if def.Basis != "default: no past jobs, 0.05 s + 1.5 µs × rows×rounds" {
		t.Errorf("default basis %q", def.Basis)
	}
	// Invalid points are skipped.
	bad := []policy.CostPoint{{Rows: 0, Rounds: 10, CPUSeconds: 1}, {Rows: 10, Rounds: 10, CPUSeconds: math.NaN()}, {Rows: 10, Rounds: 10, CPUSeconds: -1}}
	if m := policy.FitCost(bad, ml.StrategyFull); m.Method != policy.CostDefault {
		t.Errorf("invalid points used: %+v", m)
	}
}

func TestFitGain(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		points []policy.GainPoint
		ratio  float64
		n      int
		basis  string
	}{
		{"default", nil, 0.7, 0, "default recovery 0.7 of the gap: no past retrains to go by"},
		{"odd median", []policy.GainPoint{{Gap: 0.04, Recovered: 0.02}, {Gap: 0.02, Recovered: 0.02}, {Gap: 0.1, Recovered: 0.08}}, 0.8, 3, "median recovery 0.8 of the gap over 3 past retrains"},
		{"even median", []policy.GainPoint{{Gap: 0.04, Recovered: 0.02}, {Gap: 0.02, Recovered: 0.02}, {Gap: 0.1, Recovered: 0.08}, {Gap: 0.05, Recovered: 0.01}}, 0.65, 4, "median recovery 0.65 of the gap over 4 past retrains"},
		{"small gaps are noise", []policy.GainPoint{{Gap: 0.004, Recovered: 0.1}, {Gap: 0.04, Recovered: 0.02}, {Gap: -0.02, Recovered: 0.01}, {Gap: 0.02, Recovered: math.NaN()}}, 0.7, 1, "default recovery 0.7 of the gap: only 1 past retrain to go by"},
		{"three valid", []policy.GainPoint{{Gap: 0.004, Recovered: 0.1}, {Gap: 0.04, Recovered: 0.02}, {Gap: 0.02, Recovered: 0.01}, {Gap: 0.1, Recovered: 0.06}, {Gap: 0.02, Recovered: math.NaN()}}, 0.5, 3, "median recovery 0.5 of the gap over 3 past retrains"},
		{"clamped high", []policy.GainPoint{{Gap: 0.01, Recovered: 0.05}, {Gap: 0.01, Recovered: 0.05}, {Gap: 0.01, Recovered: 0.05}}, 1.5, 3, "median recovery 1.5 of the gap over 3 past retrains"},
		{"clamped low", []policy.GainPoint{{Gap: 0.01, Recovered: -0.05}, {Gap: 0.01, Recovered: -0.05}, {Gap: 0.01, Recovered: -0.05}}, 0, 3, "median recovery 0 of the gap over 3 past retrains"},
	}
	for _, c := range cases {
		m := policy.FitGain(c.points)
		if math.Abs(m.Ratio-c.ratio) > 1e-12 || m.N != c.n || m.Basis != c.basis || m.Default != (c.n < policy.MinMeasured) {
			t.Errorf("%s: %+v, want ratio %v n %d basis %q", c.name, m, c.ratio, c.n, c.basis)
		}
	}
	m := policy.FitGain(nil)
	if p := m.Points(0.04, ml.StrategyFull); math.Abs(p-2.8) > 1e-12 {
		t.Errorf("full points %v", p)
	}
	if p := m.Points(0.04, ml.StrategyWarmStart); math.Abs(p-1.68) > 1e-12 {
		t.Errorf("warm points %v", p)
	}
	if m.Points(math.NaN(), ml.StrategyFull) != 0 || m.Points(-0.01, ml.StrategyFull) != 0 {
		t.Error("no gap, yet a gain")
	}
}

func TestMeasuredGain(t *testing.T) {
	t.Parallel()
	var pts []policy.GainPoint
	if _, n, ok := policy.MeasuredGain(pts, ml.StrategyFull, 100); ok || n != 0 {
		t.Fatalf("no points: n %d ok %v", n, ok)
	}
	// Ten full retrains (no strategy counts as full), newest last, each
	// after 100 new labels, then one after 200: per label 0.0001 × {1..8}
	// and 0.0009 (the newest 9 count; 0.5 and 0.6 are too old, the
	// unmeasured point and the one without labels never count).
	for _, r := range []float64{50, 60, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08} {
		pts = append(pts, policy.GainPoint{Recovered: r, Measured: true, Labels: 100})
	}
	pts = append(pts, policy.GainPoint{Recovered: 0.18, Measured: true, Labels: 200},
		policy.GainPoint{Recovered: 9, Labels: 100}, policy.GainPoint{Recovered: 9, Measured: true},
		policy.GainPoint{Recovered: 50, Strategy: ml.StrategyWarmStart, Measured: true, Labels: 100})
	// Rates 1..9 × 1e-4: mean 5e-4, sd sqrt(7.5)e-4, se sd/3.
	want := (5 + math.Sqrt(7.5)/3) * 1e-4 * 300
	if g, n, ok := policy.MeasuredGain(pts[2:], ml.StrategyFull, 300); !ok || n != 9 || math.Abs(g-want) > 1e-12 {
		t.Fatalf("full: %v over %d (%v), want %v over 9", g, n, ok, want)
	}
	if _, n, ok := policy.MeasuredGain(pts, ml.StrategyWarmStart, 100); ok || n != 1 {
		t.Fatalf("warm start: n %d ok %v, want 1 and not enough", n, ok)
	}
}

func TestCostAware(t *testing.T) {
	t.Parallel()
	cfg := func(vpp float64) ml.PolicyConfig {
		return ml.PolicyConfig{CostAware: &ml.CostAwareTrigger{ValuePerPoint: vpp}}
	}
	gap := func(g float64) func(*policy.State) {
		return func(s *policy.State) { s.Gap, s.UpdatesSinceFull = g, 2 }
	}
	// Default costs: full 0.05 + 1.5 µs × 10,000 × 100 = 1.55 CPU-s; warm
	// start 0.05 + 1.5 µs × 2,500 × 10 = 0.0875 CPU-s. Default recovery
	// 0.7: a gap of 0.04 is 2.8 points (full), 1.68 (warm start).
	run(t, []scenario{
		{
			// A full retrain's net value is higher (54.5 vs 33.5 CPU-s), but
			// the cheapest update that pays is taken.
			name: "fires, the cheaper update pays", cfg: cfg(20), state: gap(0.04),
			outcome: policy.OutcomeFired, fired: []string{ml.TriggerCostAware},
			reasons:  []string{"cost-aware: expected gain 1.68 points × 20 CPU-s/point = 33.6 CPU-s > predicted cost 0.0875 CPU-s (warm start); full retrain: 2.8 points = 56 CPU-s vs 1.55 CPU-s"},
			strategy: ml.StrategyWarmStart,
			why:      "warm start: 2 updates since the last full retrain, full every 8; cost-aware: the cheapest update that pays for itself (33.6 > 0.0875 CPU-s)",
		},
		{
			name: "fires, warm start worth more", cfg: cfg(1), state: gap(0.04),
			outcome: policy.OutcomeFired, fired: []string{ml.TriggerCostAware},
			reasons:  []string{"cost-aware: expected gain 1.68 points × 1 CPU-s/point = 1.68 CPU-s > predicted cost 0.0875 CPU-s (warm start); full retrain: 2.8 points = 2.8 CPU-s vs 1.55 CPU-s"},
			strategy: ml.StrategyWarmStart,
			why:      "warm start: 2 updates since the last full retrain, full every 8; cost-aware: the cheapest update that pays for itself (1.68 > 0.0875 CPU-s)",
		},
		{
			// Warm starts measurably won next to nothing (1e-5 each after
			// 100 labels: 0.001 points, 0.02 CPU-s); the gap says a full
			// retrain wins 2.8 points.
			name: "fires, only a full retrain pays", cfg: cfg(20),
			state: func(s *policy.State) {
				s.Gap, s.UpdatesSinceFull, s.NewLabels = 0.04, 2, 100
				for range 3 {
					s.Gains = append(s.Gains, policy.GainPoint{Recovered: 1e-5, Strategy: ml.StrategyWarmStart, Measured: true, Labels: 100})
				}
			},
			outcome: policy.OutcomeFired, fired: []string{ml.TriggerCostAware},
			reasons:  []string{"cost-aware: expected gain 2.8 points × 20 CPU-s/point = 56 CPU-s > predicted cost 1.55 CPU-s (full retrain); warm start: 0.001 points = 0.02 CPU-s vs 0.0875 CPU-s"},
			strategy: ml.StrategyFull,
			why:      "full: cost-aware: a warm start would not pay for itself (0.02 ≤ 0.0875 CPU-s) and a full retrain does (56 > 1.55 CPU-s) (2 updates since the last full retrain, full every 8)",
		},
		{
			name: "not worth it", cfg: cfg(0.1), state: gap(0.01), outcome: policy.OutcomeQuiet,
			reasons: []string{"cost-aware: expected gain 0.42 points × 0.1 CPU-s/point = 0.042 CPU-s ≤ predicted cost 0.0875 CPU-s (warm start); full retrain: 0.7 points = 0.07 CPU-s vs 1.55 CPU-s"},
		},
		{
			name: "unknown gap", cfg: cfg(1000), outcome: policy.OutcomeQuiet,
			reasons: []string{"cost-aware: the champion's recent metric gap is unknown and past updates won nothing measurable, so no gain is expected"},
		},
		{
			name: "no gap", cfg: cfg(1000), state: gap(-0.01), outcome: policy.OutcomeQuiet,
			reasons: []string{"cost-aware: no metric gap to win back (gap -0.010) and past updates won nothing measurable, so no gain is expected"},
		},
		{
			name: "no champion: only a full retrain is weighed", cfg: cfg(20),
			state:   func(s *policy.State) { s.Gap, s.HasChampion = 0.04, false },
			outcome: policy.OutcomeFired, fired: []string{ml.TriggerCostAware},
			reasons: []string{"cost-aware: expected gain 2.8 points × 20 CPU-s/point = 56 CPU-s > predicted cost 1.55 CPU-s (full retrain)"},
		},
		{
			name: "history: fitted recovery and costs", cfg: cfg(20),
			state: func(s *policy.State) {
				s.Gap, s.UpdatesSinceFull = 0.05, 7 // the next update is full anyway
				s.Gains = []policy.GainPoint{{Gap: 0.04, Recovered: 0.02}, {Gap: 0.02, Recovered: 0.02}, {Gap: 0.1, Recovered: 0.08}}
				s.Costs = []policy.CostPoint{{Rows: 5000, Rounds: 100, CPUSeconds: 30}, {Rows: 10000, Rounds: 100, CPUSeconds: 60}, {Rows: 20000, Rounds: 100, CPUSeconds: 120}}
			},
			outcome: policy.OutcomeFired, fired: []string{ml.TriggerCostAware},
			reasons: []string{"cost-aware: expected gain 4 points × 20 CPU-s/point = 80 CPU-s > predicted cost 60 CPU-s (full retrain)"},
			why:     "full: 8th update since the last full retrain, full every 8",
		},
		{
			// Three measured warm starts, each after 100 new labels, won
			// 0.02, 0.01 and 0: 1e-4 per label, + 1 standard error (1e-4
			// / sqrt 3), × 100 new labels now = 1.58 points, worth 1.58
			// CPU-s > 0.0875, though the gap says nothing; a full retrain
			// has no measurements and no gap, so 0 points.
			name: "measured gains fire without a gap", cfg: cfg(1),
			state: func(s *policy.State) {
				s.Gap, s.UpdatesSinceFull, s.NewLabels = -0.01, 2, 100
				s.Gains = []policy.GainPoint{
					{Gap: 0.01, Recovered: 0.02, Strategy: ml.StrategyWarmStart, Measured: true, Labels: 100},
					{Gap: 0.01, Recovered: 0.5, Strategy: ml.StrategyWarmStart, Labels: 100}, // not measured: ignored
					{Gap: 0.01, Recovered: 0.01, Strategy: ml.StrategyWarmStart, Measured: true, Labels: 100},
					{Gap: 0.01, Recovered: 0, Strategy: ml.StrategyWarmStart, Measured: true, Labels: 100},
				}
			},
			outcome: policy.OutcomeFired, fired: []string{ml.TriggerCostAware},
			reasons:  []string{"cost-aware: expected gain 1.58 points × 1 CPU-s/point = 1.58 CPU-s > predicted cost 0.0875 CPU-s (warm start); full retrain: 0 points = 0 CPU-s vs 1.55 CPU-s"},
			strategy: ml.StrategyWarmStart,
		},
		{
			// Measured losses with a decayed champion: the gap model speaks.
			name: "measured losses give way to the gap", cfg: cfg(20),
			state: func(s *policy.State) {
				s.Gap, s.UpdatesSinceFull, s.NewLabels, s.LabelsSinceFull = 0.04, 2, 100, 300
				for range 3 {
					s.Gains = append(s.Gains, policy.GainPoint{Recovered: -0.01, Strategy: ml.StrategyWarmStart, Measured: true, Labels: 50},
						policy.GainPoint{Recovered: -0.02, Measured: true, Labels: 50})
				}
			},
			outcome: policy.OutcomeFired, fired: []string{ml.TriggerCostAware},
			reasons:  []string{"cost-aware: expected gain 1.68 points × 20 CPU-s/point = 33.6 CPU-s > predicted cost 0.0875 CPU-s (warm start); full retrain: 2.8 points = 56 CPU-s vs 1.55 CPU-s"},
			strategy: ml.StrategyWarmStart,
		},
		{
			name: "measured losses do not fire", cfg: cfg(1000),
			state: func(s *policy.State) {
				s.Gap, s.UpdatesSinceFull, s.NewLabels, s.LabelsSinceFull = math.NaN(), 2, 100, 300
				for range 3 {
					s.Gains = append(s.Gains, policy.GainPoint{Recovered: -0.01, Strategy: ml.StrategyWarmStart, Measured: true, Labels: 50},
						policy.GainPoint{Recovered: -0.02, Measured: true, Labels: 50})
				}
			},
			outcome: policy.OutcomeQuiet,
			reasons: []string{"cost-aware: the champion's recent metric gap is unknown and past updates won nothing measurable, so no gain is expected"},
		},
	})

	s := base()
	s.Gap, s.UpdatesSinceFull = 0.04, 2
	d := policy.Evaluate(cfg(1), s)
	if d.Gain == nil || d.Gain.Strategy != ml.StrategyWarmStart || math.Abs(d.Gain.Points-1.68) > 1e-12 || math.Abs(d.Gain.Value-1.68) > 1e-12 {
		t.Fatalf("gain %+v", d.Gain)
	}
	if want := "default recovery 0.7 of the gap: no past retrains to go by; gap 0.040 × 0.7 × 100 = 2.8 points for a full retrain; a warm start is expected to win 0.6 of that: 1.68 points"; d.Gain.Basis != want {
		t.Errorf("gain basis\n got %q\nwant %q", d.Gain.Basis, want)
	}
	if d := policy.Evaluate(ml.PolicyConfig{Volume: &ml.VolumeTrigger{Labels: 1}}, s); d.Gain != nil {
		t.Errorf("gain without a cost-aware trigger: %+v", d.Gain)
	}
}

func TestCostInDecision(t *testing.T) {
	t.Parallel()
	s := base()
	s.NewLabels, s.TrainRows, s.FullRounds = 10, 20000, 200
	s.Costs = []policy.CostPoint{
		{Strategy: ml.StrategyFull, Rows: 10000, Rounds: 200, CPUSeconds: 6.1},
		{Strategy: ml.StrategyFull, Rows: 20000, Rounds: 200, CPUSeconds: 9.9},
		{Strategy: ml.StrategyFull, Rows: 40000, Rounds: 200, CPUSeconds: 18.1},
	}
	d := policy.Evaluate(ml.PolicyConfig{Volume: &ml.VolumeTrigger{Labels: 1}, Strategy: ml.StrategyFull}, s)
	m := policy.FitCost(s.Costs, ml.StrategyFull)
	if want := m.Predict(20000 * 200); d.Cost != want || d.Cost.RowsXRounds != 4e6 {
		t.Errorf("cost %+v, want %+v", d.Cost, want)
	}
	if d.Cost.Basis != "fit over 3 past jobs: 2 s + 2.01 µs × rows×rounds" || d.Cost.Low >= d.Cost.CPUSeconds || d.Cost.High <= d.Cost.CPUSeconds {
		t.Errorf("basis %q", d.Cost.Basis)
	}
	// A warm start: WarmRows × WarmRounds.
	s.WarmRows = 3000
	d = policy.Evaluate(ml.PolicyConfig{Volume: &ml.VolumeTrigger{Labels: 1}, Strategy: ml.StrategyWarmStart, WarmRounds: 20}, s)
	if d.Cost.RowsXRounds != 60000 {
		t.Errorf("warm start size %v, want 60,000", d.Cost.RowsXRounds)
	}
}

// Retrains that stop early (7 of 100 rounds on Elec2's demo) are
// predicted at the rounds they train, not at the cap: predicting at the
// cap made the demo's estimate 12× the measured cost, and the budget
// check held back retrains the budget had room for.
func TestCostEarlyStopping(t *testing.T) {
	t.Parallel()
	const a, b = 0.03, 1.4e-6
	cost := func(rows, rounds int) float64 { return a + b*float64(rows)*float64(rounds) }
	s := base()
	s.NewLabels, s.TrainRows, s.FullRounds, s.EarlyStopping = 500, 4704, 100, true
	s.UsedDay = 0.5
	for i, rounds := range []int{7, 6, 8, 7, 9} {
		rows := 4000 + 200*i
		s.Costs = append(s.Costs, policy.CostPoint{Strategy: ml.StrategyFull, Rows: rows, Rounds: rounds, CPUSeconds: cost(rows, rounds)})
	}
	// Warm starts train their configured rounds; they do not count.
	s.Costs = append(s.Costs, policy.CostPoint{Strategy: ml.StrategyWarmStart, Rows: 500, Rounds: 40, CPUSeconds: 0.05})
	cfg := ml.PolicyConfig{Volume: &ml.VolumeTrigger{Labels: 100}, Strategy: ml.StrategyFull, DailyCPU: 1}

	d := policy.Evaluate(cfg, s)
	if d.Outcome != policy.OutcomeFired || d.Cost.RowsXRounds != 4704*7 || math.Abs(d.Cost.CPUSeconds-cost(4704, 7)) > 1e-9 {
		t.Fatalf("%s (%s): cost %+v, want %.3f CPU-s for 4,704 × 7", d.Outcome, d.Suppressed, d.Cost, cost(4704, 7))
	}
	if want := "fit over 5 past jobs: 0.03 s + 1.4 µs × rows×rounds; for 4,704 rows × 7 rounds, the median of the last 5 full retrains (early stopping; at most 100)"; d.Cost.Basis != want {
		t.Errorf("basis\n got %q\nwant %q", d.Cost.Basis, want)
	}
	// At the cap the same fit predicts 14× as much, and the budget (0.5
	// of 1 CPU-s used) would hold the retrain back.
	s.EarlyStopping = false
	d = policy.Evaluate(cfg, s)
	if d.Cost.RowsXRounds != 4704*100 || d.Outcome != policy.OutcomeSuppressed || !strings.HasPrefix(d.Suppressed, "would exceed the daily budget") {
		t.Errorf("without early stopping: %s (%s), cost %+v", d.Outcome, d.Suppressed, d.Cost)
	}
	// The cap still holds: fewer rounds configured than past jobs kept.
	s.EarlyStopping, s.FullRounds = true, 5
	if d = policy.Evaluate(cfg, s); d.Cost.RowsXRounds != 4704*5 || !strings.HasSuffix(d.Cost.Basis, "4,704 rows × 5 rounds, the median of the last 5 full retrains (early stopping; at most 5)") {
		t.Errorf("capped: %+v", d.Cost)
	}
	// An even count takes the middle two's mean; one job, its own rounds.
	s.FullRounds = 100
	s.Costs = s.Costs[:4] // 7, 6, 8, 7
	if d = policy.Evaluate(cfg, s); d.Cost.RowsXRounds != 4704*7 {
		t.Errorf("median of 4: %+v", d.Cost)
	}
	s.Costs = s.Costs[:1]
	if d = policy.Evaluate(cfg, s); d.Cost.RowsXRounds != 4704*7 || !strings.HasSuffix(d.Cost.Basis, "; for 4,704 rows × 7 rounds, what the last full retrain trained (early stopping; at most 100)") {
		t.Errorf("one job: %+v", d.Cost)
	}
	// No past full retrain: the cap, as before.
	s.Costs = nil
	if d = policy.Evaluate(cfg, s); d.Cost.RowsXRounds != 4704*100 || strings.Contains(d.Cost.Basis, "; for") {
		t.Errorf("no past jobs: %+v", d.Cost)
	}
}

func TestDeterminism(t *testing.T) {
	t.Parallel()
	cfg := ml.PolicyConfig{Schedule: "@daily", Drift: &ml.DriftTrigger{}, Decay: &ml.DecayTrigger{},
		Volume: &ml.VolumeTrigger{Labels: 100}, CostAware: &ml.CostAwareTrigger{ValuePerPoint: 5}, DailyCPU: 100}
	s := base()
	s.Gap, s.NewLabels, s.UsedDay = 0.03, 120, 20
	s.Drift = []policy.WindowDrift{{Start: day(8), End: day(9), WeightedShare: 0.4, Share: 0.5}}
	s.Decay = []policy.WindowDecay{{Start: day(8), End: day(9), Metric: "accuracy", Baseline: 0.9, Value: 0.86, Drop: 0.04, PValue: 0.02, Significant: true, Labeled: 300}}
	s.Costs = []policy.CostPoint{{Rows: 1000, Rounds: 100, CPUSeconds: 2}, {Rows: 3000, Rounds: 100, CPUSeconds: 5}, {Strategy: ml.StrategyWarmStart, Rows: 500, Rounds: 10, CPUSeconds: 0.3}}
	s.Gains = []policy.GainPoint{{Gap: 0.03, Recovered: 0.02}, {Gap: 0.05, Recovered: 0.03}}
	first := policy.Evaluate(cfg, s)
	for range 20 {
		if d := policy.Evaluate(cfg, s); !reflect.DeepEqual(d, first) {
			t.Fatalf("different decisions:\n%+v\n%+v", first, d)
		}
	}
	if first.Outcome != policy.OutcomeFired || len(first.Reasons) != 5 {
		t.Errorf("decision %+v", first)
	}
}
