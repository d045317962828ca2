package gate

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
)

// modesHoldout is a binary holdout with one slice column, grp: "fine"
// (most rows; the challenger ranks better there), "small" (60 rows; the
// challenger is as good as the champion, on an independent draw of the
// same noise) and, when bad is set, "bad" (2,000 rows; the challenger is
// close to noise there).
func modesHoldout(bad bool) Input {
	h := newHoldout(20000, 21)
	champ, fine, same, worse := h.model(0.5), h.model(0.3), h.model(0.5), h.model(2.5)
	grp := make([]string, len(h.y))
	chal := make([]float64, len(h.y))
	for i := range grp {
		switch {
		case i%200 == 7 && i < 12000: // 60 rows
			grp[i], chal[i] = "small", same[i]
		case bad && i%10 == 3: // 2,000 rows
			grp[i], chal[i] = "bad", worse[i]
		default:
			grp[i], chal[i] = "fine", fine[i]
		}
	}
	in := h.input(champ, chal)
	in.Slices = []SliceColumn{{"grp", grp}}
	return in
}

func sliceOf(t *testing.T, rep *Report, feature, value string) SliceResult {
	t.Helper()
	for _, s := range rep.Slices {
		if s.Feature == feature && s.Value == value {
			return s
		}
	}
	t.Fatalf("no slice %s=%s", feature, value)
	return SliceResult{}
}

// TestSliceTestModes runs both slice tests on the same holdout, for a
// metric of each kind of test (DeLong, paired proportions / McNemar,
// bootstrap): a clearly fine slice passes both; a slice too small for a
// tight interval passes "drop" (no evidence of a drop) and fails
// "noninferiority" (no evidence of none); a clearly worse one fails both.
func TestSliceTestModes(t *testing.T) {
	t.Parallel()
	in := modesHoldout(true)
	for _, metric := range []string{ml.MetricAUC, ml.MetricAccuracy, ml.MetricLogLoss} {
		t.Run(metric, func(t *testing.T) {
			t.Parallel()
			in := in
			in.Metric = metric
			want := map[string]map[string]bool{
				ml.SliceTestDrop:           {"fine": true, "small": true, "bad": false},
				ml.SliceTestNonInferiority: {"fine": true, "small": false, "bad": false},
			}
			for mode, passes := range want {
				rep := evaluate(t, ml.GateConfig{SliceTest: mode}, in)
				if rep.SliceTest != mode {
					t.Errorf("%s: report names slice test %q", mode, rep.SliceTest)
				}
				for value, pass := range passes {
					s := sliceOf(t, rep, "grp", value)
					if !s.Judged || s.Pass != pass {
						t.Errorf("%s: slice grp=%s judged %v pass %v, want pass %v (n %d, diff %.4f, p %.3g, Holm p %.3g)",
							mode, value, s.Judged, s.Pass, pass, s.N, s.Diff, s.P, s.PAdj)
					}
				}
				for _, s := range rep.Slices {
					if !s.Judged {
						continue
					}
					if s.PAdj < s.P || s.PAdj > 1 {
						t.Errorf("%s: slice %s: p %v adjusted to %v", mode, sliceName(s), s.P, s.PAdj)
					}
					// The decision follows the adjusted p-value.
					var pass bool
					if mode == ml.SliceTestNonInferiority {
						pass = s.PAdj < 0.05
					} else {
						pass = !(s.PAdj < 0.05 && -s.Diff > 0.02)
					}
					if s.Pass != pass {
						t.Errorf("%s: slice %s pass %v with Holm p %v and diff %v", mode, sliceName(s), s.Pass, s.PAdj, s.Diff)
					}
				}
				// On the auc holdout the small slice shows Holm at work:
				// its unadjusted non-inferiority p (0.036) is below
				// alpha; the second largest of 13, Holm doubles it
				// (0.071), and it is not.
				if s := sliceOf(t, rep, "grp", "small"); metric == ml.MetricAUC && mode == ml.SliceTestNonInferiority && !(s.P < 0.05 && s.PAdj >= 0.05) {
					t.Errorf("small auc slice: p %v, Holm p %v", s.P, s.PAdj)
				}
				c := check(t, rep, CheckSlices)
				if c.Pass || !strings.Contains(c.Detail, "grp=bad") {
					t.Errorf("%s: slices check %+v", mode, c)
				}
				if strings.Contains(c.Detail, "grp=small") != (mode == ml.SliceTestNonInferiority) {
					t.Errorf("%s: slices check detail %q", mode, c.Detail)
				}
				// The stored text says which test ran, and its hypothesis.
				r := reasons(rep)
				if mode == ml.SliceTestNonInferiority {
					if !strings.Contains(c.Detail, "noninferiority test (H0: drop ≥ 0.020, H1: drop < 0.020)") ||
						!strings.Contains(r, "slice grp=small: "+metric) || !strings.Contains(r, "is not shown non-inferior within 0.020 (noninferiority test of H0: drop ≥ 0.020") {
						t.Errorf("%s: detail %q, reasons:\n%s", mode, c.Detail, r)
					}
				} else if !strings.Contains(c.Detail, "drop test (H0: the challenger is no worse on the slice, H1: it is worse)") ||
					!strings.Contains(r, "slice grp=bad: "+metric) || !strings.Contains(r, "drop test of H0: no drop") {
					t.Errorf("%s: detail %q, reasons:\n%s", mode, c.Detail, r)
				}
			}
		})
	}
}

