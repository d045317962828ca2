package policy

import (
	"fmt"
	"time"

	"github.com/freshet/freshet/ml"
)

// Outcomes of a Decision.
const (
	// OutcomeFired: retrain now.
	OutcomeFired = "fired"
	// OutcomeSuppressed: a retrain was wanted but dedup, cooldown or budget
	// held it back; Decision.Suppressed says which.
	OutcomeSuppressed = "suppressed"
	// OutcomeQuiet: nothing to do. Callers need not store quiet decisions.
	OutcomeQuiet = "quiet"
)

// Manual is a person's (or an API client's) request for a retrain.
type Manual struct {
	By     string
	Reason string
	// Strategy overrides the policy's strategy when it is full,
	// warm_start or online; empty or auto leaves the choice to the
	// policy.
	Strategy string
}

// State is everything Evaluate knows about a model at Now.
type State struct {
	Now time.Time
	// Manual is set when someone asked for a retrain.
	Manual *Manual

	// Pending is set when a retrain of this model is already queued or
	// running (PendingJob is its job id, 0 when unknown; PendingRunning
	// is set when it has started, so the reason says "running", not
	// "queued").
	Pending        bool
	PendingJob     int64
	PendingRunning bool

	// LastTrain is the start of the last automatic or manual training job
	// (zero: never); the cooldown counts from it.
	LastTrain time.Time
	// UpdatesSinceFull counts warm starts and online snapshots since the
	// last full retrain; HasChampion is set when the model has a champion
	// version.
	UpdatesSinceFull int
	HasChampion      bool

	// LastScheduled is when the schedule last fired (zero: never; the
	// schedule then counts from Created).
	LastScheduled time.Time
	Created       time.Time

	// Drift holds the windows profiled since the previous evaluation,
	// oldest first.
	Drift []WindowDrift
	// Decay holds the labeled windows profiled since the previous
	// evaluation, oldest first.
	Decay []WindowDecay
	// NewLabels is the labeled rows that arrived after the data the
	// champion trained on; LabelsSinceFull those after the data of the
	// last full retrain (0: taken to be NewLabels).
	NewLabels       int
	LabelsSinceFull int

	// TrainRows is the rows the next full retrain would use (after the
	// data window).
	TrainRows int
	// WarmRows is the rows a warm start would use (at most TrainRows);
	// 0 means unknown, and a quarter of TrainRows is assumed.
	WarmRows int
	// UsedDay and UsedWeek are the CPU-seconds this model's training jobs
	// used in the last 24 hours and 7 days.
	UsedDay, UsedWeek float64
	// Costs are past finished training jobs, oldest first (cost model).
	Costs []CostPoint
	// Gains are past retrains' effects, oldest first (gain model).
	Gains []GainPoint
	// Gap is the champion's baseline metric minus its recent metric, in
	// metric units (NaN when unknown), for the cost-aware trigger.
	Gap float64
	// FullRounds is the rounds a full retrain trains (0: 100); with
	// EarlyStopping set it is only their cap, and the cost of a full
	// retrain is predicted at the rounds past full retrains trained (see
	// the package documentation, "Cost model").
	FullRounds    int
	EarlyStopping bool
	// OnlineCapable is set when the model has an online learner (binary
	// task).
	OnlineCapable bool
}

// WindowDrift is one monitoring window's drift against the champion's
// reference.
type WindowDrift struct {
	Start, End time.Time
	// Share is the share of drifted features; WeightedShare the share of
	// the champion's feature importance that drifted (NaN: unknown).
	Share, WeightedShare float64
	Drifted, Features    int
	// PredictionDrift is set when the champion's scores drifted.
	PredictionDrift bool
	Rows            int
}

// WindowDecay is one monitoring window's performance against the
// champion's baseline (see ml/monitor.Perf).
type WindowDecay struct {
	Start, End time.Time
	// Metric is the primary metric's name, e.g. "auc".
	Metric string
	// Drop is Baseline − Value (positive: worse); PValue its one-sided
	// p-value; Significant as ml/monitor decides it.
	Baseline, Value, Drop, PValue float64
	Significant                   bool
	// Alarms names the streaming detectors that fired in the window.
	Alarms  []string
	Labeled int
}

