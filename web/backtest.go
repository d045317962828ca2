package web

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/backtest"
)

// Element ids of the backtest pages.
const (
	IDBacktestsList = "backtests-list"
	IDBacktestLive  = "backtest-live"
	IDBacktestAUC   = "backtest-auc"
)

// BacktestForm is the start-a-backtest form as typed, with a message per
// bad field.
type BacktestForm struct {
	Batch, Policies, Rounds, Window, Alpha string
	Errors                                 map[string]string
}

// Err is the field's problem, "" when none.
func (f BacktestForm) Err(field string) string { return f.Errors[field] }

// BacktestsView is a model's backtests page.
type BacktestsView struct {
	Nav
	Model     *ml.Model
	Form      BacktestForm
	Backtests []*ml.Backtest
	Flash     *Flash
	Now       time.Time
	// MinRows is the fewest labeled rows a backtest needs.
	MinRows int
}

// Live reports whether a backtest in the list is queued or running.
func (v BacktestsView) Live() bool {
	for _, b := range v.Backtests {
		if !b.Done() {
			return true
		}
	}
	return false
}

// BacktestView is one backtest's page.
type BacktestView struct {
	Nav
	B      *ml.Backtest
	Report *backtest.Report // nil until it succeeded
	Flash  *Flash
	Now    time.Time
}

// BacktestApplyView confirms applying a replayed policy to the model.
type BacktestApplyView struct {
	Nav
	B          *ml.Backtest
	Result     *backtest.Result
	Model      *ml.Model
	Now, After ml.PolicyConfig
}

// BacktestURL is a backtest's page.
func BacktestURL(b *ml.Backtest) string { return fmt.Sprintf("/backtests/%d", b.ID) }

// ApplyURL is the confirmation page of applying a backtest's policy.
func ApplyURL(b *ml.Backtest, policy string) string {
	return fmt.Sprintf("/backtests/%d/apply?policy=%s", b.ID, url.QueryEscape(policy))
}

// BacktestPct is a backtest's progress as a bar width (0..100).
func BacktestPct(b *ml.Backtest) string {
	p := b.Progress.Frac()
	if b.State == ml.JobSucceeded {
		p = 1
	}
	return strconv.FormatFloat(100*p, 'f', 0, 64)
}

// BacktestPhase says what a running backtest is doing.
func BacktestPhase(b *ml.Backtest) string {
	p, n := b.Progress, len(b.Settings.Policies)
	switch {
	case b.State == ml.JobQueued:
		return "waiting for a training slot"
	case p.Total == 0 || n == 0:
		return "loading the labeled rows and training the first model"
	}
	per := max(1, p.Total/n)
	i := min(n, p.Done/per+1)
	return fmt.Sprintf("replaying %s (policy %d of %d) · %s of %s batches", p.Policy, i, n, Int(p.Done), Int(p.Total))
}

// SettingsText is a backtest's settings in a line.
func SettingsText(s ml.BacktestSettings) string {
	return fmt.Sprintf("%s-row batches · %d policies · %d rounds · %s-row window · α %g", Int(s.Batch), len(s.Policies), s.Rounds, Int(s.Window), s.Alpha)
}

// Num4 formats a metric with four decimals, "–" for NaN.
func Num4(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return strconv.FormatFloat(x, 'f', 4, 64)
}

// Rel formats a cost relative to retraining after every batch: "12.5%".
func Rel(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	if x > 0 && x < 0.001 {
		return "< 0.1%"
	}
	return strconv.FormatFloat(100*x, 'f', 1, 64) + "%"
}

// PresetHelp is one line of the policy legend.
type PresetHelp struct{ Name, Text string }

// Presets is the short legend of the policy presets a backtest takes.
var Presets = []PresetHelp{
	{"never", "the first model only"},
	{"every:K", "a full retrain after every K-th batch"},
	{"drift[:S]", "a full retrain when the batch drifted (weighted share ≥ S, 0.5)"},
	{"decay", "a full retrain on a significant drop or a detector alarm"},
	{"volume:N", "a full retrain every N new labels"},
	{"warm[:R]", "R warm-start trees (5) on the newest batch after every batch"},
	{"online", "the online learner; a snapshot after every batch"},
	{"hybrid:K[:R]", "warm starts after every batch, a full retrain every K updates"},
	{"cost_aware[:V]", "a warm start or full retrain when the expected gain is worth its cost"},
	{"…@rows=N", "a policy's own data window: @rows=N, @days=D, @halflife=D, @expanding, @drift_aware"},
}

// IsRecommended reports whether r is the report's recommendation.
func (v BacktestView) IsRecommended(r *backtest.Result) bool {
	return v.Report != nil && r.Name == v.Report.Recommended
}

// Recommended is the recommended result, nil when none.
func (v BacktestView) Recommended() *backtest.Result {
	if v.Report == nil {
		return nil
	}
	for _, r := range v.Report.Results {
		if r.Name == v.Report.Recommended {
			return r
		}
	}
	return nil
}