// TestSliceTestNonInferiorityCanPass: without a bad or small slice, a
// better challenger on a large holdout is shown non-inferior on every
// slice, the champion-score deciles included; the test is strict, not
// impossible.
func TestSliceTestNonInferiorityCanPass(t *testing.T) {
	t.Parallel()
	in := modesHoldout(false)
	col := in.Slices[0].Values
	in.Slices[0].Values = slices.Clone(col)
	for i, v := range col {
		if v == "small" {
			in.Slices[0].Values[i] = "fine"
		}
	}
	rep := evaluate(t, ml.GateConfig{SliceTest: ml.SliceTestNonInferiority}, in)
	if c := check(t, rep, CheckSlices); !c.Pass || !strings.Contains(c.Detail, "11 of 11 slices judged, none fails") {
		t.Errorf("slices check %+v\n%s", c, reasons(rep))
	}
}

// TestSliceTestSmallSlicesNotJudged: slices under MinSliceRows are shown
// and not judged in both modes.
func TestSliceTestSmallSlicesNotJudged(t *testing.T) {
	t.Parallel()
	in := modesHoldout(true)
	for _, mode := range []string{ml.SliceTestDrop, ml.SliceTestNonInferiority} {
		rep := evaluate(t, ml.GateConfig{SliceTest: mode, MinSliceRows: 61}, in)
		s := sliceOf(t, rep, "grp", "small")
		if s.Judged || !s.Pass || s.P != 1 || s.PAdj != 1 {
			t.Errorf("%s: slice of 60 rows under min_slice_rows 61: %+v", mode, s)
		}
		if strings.Contains(check(t, rep, CheckSlices).Detail, "grp=small") {
			t.Errorf("%s: the unjudged slice is named in the check", mode)
		}
	}
}

// TestSliceHolm: the decision reads the Holm-adjusted p-value, over the
// judged slices only. Two judged slices with one-sided p = 0.03 each
// would each be decided at alpha 0.05 unadjusted; Holm makes both 0.06.
func TestSliceHolm(t *testing.T) {
	t.Parallel()
	slicesWith := func(p ...float64) []SliceResult {
		out := []SliceResult{{Feature: "g", Value: "tiny", N: 10, P: 1, PAdj: 1, Pass: true}} // not judged
		for k, v := range p {
			out = append(out, SliceResult{Feature: "g", Value: string(rune('a' + k)), N: 500, Metric: ml.MetricAUC,
				Champion: 0.80, Challenger: 0.75, Diff: -0.05, P: v, PAdj: 1, Judged: true, Pass: true})
		}
		return out
	}
	run := func(mode string, p ...float64) *evaluation {
		e := &evaluation{cfg: ml.GateConfig{SliceTest: mode}.WithDefaults(), champ: true,
			rep: &Report{Reasons: []string{}, Slices: slicesWith(p...)}}
		e.holm()
		e.rep.Checks = []Check{e.slicesCheck()}
		return e
	}
	for _, c := range []struct {
		mode string
		p    []float64
		adj  float64
		pass bool
	}{
		// drop: 0.03 alone is a significant drop beyond the margin, and
		// fails; two of them adjust to 0.06, and neither fails.
		{ml.SliceTestDrop, []float64{0.03}, 0.03, false},
		{ml.SliceTestDrop, []float64{0.03, 0.03}, 0.06, true},
		// noninferiority: 0.03 alone shows the slice non-inferior; two
		// of them adjust to 0.06, and neither is shown.
		{ml.SliceTestNonInferiority, []float64{0.03}, 0.03, true},
		{ml.SliceTestNonInferiority, []float64{0.03, 0.03}, 0.06, false},
	} {
		e := run(c.mode, c.p...)
		for _, s := range e.rep.Slices[1:] {
			if math.Abs(s.PAdj-c.adj) > 1e-15 || s.Pass != c.pass {
				t.Errorf("%s %v: slice %s p_adj %v pass %v, want %v %v", c.mode, c.p, s.Value, s.PAdj, s.Pass, c.adj, c.pass)
			}
		}
		if tiny := e.rep.Slices[0]; tiny.PAdj != 1 || !tiny.Pass {
			t.Errorf("%s: the unjudged slice was adjusted: %+v", c.mode, tiny)
		}
		if ck := e.rep.Checks[0]; ck.Pass != c.pass || (!c.pass && len(e.rep.Reasons) != len(c.p)) {
			t.Errorf("%s %v: check %+v, reasons %v", c.mode, c.p, ck, e.rep.Reasons)
		}
	}
}

