package ml

import (
	"strings"
	"testing"
)

func TestGateConfigSliceTest(t *testing.T) {
	t.Parallel()
	if got := (GateConfig{}).WithDefaults(); got.SliceTest != SliceTestDrop || got.StrictCalibration || got.StrictScoreShift {
		t.Errorf("defaults: slice_test %q, strict_calibration %v, strict_score_shift %v", got.SliceTest, got.StrictCalibration, got.StrictScoreShift)
	}
	for _, s := range []string{"", SliceTestDrop, SliceTestNonInferiority} {
		if err := (GateConfig{SliceTest: s}).validate(); err != nil {
			t.Errorf("slice_test %q: %v", s, err)
		}
	}
	err := GateConfig{SliceTest: "equivalence"}.validate()
	if ErrorCode(err) != EINVALID || ErrorMessage(err) != `gate slice_test "equivalence": use drop or noninferiority` {
		t.Errorf("slice_test equivalence: %v", err)
	}
}

func TestGateConfigValidate(t *testing.T) {
	t.Parallel()
	if err := (GateConfig{}).validate(); err != nil {
		t.Fatalf("zero config: %v", err)
	}
	for _, c := range []struct {
		g    GateConfig
		want string
	}{
		{GateConfig{Mode: "manual"}, `gate mode "manual": use auto or approval`},
		{GateConfig{Floor: -0.1}, "gate floor -0.1: "},
		{GateConfig{MinImprovement: 2}, "gate min_improvement 2: "},
		{GateConfig{Alpha: 0.5}, "gate alpha 0.5: "},
		{GateConfig{SliceMargin: -0.01}, "gate slice_margin -0.01: "},
		{GateConfig{MinSliceRows: -5}, "gate min_slice_rows -5: "},
		{GateConfig{MaxECE: 1.5}, "gate max_ece 1.5: "},
		{GateConfig{MaxScoreShift: -1}, "gate max_score_shift -1: "},
		{GateConfig{MaxModelBytes: -1}, "gate max_model_bytes -1 "},
		{GateConfig{MaxP99Micros: -1}, "gate max_p99_micros -1 "},
		{GateConfig{Bootstrap: 10}, "gate bootstrap 10: use 100 to 100,000 resamples"},
		{GateConfig{WatchLabels: -2}, "gate watch_labels -2: "},
	} {
		err := c.g.validate()
		if ErrorCode(err) != EINVALID || !strings.HasPrefix(ErrorMessage(err), c.want) {
			t.Errorf("%+v: %v, want %q", c.g, err, c.want)
		}
	}
}
