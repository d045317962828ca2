package policy_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/policy"
)

// A detector alarm is decay only in a window that is not better than the
// champion's baseline: on the Elec2 demo, adwin alarmed as the error
// rate rose back from two easy weeks (AUC 0.91, 0.81) in a week at
// 0.729, against a baseline of 0.659, and the policy retrained a
// champion that had never been better.
func TestDecayAlarmNeedsAWorseWindow(t *testing.T) {
	t.Parallel()
	at := time.Date(1997, 4, 30, 0, 0, 0, 0, time.UTC)
	w := func(value, baseline float64, alarms ...string) policy.WindowDecay {
		return policy.WindowDecay{Start: time.Date(1997, 4, 17, 0, 0, 0, 0, time.UTC), End: time.Date(1997, 4, 24, 0, 0, 0, 0, time.UTC),
			Metric: "auc", Baseline: baseline, Value: value, Drop: baseline - value, PValue: math.NaN(), Labeled: 336, Alarms: alarms}
	}
	evaluate := func(ws ...policy.WindowDecay) policy.Decision {
		return policy.Evaluate(ml.PolicyConfig{Decay: &ml.DecayTrigger{}}, policy.State{Now: at, HasChampion: true, Gap: math.NaN(), Decay: ws})
	}
	for _, tc := range []struct {
		name   string
		ws     []policy.WindowDecay
		fired  bool
		reason string
	}{
		{"better than the baseline", []policy.WindowDecay{w(0.729, 0.659, "adwin")}, false,
			"decay: adwin alarmed on the error stream in the window 1997-04-17 – 04-24, 336 labels, but auc 0.659 → 0.729 (drop -0.070) is not below the baseline"},
		{"as good as the baseline", []policy.WindowDecay{w(0.659, 0.659, "ddm", "kswin")}, false,
			"decay: ddm and kswin alarmed on the error stream in the window 1997-04-17 – 04-24, 336 labels, but auc 0.659 → 0.659 (drop 0.000) is not below the baseline"},
		{"worse than the baseline", []policy.WindowDecay{w(0.610, 0.659, "page_hinkley")}, true,
			"decay: page_hinkley alarmed on the error stream in the window 1997-04-17 – 04-24, 336 labels; auc 0.659 → 0.610 (drop 0.049) not significant"},
		{"no baseline to compare with", []policy.WindowDecay{w(0.610, math.NaN(), "adwin")}, true, ""},
		{"a worse window among better ones", []policy.WindowDecay{w(0.729, 0.659, "adwin"), w(0.640, 0.659, "kswin"), w(0.8, 0.659, "ddm")}, true,
			"decay: kswin alarmed on the error stream in the window 1997-04-17 – 04-24, the newest alarming of 3, 336 labels; auc 0.659 → 0.640 (drop 0.019) not significant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := evaluate(tc.ws...)
			if got := slices.Contains(d.Fired, ml.TriggerDecay); got != tc.fired {
				t.Errorf("fired %v, want %v: %q", got, tc.fired, d.Reasons)
			}
			if tc.reason != "" && (len(d.Reasons) == 0 || d.Reasons[0] != tc.reason) {
				t.Errorf("reason\n got %q\nwant %q", d.Reasons, tc.reason)
			}
		})
	}
}