// TestNonInferiorityP checks the slice test's p-value by hand: improvement
// −0.01 with standard error 0.02 and margin 0.02 gives z = 0.5, p = 1 −
// Φ(0.5); and the paired-proportions standard error from discordant
// counts.
func TestNonInferiorityP(t *testing.T) {
	t.Parallel()
	if got, want := niP(-0.01, 0.02, 0.02), 0.5*math.Erfc(0.5/math.Sqrt2); math.Abs(got-want) > 1e-15 {
		t.Errorf("niP = %v, want %v", got, want)
	}
	if got := niP(math.NaN(), 0.02, 0.02); got != 1 {
		t.Errorf("niP of a missing difference = %v", got)
	}
	if got := niP(0, 0.02, 0); got != 0 {
		t.Errorf("niP with no variance and no drop = %v", got)
	}
	// b = 3, c = 7 of n = 100: d = 0.04, var = (0.10 − 0.0016)/100.
	if got, want := pairedPropSE(3, 7, 100), math.Sqrt((0.10-0.0016)/100); math.Abs(got-want) > 1e-15 {
		t.Errorf("pairedPropSE = %v, want %v", got, want)
	}
}

// TestCalibrationExemption: a challenger above MaxECE but no worse
// calibrated than the champion passes by default and fails with
// StrictCalibration; one worse than the champion fails either way.
func TestCalibrationExemption(t *testing.T) {
	t.Parallel()
	h := newHoldout(3000, 22)
	base := h.model(0.5)
	squeeze := func(a float64) []float64 {
		s := make([]float64, len(base))
		for i, v := range base {
			s[i] = 0.5 + a*(v-0.5)
		}
		return s
	}
	bad, worse := squeeze(0.4), squeeze(0.2) // ECE about 0.14 and 0.2
	for _, c := range []struct {
		name        string
		champ, chal []float64
		strict      bool
		pass        bool
		detail      string
	}{
		{"no worse, default", worse, bad, false, true, "above the bound but no worse than the champion"},
		{"no worse, strict", worse, bad, true, false, "strict: no exemption"},
		{"worse, default", bad, worse, false, false, ""},
		{"worse, strict", bad, worse, true, false, ""},
	} {
		rep := evaluate(t, ml.GateConfig{MaxECE: 0.05, StrictCalibration: c.strict}, h.input(c.champ, c.chal))
		ck := check(t, rep, CheckCalibration)
		if ck.Pass != c.pass || !strings.Contains(ck.Detail, c.detail) || ck.Value <= 0.05 {
			t.Errorf("%s: %+v", c.name, ck)
		}
		if !c.pass && !strings.Contains(reasons(rep), "calibration: ECE") {
			t.Errorf("%s: reasons\n%s", c.name, reasons(rep))
		}
	}
}

// TestScoreShiftExemption: a challenger that ranks significantly better
// and spreads its scores out shifts them beyond a tight MaxScoreShift; by
// default the shift is explained by the improvement, with
// StrictScoreShift it fails.
func TestScoreShiftExemption(t *testing.T) {
	t.Parallel()
	h := newHoldout(4000, 23)
	champ := h.model(0.8)
	chal := h.model(0.3)
	for i, s := range chal {
		l := math.Log(s / (1 - s))
		chal[i] = sigmoid(2 * l)
	}
	cfg := ml.GateConfig{MaxScoreShift: 0.05, MaxECE: 1}
	rep := evaluate(t, cfg, h.input(champ, chal))
	ck := check(t, rep, CheckScoreShift)
	if rep.Diff.PBetter >= 0.05 || rep.ScoreShift <= 0.05 {
		t.Fatalf("setup: p(better) %v, PSI %v", rep.Diff.PBetter, rep.ScoreShift)
	}
	if !ck.Pass || !strings.Contains(ck.Detail, "explained: the challenger is significantly better") {
		t.Errorf("default: %+v", ck)
	}
	cfg.StrictScoreShift = true
	rep = evaluate(t, cfg, h.input(champ, chal))
	ck = check(t, rep, CheckScoreShift)
	if ck.Pass || !strings.Contains(ck.Detail, "strict: not excused") || !strings.Contains(reasons(rep), "score shift: PSI") {
		t.Errorf("strict: %+v\n%s", ck, reasons(rep))
	}
	// A shift without an improvement fails either way.
	cfg.StrictScoreShift = false
	rep = evaluate(t, cfg, h.input(chal, champ))
	if ck := check(t, rep, CheckScoreShift); ck.Pass {
		t.Errorf("worse and shifted: %+v", ck)
	}
}
