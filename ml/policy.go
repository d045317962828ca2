package ml

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Update strategies a policy may choose.
const (
	StrategyAuto      = "auto"
	StrategyFull      = "full"
	StrategyWarmStart = "warm_start"
	StrategyOnline    = "online"
)

// How a policy combines its triggers.
const (
	CombineAny     = "any"
	CombineAll     = "all"
	CombineAtLeast = "at_least"
)

// Trigger kinds, as trigger events name them.
const (
	TriggerSchedule  = "schedule"
	TriggerDrift     = "drift"
	TriggerDecay     = "decay"
	TriggerVolume    = "volume"
	TriggerManual    = "manual"
	TriggerCostAware = "cost_aware"
)

// Data-window rules.
const (
	WindowExpanding       = "expanding"
	WindowSlidingRows     = "sliding_rows"
	WindowSlidingDays     = "sliding_days"
	WindowDriftAware      = "drift_aware"
	WindowRecencyWeighted = "recency_weighted"
)

// CronParser parses a policy's schedule: five fields (minute hour
// day-of-month month day-of-week) or a descriptor such as @daily.
var CronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// PolicyConfig says when a model is retrained, how, and on what data.
// Zero fields take the defaults documented on each; a model without any
// trigger is retrained only by hand.
type PolicyConfig struct {
	// Combine is how the automatic triggers combine: "any" (default),
	// "all", or "at_least" AtLeast of them. Manual requests always fire.
	Combine string `json:"combine,omitempty"`
	AtLeast int    `json:"at_least,omitempty"`

	// Schedule is a cron expression in TimeZone (IANA name, default UTC).
	Schedule string `json:"schedule,omitempty"`
	TimeZone string `json:"time_zone,omitempty"`

	Drift     *DriftTrigger     `json:"drift,omitempty"`
	Decay     *DecayTrigger     `json:"decay,omitempty"`
	Volume    *VolumeTrigger    `json:"volume,omitempty"`
	CostAware *CostAwareTrigger `json:"cost_aware,omitempty"`

	// Cooldown is the least time between automatic retrains, as a Go
	// duration (default 1h).
	Cooldown string `json:"cooldown,omitempty"`
	// Priority orders the training queue: 1 (first) to 4 (default 2).
	Priority int `json:"priority,omitempty"`
	// DailyCPU and WeeklyCPU cap the CPU-seconds the model's training
	// jobs may use in any 24 hours and any 7 days (0: no cap).
	DailyCPU  float64 `json:"daily_cpu_seconds,omitempty"`
	WeeklyCPU float64 `json:"weekly_cpu_seconds,omitempty"`

	// Strategy is the update: "auto" (default: a warm start between full
	// retrains, a full retrain on drift, decay, schedule or by hand, and
	// at least every FullEvery updates), "full", "warm_start" or
	// "online".
	Strategy  string `json:"strategy,omitempty"`
	FullEvery int    `json:"full_every,omitempty"` // default 8
	// WarmRounds is how many trees a warm start adds (default 10).
	WarmRounds int `json:"warm_rounds,omitempty"`
	// OnlineEvery is how many labels the online learner takes between
	// snapshots that become candidate versions (default 500).
	OnlineEvery int `json:"online_every,omitempty"`

	Window     DataWindow       `json:"window"`
	Validation ValidationConfig `json:"validation"`

	// Alpha weighs training cost against the metric when policies are
	// compared (C_α = mean AUC − α × cost relative to a full retrain after
	// every batch): what a backtest recommends for this model. 0 means
	// DefaultAlpha.
	Alpha float64 `json:"alpha,omitempty"`
}

// DefaultAlpha is a policy's weight of training cost when none is set.
const DefaultAlpha = 0.01

// AlphaOrDefault is the policy's α, DefaultAlpha when unset.
func (p PolicyConfig) AlphaOrDefault() float64 {
	if p.Alpha > 0 {
		return p.Alpha
	}
	return DefaultAlpha
}