// Decision is the outcome of Evaluate, with the reasons a person reads.
type Decision struct {
	// Outcome is OutcomeFired, OutcomeSuppressed or OutcomeQuiet.
	Outcome string
	// Fired lists the triggers (ml.Trigger*) whose own condition held, in
	// the order manual, schedule, drift, decay, volume, cost_aware. It may
	// be non-empty on a quiet decision when the combination (all,
	// at_least) was not met.
	Fired []string
	// Reasons has one line per trigger evaluated, fired or not, in the same
	// order, then a "combine:" line for all and at_least.
	Reasons []string
	// Suppressed says why a wanted retrain is held back.
	Suppressed string
	// Strategy (ml.Strategy*) and StrategyWhy are set unless quiet.
	Strategy    string
	StrategyWhy string
	// Priority is the policy's queue priority; 1 for manual requests.
	Priority int
	// Cost is the predicted CPU-seconds of Strategy (unless quiet).
	Cost CostEstimate
	// Gain is the expected gain, set only when the policy has a
	// cost-aware trigger: for Strategy, or on a quiet decision for the
	// strategy the cost-aware trigger preferred.
	Gain *GainEstimate
	// NextSchedule is the schedule's first time after Now (zero without a
	// schedule).
	NextSchedule time.Time
}

// verdict is one trigger's evaluation.
type verdict struct {
	kind   string
	fired  bool
	reason string
}

// Evaluate decides whether the model is retrained now; see the package
// documentation for the rules. It depends only on its arguments.
func Evaluate(cfg ml.PolicyConfig, s State) Decision {
	cfg = cfg.WithDefaults()
	loc := cfg.Location()
	d := Decision{Outcome: OutcomeQuiet, Priority: cfg.Priority, NextSchedule: cfg.NextRun(s.Now)}

	var auto []verdict
	if cfg.Schedule != "" {
		auto = append(auto, evalSchedule(cfg, s, loc))
	}
	if cfg.Drift != nil {
		auto = append(auto, evalDrift(*cfg.Drift, s.Drift, loc))
	}
	if cfg.Decay != nil {
		auto = append(auto, evalDecay(*cfg.Decay, s.Decay, loc))
	}
	if cfg.Volume != nil {
		auto = append(auto, evalVolume(*cfg.Volume, s.NewLabels))
	}
	var ca *costAware
	if cfg.CostAware != nil {
		ca = evalCostAware(cfg, s)
		auto = append(auto, ca.verdict)
	}

	fired := map[string]bool{}
	if s.Manual != nil {
		fired[ml.TriggerManual] = true
		d.Fired = append(d.Fired, ml.TriggerManual)
		d.Reasons = append(d.Reasons, manualReason(*s.Manual))
	}
	n := 0
	for _, v := range auto {
		d.Reasons = append(d.Reasons, v.reason)
		if v.fired {
			fired[v.kind] = true
			d.Fired = append(d.Fired, v.kind)
			n++
		}
	}
	met, line := combine(cfg, len(auto), n)
	if line != "" {
		d.Reasons = append(d.Reasons, line)
	}
	if !met && s.Manual == nil {
		if ca != nil {
			g := ca.gain(ca.pick.strategy)
			d.Gain = &g
		}
		return d
	}

	d.Strategy, d.StrategyWhy = chooseStrategy(cfg, s, fired, ca)
	d.Cost = estimate(cfg, s, d.Strategy)
	if ca != nil {
		g := ca.gain(d.Strategy)
		d.Gain = &g
	}
	if s.Manual != nil {
		d.Priority = 1
	}
	d.Outcome = OutcomeFired
	if why := suppress(cfg, s, d.Cost, loc); why != "" {
		d.Outcome, d.Suppressed = OutcomeSuppressed, why
	}
	return d
}

// combine says whether n of total automatic triggers firing meets the
// policy's rule, with a line for the reasons when the rule is not "any".
func combine(cfg ml.PolicyConfig, total, n int) (bool, string) {
	if total == 0 {
		return false, ""
	}
	switch cfg.Combine {
	case ml.CombineAll:
		return n == total, fmt.Sprintf("combine: %d of %d automatic triggers fired, all needed", n, total)
	case ml.CombineAtLeast:
		need := max(cfg.AtLeast, 1)
		return n >= need, fmt.Sprintf("combine: %d of %d automatic triggers fired, at least %d needed", n, total, need)
	}
	return n > 0, ""
}

// requester names who asked for a retrain.
func requester(m Manual) string {
	if m.By == "" {
		return "hand"
	}
	return m.By
}

func manualReason(m Manual) string {
	s := "manual: requested by " + requester(m)
	if m.Reason != "" {
		s += fmt.Sprintf(" (%q)", m.Reason)
	}
	return s + " — cooldown and budget do not apply to a person's request"
}

