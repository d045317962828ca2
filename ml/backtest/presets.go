package backtest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/freshet/freshet/ml"
)

// DefaultPolicies is what a backtest replays when not told: the
// baselines, the single triggers, the cheap updates and the cost-aware
// default.
const DefaultPolicies = "never,every:1,every:2,every:4,every:6,every:8,every:12,drift,decay,warm,online,hybrid:8,cost_aware"

// Default settings of the presets.
const (
	// DefaultWarmRounds is the trees a preset's warm start adds.
	DefaultWarmRounds = 5
	// DefaultFullEvery is how many updates a hybrid or cost-aware preset
	// makes between full retrains.
	DefaultFullEvery = 8
)

// ParsePolicies reads a comma-separated list of presets, each with an
// optional data window after "@":
//
//	never            no retrain after the first model
//	every:K          a full retrain after every K-th batch
//	drift[:S]        a full retrain when a batch's weighted drift share reaches S (0.5)
//	decay            a full retrain on a significant drop or a detector alarm
//	volume:N         a full retrain every N new labels
//	warm[:R]         R warm-start trees (5) on the newest batch after every batch
//	online           the online learner, a snapshot after every batch
//	hybrid:K[:R]     R warm-start trees after every batch, a full retrain every K updates
//	cost_aware[:V]   the cost-aware trigger, a point of the metric on one batch
//	                 worth V CPU-seconds (default: what C_α at the run's α
//	                 charges, see Run), choosing between full retrains and
//	                 warm starts, a full retrain at least every 8 updates
//
// Windows: @expanding, @rows=N, @days=D, @halflife=D, @drift_aware; the
// default is def. batch and period are the replay's batch (rows, or a
// time period when rows is 0).
func ParsePolicies(list string, batch int, period time.Duration, def ml.DataWindow) ([]Policy, error) {
	var out []Policy
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p, err := parsePolicy(item, batch, period, def)
		if err != nil {
			return nil, ml.Errorf(ml.EINVALID, "policy %q: %v", item, err)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, ml.Errorf(ml.EINVALID, "no policies in %q", list)
	}
	return out, nil
}