// DriftTrigger fires when a newly profiled window's share of drifted
// features reaches Share (default: the monitor's drift share, 0.5),
// weighted by the champion's feature importance unless Unweighted, or
// when the champion's scores drift and Prediction is set.
type DriftTrigger struct {
	Share      float64 `json:"share,omitempty"`
	Unweighted bool    `json:"unweighted,omitempty"`
	Prediction bool    `json:"prediction,omitempty"`
}

// DecayTrigger fires when a window's primary metric dropped
// significantly below the champion's baseline (see ml/monitor), or when
// one of Detectors (adwin, page_hinkley, ddm, kswin; empty: any) alarmed
// on the error stream, unless SignificantOnly.
type DecayTrigger struct {
	Detectors       []string `json:"detectors,omitempty"`
	SignificantOnly bool     `json:"significant_only,omitempty"`
	// MinLabeled is the fewest labeled rows a window needs to count
	// (default 100).
	MinLabeled int `json:"min_labeled,omitempty"`
}

// VolumeTrigger fires when Labels new labeled rows arrived since the
// data the champion was trained on.
type VolumeTrigger struct {
	Labels int `json:"labels"`
}

// CostAwareTrigger fires when the expected metric gain of retraining
// now, in points (0.01 of the metric), times ValuePerPoint (CPU-seconds
// one point is worth) exceeds the predicted CPU-seconds.
type CostAwareTrigger struct {
	ValuePerPoint float64 `json:"value_per_point"`
}

// DataWindow is the rule choosing the rows a retrain learns from. The
// newest HoldoutFrac of the window's labeled rows (default 0.1) is held
// out: never trained on, it is where champion and challenger are
// compared.
type DataWindow struct {
	// Kind: expanding (default), sliding_rows, sliding_days,
	// drift_aware or recency_weighted.
	Kind string  `json:"kind,omitempty"`
	Rows int     `json:"rows,omitempty"` // sliding_rows
	Days float64 `json:"days,omitempty"` // sliding_days
	// HalfLifeDays weighs a row by 0.5^(age/half-life) (recency_weighted).
	HalfLifeDays float64 `json:"half_life_days,omitempty"`
	// MinRows is the fewest rows a window may have (default 200); a
	// narrower rule is widened back to it.
	MinRows     int     `json:"min_rows,omitempty"`
	HoldoutFrac float64 `json:"holdout_frac,omitempty"`
}

// ValidationConfig bounds the checks run on a window before training.
type ValidationConfig struct {
	// MaxMissing is the highest missing-value rate a feature may have
	// beyond its reference rate (default 0.3).
	MaxMissing float64 `json:"max_missing,omitempty"`
	// MaxOutOfRange is the highest share of a numeric feature's values
	// outside the reference range, widened by 10% each side (default 0.5).
	MaxOutOfRange float64 `json:"max_out_of_range,omitempty"`
	// MinMinority is the smallest share the rarest class may have
	// (default 0.01).
	MinMinority float64 `json:"min_minority,omitempty"`
}

// Defaults.
const (
	DefaultCooldown    = time.Hour
	DefaultPriority    = 2
	DefaultFullEvery   = 8
	DefaultWarmRounds  = 10
	DefaultOnlineEvery = 500
	DefaultMinRows     = 200
	DefaultHoldoutFrac = 0.1
)

// CooldownDuration is the policy's cooldown.
func (p PolicyConfig) CooldownDuration() time.Duration {
	d, err := time.ParseDuration(p.Cooldown)
	if err != nil || p.Cooldown == "" {
		return DefaultCooldown
	}
	return d
}

