package ml

import "testing"

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