func parsePolicy(item string, batch int, period time.Duration, w ml.DataWindow) (Policy, error) {
	spec, win, hasWin := strings.Cut(item, "@")
	if hasWin {
		var err error
		if w, err = parseWindow(win); err != nil {
			return Policy{}, err
		}
	}
	name, args, _ := strings.Cut(spec, ":")
	var nums []float64
	if args != "" {
		for _, a := range strings.Split(args, ":") {
			v, err := strconv.ParseFloat(a, 64)
			if err != nil || v <= 0 {
				return Policy{}, fmt.Errorf("%q is not a positive number", a)
			}
			nums = append(nums, v)
		}
	}
	arg := func(i int, def float64) float64 {
		if i < len(nums) {
			return nums[i]
		}
		return def
	}
	maxArgs := map[string]int{"never": 0, "every": 1, "drift": 1, "decay": 0, "volume": 1, "warm": 1, "online": 0, "hybrid": 2, "cost_aware": 1}
	n, ok := maxArgs[name]
	if !ok {
		return Policy{}, fmt.Errorf("unknown policy %q: use never, every:K, drift, decay, volume:N, warm, online, hybrid:K or cost_aware", name)
	}
	if len(nums) > n || ((name == "every" || name == "volume" || name == "hybrid") && len(nums) == 0) {
		return Policy{}, fmt.Errorf("%s takes %d number(s)", name, n)
	}
	for _, v := range nums {
		switch {
		case name == "drift" && v > 1:
			return Policy{}, fmt.Errorf("a drift share is at most 1, not %g", v)
		case name == "cost_aware" && v > 1e9:
			return Policy{}, fmt.Errorf("%g CPU-s per point is too many", v)
		case name != "drift" && name != "cost_aware" && (v != math.Trunc(v) || v > 1e6):
			return Policy{}, fmt.Errorf("%g: give a whole number up to 1,000,000", v)
		}
	}
	if batch > 0 && (name == "every" || name == "hybrid") && nums[0]*float64(batch) > 1e9 {
		return Policy{}, fmt.Errorf("%g batches of %d rows are too many labels", nums[0], batch)
	}
	// Every policy decides after every batch; cooldowns and budgets are
	// off unless a preset needs them.
	c := ml.PolicyConfig{Cooldown: "0s", Window: w, Strategy: ml.StrategyFull}
	everyBatch := func() {
		if batch > 0 {
			c.Volume = &ml.VolumeTrigger{Labels: batch}
		} else {
			c.Volume = &ml.VolumeTrigger{Labels: 1}
		}
	}
	var settings string
	switch name {
	case "never":
		settings = "no retrain after the first model"
	case "every":
		k := int(arg(0, 1))
		if batch > 0 {
			c.Volume = &ml.VolumeTrigger{Labels: k * batch}
		} else {
			c.Volume = &ml.VolumeTrigger{Labels: 1}
			c.Cooldown = (time.Duration(k)*period - time.Millisecond).String()
		}
		settings = fmt.Sprintf("a full retrain after every %s", plural(k, "batch", "batches"))
	case "drift":
		c.Drift = &ml.DriftTrigger{Share: arg(0, 0.5)}
		settings = fmt.Sprintf("a full retrain when a batch's weighted drift share reaches %g", c.Drift.Share)
	case "decay":
		c.Decay = &ml.DecayTrigger{}
		settings = "a full retrain on a significant drop of the metric or a detector alarm"
	case "volume":
		c.Volume = &ml.VolumeTrigger{Labels: int(arg(0, 1))}
		settings = fmt.Sprintf("a full retrain every %d new labels", c.Volume.Labels)
	case "warm":
		everyBatch()
		c.Strategy, c.WarmRounds = ml.StrategyWarmStart, int(arg(0, DefaultWarmRounds))
		settings = fmt.Sprintf("%d warm-start trees on the newest batch after every batch", c.WarmRounds)
	case "online":
		everyBatch()
		c.Strategy = ml.StrategyOnline
		settings = "the online learner (FTRL) learns every row; a snapshot serves after every batch"
	case "hybrid":
		everyBatch()
		c.Strategy, c.FullEvery, c.WarmRounds = ml.StrategyAuto, int(arg(0, DefaultFullEvery)), int(arg(1, DefaultWarmRounds))
		settings = fmt.Sprintf("%d warm-start trees after every batch, a full retrain every %d updates", c.WarmRounds, c.FullEvery)
	case "cost_aware":
		c.CostAware = &ml.CostAwareTrigger{ValuePerPoint: arg(0, 0)}
		c.Strategy, c.FullEvery, c.WarmRounds = ml.StrategyAuto, DefaultFullEvery, DefaultWarmRounds
		// A safety net: an update at least every FullEvery batches, so a
		// run of unlucky measurements cannot silence the policy for good.
		if batch > 0 {
			c.Volume = &ml.VolumeTrigger{Labels: DefaultFullEvery * batch}
		}
		value := "{value}"
		if len(nums) > 0 {
			value = fmt.Sprintf("%g", nums[0])
		}
		settings = fmt.Sprintf("the cost-aware trigger (a point of the metric on one batch is worth %s CPU-s): %d-tree warm starts or full retrains when the expected gain is worth the predicted cost, a full retrain at least every %d updates",
			value, c.WarmRounds, c.FullEvery)
	}
	name = spec // as written, so that every:4 and cost_aware:0.5 are told apart
	if hasWin {
		name += "@" + win
	}
	return Policy{Name: name, Settings: settings + "; " + describeWindow(w), Config: c}, nil
}

func parseWindow(s string) (ml.DataWindow, error) {
	key, val, _ := strings.Cut(s, "=")
	num := func() (float64, error) {
		v, err := strconv.ParseFloat(val, 64)
		if err != nil || v <= 0 {
			return 0, fmt.Errorf("window %q: %q is not a positive number", s, val)
		}
		return v, nil
	}
	switch key {
	case "expanding":
		return ml.DataWindow{Kind: ml.WindowExpanding}, nil
	case "drift_aware":
		return ml.DataWindow{Kind: ml.WindowDriftAware}, nil
	case "rows":
		v, err := num()
		return ml.DataWindow{Kind: ml.WindowSlidingRows, Rows: int(v)}, err
	case "days":
		v, err := num()
		return ml.DataWindow{Kind: ml.WindowSlidingDays, Days: v}, err
	case "halflife":
		v, err := num()
		return ml.DataWindow{Kind: ml.WindowRecencyWeighted, HalfLifeDays: v}, err
	}
	return ml.DataWindow{}, fmt.Errorf("window %q: use expanding, rows=N, days=D, halflife=D or drift_aware", s)
}

func describeWindow(w ml.DataWindow) string {
	switch w.Kind {
	case ml.WindowSlidingRows:
		return fmt.Sprintf("the newest %d rows", w.Rows)
	case ml.WindowSlidingDays:
		return fmt.Sprintf("the last %g days", w.Days)
	case ml.WindowRecencyWeighted:
		return fmt.Sprintf("all rows, weighted with a half-life of %g days", w.HalfLifeDays)
	case ml.WindowDriftAware:
		return "the rows since the last change point"
	}
	return "all rows so far"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf("%d %s", n, many)
}