// Location is the schedule's time zone.
func (p PolicyConfig) Location() *time.Location {
	if p.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// NextRun is the schedule's first time after t (zero without a schedule).
func (p PolicyConfig) NextRun(t time.Time) time.Time {
	if p.Schedule == "" {
		return time.Time{}
	}
	s, err := CronParser.Parse(p.Schedule)
	if err != nil {
		return time.Time{}
	}
	return s.Next(t.In(p.Location()))
}

// Automatic reports whether any automatic trigger is set.
func (p PolicyConfig) Automatic() bool {
	return p.Schedule != "" || p.Drift != nil || p.Decay != nil || p.Volume != nil || p.CostAware != nil
}

// WithDefaults fills zero fields.
func (p PolicyConfig) WithDefaults() PolicyConfig {
	if p.Combine == "" {
		p.Combine = CombineAny
	}
	if p.Priority == 0 {
		p.Priority = DefaultPriority
	}
	if p.Strategy == "" {
		p.Strategy = StrategyAuto
	}
	if p.FullEvery == 0 {
		p.FullEvery = DefaultFullEvery
	}
	if p.WarmRounds == 0 {
		p.WarmRounds = DefaultWarmRounds
	}
	if p.OnlineEvery == 0 {
		p.OnlineEvery = DefaultOnlineEvery
	}
	if p.Window.Kind == "" {
		p.Window.Kind = WindowExpanding
	}
	if p.Window.MinRows == 0 {
		p.Window.MinRows = DefaultMinRows
	}
	if p.Window.HoldoutFrac == 0 {
		p.Window.HoldoutFrac = DefaultHoldoutFrac
	}
	if p.Validation.MaxMissing == 0 {
		p.Validation.MaxMissing = 0.3
	}
	if p.Validation.MaxOutOfRange == 0 {
		p.Validation.MaxOutOfRange = 0.5
	}
	if p.Validation.MinMinority == 0 {
		p.Validation.MinMinority = 0.01
	}
	if p.Decay != nil && p.Decay.MinLabeled == 0 {
		d := *p.Decay
		d.MinLabeled = 100
		p.Decay = &d
	}
	return p
}

var detectorNames = map[string]bool{"adwin": true, "page_hinkley": true, "ddm": true, "kswin": true}

// Validate checks a policy for a model of task; the error names the
// field.
func (p PolicyConfig) Validate(task Task) error { return p.validate(task) }

// validate checks a policy; the error names the field.
func (p PolicyConfig) validate(task Task) error {
	bad := func(format string, args ...any) error { return Errorf(EINVALID, "policy "+format, args...) }
	switch p.Combine {
	case "", CombineAny, CombineAll:
	case CombineAtLeast:
		if p.AtLeast < 1 {
			return bad("at_least %d: with combine \"at_least\" give at_least ≥ 1", p.AtLeast)
		}
	default:
		return bad("combine %q: use any, all or at_least", p.Combine)
	}
	if p.TimeZone != "" {
		if _, err := time.LoadLocation(p.TimeZone); err != nil {
			return bad("time_zone %q: not an IANA time zone name such as Europe/Paris", p.TimeZone)
		}
	}
	if p.Schedule != "" {
		if _, err := CronParser.Parse(p.Schedule); err != nil {
			return bad("schedule %q: %v (use five fields, e.g. \"0 3 * * *\" for 03:00 daily, or @daily)", p.Schedule, err)
		}
	}
	if d := p.Drift; d != nil && (d.Share < 0 || d.Share > 1) {
		return bad("drift.share %v: use a number between 0 and 1", d.Share)
	}
	if d := p.Decay; d != nil {
		for _, n := range d.Detectors {
			if !detectorNames[n] {
				return bad("decay.detectors %q: use adwin, page_hinkley, ddm or kswin", n)
			}
		}
		if d.MinLabeled < 0 {
			return bad("decay.min_labeled %d: use a positive count", d.MinLabeled)
		}
	}
	if v := p.Volume; v != nil && (v.Labels < 1 || v.Labels > 1e9) {
		return bad("volume.labels %d: use 1 to 1,000,000,000 labels", v.Labels)
	}
	if c := p.CostAware; c != nil && (c.ValuePerPoint <= 0 || c.ValuePerPoint > 1e9) {
		return bad("cost_aware.value_per_point %v: give the CPU-seconds one point of the metric is worth (> 0)", c.ValuePerPoint)
	}
	if p.Cooldown != "" {
		if d, err := time.ParseDuration(p.Cooldown); err != nil || d < 0 || d > 90*24*time.Hour {
			return bad("cooldown %q: use a Go duration such as 30m or 6h, at most 90 days", p.Cooldown)
		}
	}
	if p.Alpha < 0 || p.Alpha > 1 {
		return bad("alpha %v: use a weight between 0 and 1 (0.01 by default)", p.Alpha)
	}
	if p.Priority < 0 || p.Priority > 4 {
		return bad("priority %d: use 1 (first) to 4", p.Priority)
	}
	if p.DailyCPU < 0 || p.WeeklyCPU < 0 {
		return bad("budget: CPU-seconds cannot be negative")
	}
	switch p.Strategy {
	case "", StrategyAuto, StrategyFull, StrategyWarmStart:
	case StrategyOnline:
		if task != TaskBinary {
			return bad("strategy online: only binary models have an online learner")
		}
	default:
		return bad("strategy %q: use auto, full, warm_start or online", p.Strategy)
	}
	if p.FullEvery < 0 || p.FullEvery > 10000 || p.WarmRounds < 0 || p.WarmRounds > 1000 || p.OnlineEvery < 0 || p.OnlineEvery > 1e7 {
		return bad("full_every 0..10000, warm_rounds 0..1000, online_every 0..10,000,000")
	}
	w := p.Window
	switch w.Kind {
	case "", WindowExpanding, WindowDriftAware:
	case WindowSlidingRows:
		if w.Rows < 1 {
			return bad("window.rows %d: a sliding_rows window needs rows ≥ 1", w.Rows)
		}
	case WindowSlidingDays:
		if w.Days <= 0 {
			return bad("window.days %v: a sliding_days window needs days > 0", w.Days)
		}
	case WindowRecencyWeighted:
		if w.HalfLifeDays <= 0 {
			return bad("window.half_life_days %v: a recency_weighted window needs a half-life > 0", w.HalfLifeDays)
		}
	default:
		return bad("window.kind %q: use expanding, sliding_rows, sliding_days, drift_aware or recency_weighted", w.Kind)
	}
	if w.Rows < 0 || w.Days < 0 || w.HalfLifeDays < 0 || w.MinRows < 0 {
		return bad("window: sizes cannot be negative")
	}
	if w.HoldoutFrac < 0 || w.HoldoutFrac >= 0.9 {
		return bad("window.holdout_frac %v: use 0 to 0.9", w.HoldoutFrac)
	}
	v := p.Validation
	for name, x := range map[string]float64{"max_missing": v.MaxMissing, "max_out_of_range": v.MaxOutOfRange, "min_minority": v.MinMinority} {
		if x < 0 || x > 1 {
			return bad("validation.%s %v: use a number between 0 and 1", name, x)
		}
	}
	return nil
}

// Describe is the policy in a sentence, for pages.
func (p PolicyConfig) Describe() string {
	if !p.Automatic() {
		return "retrained by hand only"
	}
	p = p.WithDefaults()
	var parts []string
	if p.Schedule != "" {
		parts = append(parts, fmt.Sprintf("on schedule %q", p.Schedule))
	}
	if p.Drift != nil {
		parts = append(parts, "on drift")
	}
	if p.Decay != nil {
		parts = append(parts, "on decay")
	}
	if p.Volume != nil {
		parts = append(parts, "every "+thousands(p.Volume.Labels)+" new labels")
	}
	if p.CostAware != nil {
		parts = append(parts, "when the gain is worth the cost")
	}
	s := "retrain "
	for i, x := range parts {
		switch {
		case i == 0:
		case i == len(parts)-1 && p.Combine == CombineAll:
			s += " and "
		case i == len(parts)-1:
			s += " or "
		default:
			s += ", "
		}
		s += x
	}
	return s
}

// thousands writes n with thousands separators: 12,345.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