// suppress is why a wanted retrain is held back, "" when it is not.
func suppress(cfg ml.PolicyConfig, s State, cost CostEstimate, loc *time.Location) string {
	if s.Pending {
		state := "queued"
		if s.PendingRunning {
			state = "running"
		}
		if s.PendingJob != 0 {
			return fmt.Sprintf("a retrain is already %s (job %d)", state, s.PendingJob)
		}
		return "a retrain is already " + state
	}
	if s.Manual != nil {
		return ""
	}
	if cd := cfg.CooldownDuration(); cd > 0 && !s.LastTrain.IsZero() && s.Now.Before(s.LastTrain.Add(cd)) {
		return fmt.Sprintf("cooldown until %s (last retrain %s, cooldown %s)",
			clock(s.LastTrain.Add(cd), s.Now, loc), clock(s.LastTrain, s.Now, loc), cd)
	}
	budgets := []struct {
		name        string
		used, limit float64
	}{{"daily", s.UsedDay, cfg.DailyCPU}, {"weekly", s.UsedWeek, cfg.WeeklyCPU}}
	for _, b := range budgets {
		if b.limit > 0 && b.used >= b.limit {
			return fmt.Sprintf("%s budget: %s of %s CPU-s used", b.name, num(b.used), num(b.limit))
		}
	}
	for _, b := range budgets {
		if b.limit > 0 && b.used+cost.CPUSeconds > b.limit {
			return fmt.Sprintf("would exceed the %s budget: %s used + %s predicted > %s",
				b.name, num(b.used), num(cost.CPUSeconds), num(b.limit))
		}
	}
	return ""
}

// fixedStrategy is whether s names a strategy rather than leaving the
// choice to the rules.
func fixedStrategy(s string) bool {
	return s == ml.StrategyFull || s == ml.StrategyWarmStart || s == ml.StrategyOnline
}

// chooseStrategy is the update strategy and why.
func chooseStrategy(cfg ml.PolicyConfig, s State, fired map[string]bool, ca *costAware) (string, string) {
	want, source := cfg.Strategy, "the policy's strategy"
	if m := s.Manual; m != nil && fixedStrategy(m.Strategy) {
		want, source = m.Strategy, "asked for by "+requester(*m)
	}
	switch want {
	case ml.StrategyFull:
		return ml.StrategyFull, "full: " + source
	case ml.StrategyWarmStart:
		if !s.HasChampion {
			return ml.StrategyFull, "full: a warm start needs a champion to start from and there is none yet"
		}
		return ml.StrategyWarmStart, "warm start: " + source
	case ml.StrategyOnline:
		if !s.OnlineCapable {
			return ml.StrategyFull, "full: online updates need an online-capable (binary) model"
		}
		return ml.StrategyOnline, "online: " + source
	}

	// auto
	if !s.HasChampion {
		return ml.StrategyFull, "full: no champion yet"
	}
	if s.Manual != nil {
		return ml.StrategyFull, "full: requested by " + requester(*s.Manual)
	}
	var strong []string
	for _, k := range []string{ml.TriggerSchedule, ml.TriggerDrift, ml.TriggerDecay} {
		if fired[k] {
			strong = append(strong, k)
		}
	}
	if len(strong) > 0 {
		return ml.StrategyFull, "full: " + join(strong) + " fired"
	}
	if next := s.UpdatesSinceFull + 1; next >= cfg.FullEvery {
		return ml.StrategyFull, fmt.Sprintf("full: %s update since the last full retrain, full every %d", ordinal(next), cfg.FullEvery)
	}
	why := fmt.Sprintf("%s since the last full retrain, full every %d", plural(s.UpdatesSinceFull, "update", "updates"), cfg.FullEvery)
	if ca != nil && ca.fired && len(ca.cands) == 2 {
		full, warm := ca.cands[0], ca.cands[1]
		if ca.pick.strategy == ml.StrategyFull {
			return ml.StrategyFull, fmt.Sprintf("full: cost-aware: a warm start would not pay for itself (%s ≤ %s CPU-s) and a full retrain does (%s > %s CPU-s) (%s)",
				num(warm.value), num(warm.cost.CPUSeconds), num(full.value), num(full.cost.CPUSeconds), why)
		}
		return ml.StrategyWarmStart, fmt.Sprintf("warm start: %s; cost-aware: the cheapest update that pays for itself (%s > %s CPU-s)",
			why, num(warm.value), num(warm.cost.CPUSeconds))
	}
	return ml.StrategyWarmStart, "warm start: " + why
}