// periodic reports whether r is a full retrain every K batches, and K.
func periodic(r *backtest.Result) (int, bool) {
	name, _, _ := strings.Cut(r.Name, "@")
	k, ok := strings.CutPrefix(name, "every:")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(k)
	return n, err == nil
}

// DefaultShown are the policies the metric-over-time chart shows first:
// the recommended one, every:1, never and the best periodic schedule
// (by C_α at the run's α) other than every:1.
func DefaultShown(rep *backtest.Report) []string {
	var out []string
	add := func(name string) {
		for _, n := range out {
			if n == name {
				return
			}
		}
		out = append(out, name)
	}
	if rep.Recommended != "" {
		add(rep.Recommended)
	}
	var best *backtest.Result
	for _, r := range rep.Results {
		name, _, _ := strings.Cut(r.Name, "@")
		if name == "every:1" || name == "never" {
			add(r.Name)
		}
		if k, ok := periodic(r); ok && k > 1 && !math.IsNaN(r.MeanAUC) {
			if best == nil || backtest.CAlpha(r.MeanAUC, r.RelCost, rep.Alpha) > backtest.CAlpha(best.MeanAUC, best.RelCost, rep.Alpha) {
				best = r
			}
		}
	}
	if best != nil {
		add(best.Name)
	}
	if len(out) == 0 && len(rep.Results) > 0 {
		out = append(out, rep.Results[0].Name)
	}
	return out
}

// Shown reports whether the chart shows policy name at first.
func Shown(rep *backtest.Report, name string) bool {
	for _, n := range DefaultShown(rep) {
		if n == name {
			return true
		}
	}
	return false
}

// FrontierJSON is the frontier chart's data: one point per policy (cost
// relative to every batch, mean AUC), the Pareto front and the
// recommendation.
func FrontierJSON(rep *backtest.Report) string {
	type point struct {
		Name   string   `json:"name"`
		Cost   float64  `json:"cost"`
		AUC    *float64 `json:"auc"`
		Pareto bool     `json:"pareto"`
		Rec    bool     `json:"rec"`
	}
	pts := []point{}
	for _, r := range rep.Results {
		if math.IsNaN(r.MeanAUC) || math.IsNaN(r.RelCost) {
			continue
		}
		pts = append(pts, point{r.Name, r.RelCost, ml.Finite(r.MeanAUC), r.Pareto, r.Name == rep.Recommended})
	}
	b, _ := json.Marshal(pts)
	return string(b)
}

// SeriesJSON is the metric-over-time chart's data: the batches' end
// times (unix seconds) and, per policy, each batch's AUC and what the
// policy did after it ("full", "cheap" or "").
func SeriesJSON(rep *backtest.Report) string {
	type series struct {
		Name string     `json:"name"`
		AUC  []*float64 `json:"auc"`
		Upd  []string   `json:"upd"`
		Show bool       `json:"show"`
		Rec  bool       `json:"rec,omitempty"`
	}
	out := struct {
		T        []float64 `json:"t"`
		Policies []series  `json:"policies"`
	}{T: []float64{}, Policies: []series{}}
	shown := DefaultShown(rep)
	for i, r := range rep.Results {
		if i == 0 {
			for _, b := range r.Batches {
				out.T = append(out.T, float64(b.End)/1000)
			}
		}
		s := series{Name: r.Name, AUC: make([]*float64, len(out.T)), Upd: make([]string, len(out.T)), Rec: r.Name == rep.Recommended}
		for j, b := range r.Batches {
			if j >= len(out.T) {
				break
			}
			s.AUC[j] = ml.Finite(b.AUC)
			switch b.Update {
			case "":
			case ml.StrategyFull:
				s.Upd[j] = "full"
			default:
				s.Upd[j] = "cheap"
			}
		}
		for _, n := range shown {
			s.Show = s.Show || n == r.Name
		}
		out.Policies = append(out.Policies, s)
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// KeptText lists what applying a replayed policy leaves as it is.
func KeptText(p ml.PolicyConfig) string {
	p = p.WithDefaults()
	cooldown := strings.NewReplacer("h0m0s", "h", "m0s", "m").Replace(p.CooldownDuration().String())
	parts := []string{"cooldown " + cooldown, "priority " + strconv.Itoa(p.Priority)}
	budget := func(name string, x float64) string {
		if x <= 0 {
			return name + " no cap"
		}
		return name + " " + CPUs(x)
	}
	parts = append(parts, budget("daily budget", p.DailyCPU), budget("weekly budget", p.WeeklyCPU))
	tz := p.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	parts = append(parts, "time zone "+tz, "data validation", fmt.Sprintf("%.0f%% held out for the gate", 100*p.Window.HoldoutFrac))
	return strings.Join(parts, ", ")
}

// PolicyRules are a policy's triggers, update and window in words.
func PolicyRules(p ml.PolicyConfig) (triggers, update, window string) {
	d := p.WithDefaults()
	return capital(p.Describe()), capital(strategyRule(d)), capital(windowRule(d.Window))
}
