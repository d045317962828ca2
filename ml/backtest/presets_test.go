package backtest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/backtest"
)

func TestParsePolicies(t *testing.T) {
	t.Parallel()
	def := ml.DataWindow{Kind: ml.WindowSlidingRows, Rows: 4704}
	ps, err := backtest.ParsePolicies(backtest.DefaultPolicies+",volume:1000,every:2@days=30,cost_aware:0.5", 336, 0, def)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]backtest.Policy{}
	for _, p := range ps {
		if err := p.Config.Validate(ml.TaskBinary); err != nil && p.Config.CostAware == nil {
			t.Errorf("%s: %v", p.Name, err)
		}
		byName[p.Name] = p
	}
	if p := byName["every:4"]; p.Config.Volume.Labels != 4*336 || p.Config.Strategy != ml.StrategyFull || p.Config.Window != def {
		t.Errorf("every:4: %+v", p.Config)
	}
	if p := byName["hybrid:8"]; p.Config.Strategy != ml.StrategyAuto || p.Config.FullEvery != 8 || p.Config.WarmRounds != 5 || p.Config.Volume.Labels != 336 {
		t.Errorf("hybrid: %+v", p.Config)
	}
	if p := byName["every:2@days=30"]; p.Config.Window.Kind != ml.WindowSlidingDays || p.Config.Window.Days != 30 || !strings.Contains(p.Settings, "the last 30 days") {
		t.Errorf("window: %+v %q", p.Config.Window, p.Settings)
	}
	if p := byName["cost_aware:0.5"]; p.Config.CostAware.ValuePerPoint != 0.5 || p.Config.Volume.Labels != 8*336 {
		t.Errorf("cost_aware: %+v", p.Config)
	}
	// Time batches: every K periods is a cooldown just short of K periods.
	ps, err = backtest.ParsePolicies("every:3", 0, 7*24*time.Hour, def)
	if err != nil || ps[0].Config.CooldownDuration() != 3*7*24*time.Hour-time.Millisecond {
		t.Errorf("every:3 by time: %+v %v", ps, err)
	}
	for _, bad := range []string{"", "sometimes", "every:2.5", "every:1e12", "drift:2", "volume:1e300", "every", "every:0", "every:x", "never:3", "hybrid:1:2:3", "every:2@weeks=3", "every:2@rows=-1", "drift:0.5:1"} {
		if _, err := backtest.ParsePolicies(bad, 336, 0, def); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParsePolicies(f *testing.F) {
	for _, s := range []string{backtest.DefaultPolicies, "every:3@rows=100", "cost_aware:2@halflife=3", "hybrid:4:10,,", "drift:0.3@drift_aware"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		ps, err := backtest.ParsePolicies(list, 336, 0, ml.DataWindow{})
		if err != nil {
			if msg := ml.ErrorMessage(err); !strings.HasPrefix(msg, "policy ") && !strings.HasPrefix(msg, "no policies") {
				t.Fatalf("unclear error %q", msg)
			}
			return
		}
		for _, p := range ps {
			if p.Name == "" || p.Settings == "" {
				t.Fatalf("%q: empty name or settings: %+v", list, p)
			}
			if p.Config.CostAware == nil || p.Config.CostAware.ValuePerPoint > 0 {
				if err := p.Config.Validate(ml.TaskBinary); err != nil {
					t.Fatalf("%q: %s does not validate: %v", list, p.Name, err)
				}
			}
		}
	})
}
