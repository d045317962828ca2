package gate

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
)

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// holdout is a synthetic binary holdout: x is the signal, p = σ(2x − 1)
// the true probability. A model's score is σ(2(x + e) − 1) with e ~
// N(0, noise²), so less noise ranks better.
type holdout struct {
	x, y []float64
	day  []string
	reg  []string
	seg  []string
	r    *rand.Rand
}

func newHoldout(n int, seed uint64) *holdout {
	h := &holdout{r: rand.New(rand.NewPCG(seed, 99))}
	regions := []string{"north", "south", "east", "west", "central"}
	for i := range n {
		x := h.r.NormFloat64()
		h.x = append(h.x, x)
		h.y = append(h.y, b2f(h.r.Float64() < sigmoid(2*x-1)))
		h.day = append(h.day, strconv.Itoa(i%7))
		h.reg = append(h.reg, regions[h.r.IntN(len(regions))])
		h.seg = append(h.seg, "s"+strconv.Itoa(h.r.IntN(24)))
	}
	return h
}

func (h *holdout) model(noise float64) []float64 {
	s := make([]float64, len(h.x))
	for i, x := range h.x {
		s[i] = sigmoid(2*(x+noise*h.r.NormFloat64()) - 1)
	}
	return s
}

func (h *holdout) input(champ, chal []float64) Input {
	return Input{
		Task: ml.TaskBinary, Metric: ml.MetricAUC, Labels: h.y, Champion: champ, Challenger: chal,
		Slices:          []SliceColumn{{"day", h.day}, {"region", h.reg}, {"segment", h.seg}},
		ChallengerBytes: 3 << 20, ChallengerP99Micros: 450, Seed: 1,
	}
}

func evaluate(t testing.TB, cfg ml.GateConfig, in Input) *Report {
	t.Helper()
	rep, err := Evaluate(cfg, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatalf("report does not encode: %v", err)
	}
	return rep
}

func check(t *testing.T, rep *Report, name string) Check {
	t.Helper()
	for _, c := range rep.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %s", name)
	return Check{}
}

func reasons(rep *Report) string { return strings.Join(rep.Reasons, "\n") }

func TestChecksInOrder(t *testing.T) {
	t.Parallel()
	h := newHoldout(2000, 1)
	rep := evaluate(t, ml.GateConfig{}, h.input(h.model(0.8), h.model(0.3)))
	var names []string
	for _, c := range rep.Checks {
		names = append(names, c.Name)
	}
	want := []string{"floor", "min_improvement", "significance", "slices", "calibration", "score_shift", "size", "latency"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("checks %v, want %v", names, want)
	}
}

func TestBetterChallengerPasses(t *testing.T) {
	t.Parallel()
	h := newHoldout(5000, 2)
	rep := evaluate(t, ml.GateConfig{Floor: 0.7, RequireSignificant: true}, h.input(h.model(0.8), h.model(0.3)))
	if !rep.Pass || len(rep.Reasons) != 0 {
		t.Fatalf("better challenger fails: %s", reasons(rep))
	}
	for _, c := range rep.Checks {
		if c.Skipped || !c.Pass {
			t.Errorf("check %s: skipped %v pass %v: %s", c.Name, c.Skipped, c.Pass, c.Detail)
		}
	}
	d := rep.Diff
	if d.Test != "delong" || d.Value <= 0 || d.CILo <= 0 || d.CILo > d.Value || d.CIHi < d.Value || d.PBetter > 0.001 || d.Statistic <= 0 {
		t.Errorf("diff %+v", d)
	}
	if d.Value != rep.Challenger["auc"]-rep.Champion["auc"] {
		t.Errorf("diff value %v is not the difference of the reported AUCs", d.Value)
	}
	for _, k := range []string{"auc", "accuracy", "logloss", "f1", "brier"} {
		if _, ok := rep.Challenger[k]; !ok {
			t.Errorf("challenger metrics lack %s", k)
		}
		if _, ok := rep.Champion[k]; !ok {
			t.Errorf("champion metrics lack %s", k)
		}
	}
	sig := check(t, rep, "significance")
	if !strings.Contains(sig.Detail, "auc +0.") || !strings.Contains(sig.Detail, "95% CI") || !strings.Contains(sig.Detail, "DeLong z = ") {
		t.Errorf("significance detail %q", sig.Detail)
	}
	// 7 days, 5 regions, 24 segments and 10 champion-score deciles.
	if len(rep.Slices) != 7+5+24+10 {
		t.Errorf("%d slices", len(rep.Slices))
	}
	if rep.Slices[0].Feature != "day" || rep.Slices[0].Value != "0" || rep.Slices[6].Value != "6" {
		t.Errorf("slice order: %+v, %+v", rep.Slices[0], rep.Slices[6])
	}
	last := rep.Slices[len(rep.Slices)-1]
	if last.Feature != "champion_score" || !strings.HasPrefix(last.Value, "decile 10 (≥ 0.") {
		t.Errorf("last slice %+v", last)
	}
	if rep.Calibration == nil || len(rep.Calibration.Challenger) != 10 || rep.Calibration.ChallengerECE > 0.1 {
		t.Errorf("calibration %+v", rep.Calibration)
	}
}

func TestWorseChallengerFails(t *testing.T) {
	t.Parallel()
	h := newHoldout(5000, 3)
	rep := evaluate(t, ml.GateConfig{}, h.input(h.model(0.3), h.model(0.8)))
	if rep.Pass {
		t.Fatal("worse challenger passes")
	}
	if c := check(t, rep, "significance"); c.Pass || c.Value >= 0.05 {
		t.Errorf("significance %+v", c)
	}
	if c := check(t, rep, "min_improvement"); c.Pass {
		t.Errorf("min_improvement %+v", c)
	}
	r := reasons(rep)
	if !strings.Contains(r, "auc is significantly worse than the champion: −0.") || !strings.Contains(r, "auc improves by −0.") {
		t.Errorf("reasons:\n%s", r)
	}
}

func TestPlantedSliceFails(t *testing.T) {
	t.Parallel()
	h := newHoldout(14000, 4)
	champ, chal := h.model(0.9), h.model(0.2)
	// On day 6 the challenger is much worse: almost noise.
	bad := h.model(2.5)
	for i, d := range h.day {
		if d == "6" {
			chal[i] = bad[i]
		}
	}
	rep := evaluate(t, ml.GateConfig{}, h.input(champ, chal))
	if rep.Diff.Value <= 0 || !check(t, rep, "significance").Pass {
		t.Fatalf("the challenger should be better overall: %+v", rep.Diff)
	}
	c := check(t, rep, "slices")
	if c.Pass || c.Value < 1 || !strings.Contains(c.Detail, "day=6") {
		t.Errorf("slices check %+v", c)
	}
	if !strings.Contains(reasons(rep), "slice day=6: auc 0.") {
		t.Errorf("reasons:\n%s", reasons(rep))
	}
	for _, s := range rep.Slices {
		failing := !s.Pass
		if s.Feature == "day" && failing != (s.Value == "6") {
			t.Errorf("slice %s=%s pass %v (diff %v, p_adj %v)", s.Feature, s.Value, s.Pass, s.Diff, s.PAdj)
		}
		if s.Judged && (s.PAdj < s.P || s.PAdj > 1) {
			t.Errorf("slice %s=%s: p %v adjusted to %v", s.Feature, s.Value, s.P, s.PAdj)
		}
	}
	// The same drop is forgiven by a wide enough margin.
	rep = evaluate(t, ml.GateConfig{SliceMargin: 0.5}, h.input(champ, chal))
	if !check(t, rep, "slices").Pass {
		t.Errorf("slice margin 0.5 still fails: %s", reasons(rep))
	}
}

func TestNoChampion(t *testing.T) {
	t.Parallel()
	h := newHoldout(3000, 5)
	in := h.input(nil, h.model(0.3))
	rep := evaluate(t, ml.GateConfig{Floor: 0.7}, in)
	if !rep.Pass || rep.Diff != nil || rep.Champion != nil {
		t.Fatalf("first model: pass %v, diff %+v, reasons %s", rep.Pass, rep.Diff, reasons(rep))
	}
	ran := map[string]bool{}
	for _, c := range rep.Checks {
		if !c.Skipped {
			ran[c.Name] = true
		}
	}
	if !reflect.DeepEqual(ran, map[string]bool{"floor": true, "calibration": true, "size": true, "latency": true}) {
		t.Errorf("checks that ran: %v", ran)
	}
	for _, s := range rep.Slices {
		if s.Judged || s.Champion != 0 || s.P != 1 {
			t.Errorf("slice without champion %+v", s)
		}
	}
	if last := rep.Slices[len(rep.Slices)-1]; last.Feature != "challenger_score" {
		t.Errorf("score buckets of %s", last.Feature)
	}
	// The floor still bites.
	rep = evaluate(t, ml.GateConfig{Floor: 0.95}, in)
	if rep.Pass || !strings.Contains(reasons(rep), "auc 0.") || !strings.Contains(reasons(rep), "is below the floor 0.950") {
		t.Errorf("floor: %s", reasons(rep))
	}
}

func TestLossMetricDirection(t *testing.T) {
	t.Parallel()
	h := newHoldout(5000, 6)
	good, bad := h.model(0.3), h.model(0.8)
	in := h.input(bad, good)
	in.Metric = ml.MetricLogLoss
	rep := evaluate(t, ml.GateConfig{Floor: 0.6}, in)
	d := rep.Diff
	if !rep.Pass || !d.LowerIsBetter || d.Value <= 0 || d.Test != "bootstrap" || d.PBetter > 0.01 {
		t.Fatalf("better logloss: pass %v diff %+v reasons %s", rep.Pass, d, reasons(rep))
	}
	if want := rep.Champion["logloss"] - rep.Challenger["logloss"]; d.Value != want {
		t.Errorf("improvement %v, want champion − challenger %v", d.Value, want)
	}
	if det := check(t, rep, "significance").Detail; !strings.Contains(det, "logloss improvement +0.") || !strings.Contains(det, "lower is better") {
		t.Errorf("detail %q", det)
	}
	// Swapped: the challenger's log loss is higher, and a ceiling below it
	// fails the floor check.
	in = h.input(good, bad)
	in.Metric = ml.MetricLogLoss
	rep = evaluate(t, ml.GateConfig{Floor: 0.4}, in)
	if rep.Pass || rep.Diff.Value >= 0 || check(t, rep, "significance").Pass || check(t, rep, "floor").Pass {
		t.Fatalf("worse logloss passes: %+v", rep.Diff)
	}
	if !strings.Contains(reasons(rep), "is above the ceiling 0.400") {
		t.Errorf("reasons:\n%s", reasons(rep))
	}
}

func TestAccuracyAndF1(t *testing.T) {
	t.Parallel()
	h := newHoldout(5000, 7)
	champ, chal := h.model(0.8), h.model(0.3)
	for _, m := range []struct{ metric, test string }{{ml.MetricAccuracy, "mcnemar"}, {ml.MetricF1, "bootstrap"}} {
		in := h.input(champ, chal)
		in.Metric = m.metric
		rep := evaluate(t, ml.GateConfig{}, in)
		if !rep.Pass || rep.Diff.Test != m.test || rep.Diff.Value <= 0 {
			t.Errorf("%s: pass %v diff %+v reasons %s", m.metric, rep.Pass, rep.Diff, reasons(rep))
		}
		in.Champion, in.Challenger = chal, champ
		if rep := evaluate(t, ml.GateConfig{}, in); rep.Pass || check(t, rep, "significance").Pass {
			t.Errorf("%s: worse challenger passes", m.metric)
		}
	}
}

func TestMulticlass(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(8, 8))
	n, k := 3000, 3
	y := make([]float64, n)
	day := make([]string, n)
	model := func(noise float64, seed uint64) []float64 {
		rr := rand.New(rand.NewPCG(seed, 1))
		p := make([]float64, 0, n*k)
		for i := range n {
			var row [3]float64
			var sum float64
			for c := range k {
				l := rr.NormFloat64() * noise
				if c == int(y[i]) {
					l += 1.5
				}
				row[c] = math.Exp(l)
				sum += row[c]
			}
			for c := range k {
				p = append(p, row[c]/sum)
			}
		}
		return p
	}
	for i := range y {
		y[i] = float64(r.IntN(k))
		day[i] = []string{"mon", "tue", "wed"}[i%3]
	}
	in := Input{Task: ml.TaskMulticlass, Classes: k, Labels: y, Champion: model(2, 1), Challenger: model(0.8, 2),
		Slices: []SliceColumn{{"day", day}}, ChallengerBytes: 1 << 20, ChallengerP99Micros: math.NaN()}
	rep := evaluate(t, ml.GateConfig{}, in)
	if rep.Metric != ml.MetricLogLoss || !rep.Pass || rep.Diff.Value <= 0 {
		t.Fatalf("multiclass: metric %s pass %v diff %+v reasons %s", rep.Metric, rep.Pass, rep.Diff, reasons(rep))
	}
	// 3 days and 10 deciles of the champion's top-label probability.
	if len(rep.Challenger) != 2 || len(rep.Slices) != 3+10 || rep.Calibration == nil || !rep.Calibration.TopLabel {
		t.Errorf("metrics %v, %d slices, calibration %v", rep.Challenger, len(rep.Slices), rep.Calibration)
	}
	if last := rep.Slices[len(rep.Slices)-1]; last.Feature != "champion_confidence" || !strings.HasPrefix(last.Value, "decile 10 (≥ 0.") || !last.Judged {
		t.Errorf("last slice %+v", last)
	}
	if c := check(t, rep, "latency"); !c.Skipped {
		t.Error("latency not skipped")
	}
	for _, name := range []string{"calibration", "score_shift"} {
		if c := check(t, rep, name); c.Skipped || !c.Pass {
			t.Errorf("%s: %+v", name, c)
		}
	}
	if ece, _ := TopLabelECE(in.Challenger, y, k, 10); rep.Calibration.ChallengerECE != ece || check(t, rep, "calibration").Value != ece {
		t.Errorf("challenger ECE %v, want TopLabelECE %v", rep.Calibration.ChallengerECE, ece)
	}
	if d := check(t, rep, "calibration").Detail; !strings.Contains(d, "top-label ECE") {
		t.Errorf("calibration detail %q", d)
	}
	if d := check(t, rep, "score_shift").Detail; !strings.Contains(d, "top-label probabilities") || !strings.Contains(d, "[1/3, 1]") || rep.ScoreShift <= 0 {
		t.Errorf("score shift %v: %q", rep.ScoreShift, d)
	}
	// The same model on both sides: no shift. A challenger that squares
	// and renormalises the champion's probabilities is sharper: its top
	// label's probability moves up (PSI over a tight bound) and,
	// overconfident, it is worse calibrated.
	same := in
	same.Challenger = in.Champion
	if rep := evaluate(t, ml.GateConfig{}, same); rep.ScoreShift != 0 || rep.Calibration.ChampionECE != rep.Calibration.ChallengerECE {
		t.Errorf("same model: PSI %v, ECE %v and %v", rep.ScoreShift, rep.Calibration.ChampionECE, rep.Calibration.ChallengerECE)
	}
	sharp := make([]float64, len(in.Champion))
	for i := 0; i < len(sharp); i += k {
		var sum float64
		for c := range k {
			sharp[i+c] = in.Champion[i+c] * in.Champion[i+c]
			sum += sharp[i+c]
		}
		for c := range k {
			sharp[i+c] /= sum
		}
	}
	same.Challenger = sharp
	rep = evaluate(t, ml.GateConfig{MaxScoreShift: 0.1, MaxECE: 0.1, StrictCalibration: true}, same)
	for _, name := range []string{"calibration", "score_shift"} {
		if c := check(t, rep, name); c.Pass {
			t.Errorf("sharpened %s passes: %+v", name, c)
		}
	}
	if rep.Calibration.ChallengerECE <= rep.Calibration.ChampionECE || !strings.Contains(reasons(rep), "calibration: top-label ECE") {
		t.Errorf("sharpened: ECE %v vs champion %v; reasons\n%s", rep.Calibration.ChallengerECE, rep.Calibration.ChampionECE, reasons(rep))
	}
	in.Metric = ml.MetricAccuracy
	in.Champion, in.Challenger = in.Challenger, in.Champion
	rep = evaluate(t, ml.GateConfig{}, in)
	if rep.Pass || rep.Diff.Test != "mcnemar" || rep.Diff.Value >= 0 {
		t.Errorf("worse multiclass: pass %v diff %+v", rep.Pass, rep.Diff)
	}
}

// TestTopLabelECEByHand: six rows of three classes.
//
//	row  probabilities       label  top (argmax)  confidence  hit  bin
//	1    0.7  0.2   0.1      0      0             0.7         1    [0.7, 0.8)
//	2    0.6  0.3   0.1      1      0             0.6         0    [0.6, 0.7)
//	3    0.2  0.75  0.05     1      1             0.75        1    [0.7, 0.8)
//	4    0.1  0.1   0.8      2      2             0.8         1    [0.8, 0.9)
//	5    0.4  0.4   0.2      1      0 (first)     0.4         0    [0.4, 0.5)
//	6    0.05 0.05  0.9      0      2             0.9         0    [0.9, 1]
//
// Gaps |accuracy − mean confidence|: bin 4 0.4 (1 row), bin 6 0.6 (1),
// bin 7 |1 − 0.725| = 0.275 (2), bin 8 0.2 (1), bin 9 0.9 (1); ECE =
// (0.4 + 0.6 + 2·0.275 + 0.2 + 0.9) / 6 = 2.65 / 6.
func TestTopLabelECEByHand(t *testing.T) {
	t.Parallel()
	p := []float64{
		0.7, 0.2, 0.1,
		0.6, 0.3, 0.1,
		0.2, 0.75, 0.05,
		0.1, 0.1, 0.8,
		0.4, 0.4, 0.2,
		0.05, 0.05, 0.9,
	}
	y := []float64{0, 1, 1, 2, 1, 0}
	ece, cal := TopLabelECE(p, y, 3, 10)
	if want := 2.65 / 6; math.Abs(ece-want) > 1e-15 {
		t.Errorf("top-label ECE = %.17g, want %.17g", ece, want)
	}
	wantN := []int{0, 0, 0, 0, 1, 0, 1, 2, 1, 1}
	for b, n := range wantN {
		if cal[b].N != n {
			t.Fatalf("bin %d holds %d rows, want %d: %+v", b, cal[b].N, n, cal)
		}
	}
	if cal[7].MeanScore != 0.725 || cal[7].FracPositive != 1 || cal[4].FracPositive != 0 || cal[9].MeanScore != 0.9 {
		t.Errorf("bins 4, 7, 9: %+v %+v %+v", cal[4], cal[7], cal[9])
	}
	// Two classes: the top label's ECE is not the class-1 ECE.
	p2 := []float64{0.3, 0.7, 0.6, 0.4}
	if ece, _ := TopLabelECE(p2, []float64{1, 1}, 2, 10); math.Abs(ece-(0.3+0.6)/2) > 1e-15 {
		t.Errorf("two-class top-label ECE = %v, want 0.45", ece)
	}
}

func TestRegression(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 9))
	n := 4000
	y, champ, chal := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range y {
		y[i] = 10 + 3*r.NormFloat64()
		champ[i] = y[i] + 1.2*r.NormFloat64()
		chal[i] = y[i] + 1.0*r.NormFloat64()
	}
	in := Input{Task: ml.TaskRegression, Labels: y, Champion: champ, Challenger: chal, ChallengerBytes: 1000, ChallengerP99Micros: 10}
	rep := evaluate(t, ml.GateConfig{}, in)
	if rep.Metric != "rmse" || !rep.Pass || !rep.Diff.LowerIsBetter || rep.Diff.Value <= 0 {
		t.Fatalf("regression: %+v, %s", rep.Diff, reasons(rep))
	}
	if _, ok := rep.Challenger["mae"]; !ok || len(rep.Slices) != 10 || rep.ScoreShift > 0.1 {
		t.Errorf("metrics %v, %d slices, PSI %v", rep.Challenger, len(rep.Slices), rep.ScoreShift)
	}
	if c := check(t, rep, "calibration"); !c.Skipped {
		t.Error("calibration runs for regression")
	}
	in.Champion, in.Challenger = chal, champ
	if rep := evaluate(t, ml.GateConfig{}, in); rep.Pass || rep.Diff.Value >= 0 {
		t.Errorf("worse regression passes: %+v", rep.Diff)
	}
}

func TestSizeLatencyShiftCalibration(t *testing.T) {
	t.Parallel()
	h := newHoldout(3000, 10)
	champ := h.model(0.5)
	// A challenger that ranks like the champion but squeezes every score
	// towards 0.5: badly calibrated, and shifted.
	chal := make([]float64, len(champ))
	for i, s := range champ {
		chal[i] = 0.45 + 0.1*s
	}
	in := h.input(champ, chal)
	in.ChallengerBytes = 100 << 20
	in.ChallengerP99Micros = 2500
	cfg := ml.GateConfig{MaxECE: 0.1, MaxScoreShift: 0.25, MaxModelBytes: 64 << 20, MaxP99Micros: 2000}
	rep := evaluate(t, cfg, in)
	for _, name := range []string{"calibration", "score_shift", "size", "latency"} {
		if c := check(t, rep, name); c.Pass || c.Skipped {
			t.Errorf("%s passes: %+v", name, c)
		}
	}
	r := reasons(rep)
	for _, want := range []string{"calibration: ECE 0.", "score shift: PSI", "model size 100.0 MiB is above 64.0 MiB", "p99 latency 2,500 µs is above 2,000 µs"} {
		if !strings.Contains(r, want) {
			t.Errorf("reasons lack %q:\n%s", want, r)
		}
	}
	// Not measured.
	in.ChallengerBytes, in.ChallengerP99Micros = 0, math.NaN()
	rep = evaluate(t, cfg, in)
	if !check(t, rep, "size").Skipped || !check(t, rep, "latency").Skipped {
		t.Error("size and latency run without numbers")
	}
}

func TestRequireSignificant(t *testing.T) {
	t.Parallel()
	h := newHoldout(2000, 11)
	s := h.model(0.5)
	in := h.input(s, s)
	rep := evaluate(t, ml.GateConfig{}, in)
	if !rep.Pass || rep.Diff.Value != 0 || rep.Diff.P != 1 {
		t.Fatalf("identical models: pass %v %+v", rep.Pass, rep.Diff)
	}
	rep = evaluate(t, ml.GateConfig{RequireSignificant: true}, in)
	if rep.Pass || !strings.Contains(reasons(rep), "is not a significant improvement") {
		t.Errorf("require_significant: %s", reasons(rep))
	}
	// A negative min_improvement tolerates a small loss.
	worse := slices.Clone(s)
	for i := 0; i < len(worse); i += 50 {
		worse[i] = 0.5
	}
	rep = evaluate(t, ml.GateConfig{MinImprovement: -0.01}, h.input(s, worse))
	if c := check(t, rep, "min_improvement"); !c.Pass || c.Value >= 0 {
		t.Errorf("min_improvement -0.01: %+v", c)
	}
}

func TestAUCSliceWithOneClass(t *testing.T) {
	t.Parallel()
	h := newHoldout(3000, 12)
	in := h.input(h.model(0.8), h.model(0.3))
	// A column whose value "neg" holds only negatives.
	col := make([]string, len(h.y))
	for i, v := range h.y {
		col[i] = "mixed"
		if v == 0 && i%2 == 0 {
			col[i] = "neg"
		}
	}
	in.Slices = []SliceColumn{{"kind", col}}
	rep := evaluate(t, ml.GateConfig{}, in)
	var found bool
	for _, s := range rep.Slices {
		if s.Feature == "kind" && s.Value == "neg" {
			found = true
			if s.Metric != ml.MetricAccuracy || !strings.Contains(s.Note, "accuracy at 0.5") || !s.Judged {
				t.Errorf("one-class slice %+v", s)
			}
		}
	}
	if !found {
		t.Fatal("no slice kind=neg")
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	h := newHoldout(3000, 13)
	in := h.input(h.model(0.6), h.model(0.5))
	in.Metric = ml.MetricLogLoss
	a := evaluate(t, ml.GateConfig{}, in)
	b := evaluate(t, ml.GateConfig{}, in)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different reports")
	}
	in.Seed = 2
	c := evaluate(t, ml.GateConfig{}, in)
	if c.Diff.CILo == a.Diff.CILo && c.Diff.CIHi == a.Diff.CIHi {
		t.Error("seeds 1 and 2 give the same interval")
	}
}

func TestInvalidInput(t *testing.T) {
	t.Parallel()
	h := newHoldout(200, 14)
	ok := h.input(h.model(0.5), h.model(0.4))
	for name, mut := range map[string]func(in *Input){
		"no rows":            func(in *Input) { in.Labels, in.Champion, in.Challenger, in.Slices = nil, nil, nil, nil },
		"challenger length":  func(in *Input) { in.Challenger = in.Challenger[1:] },
		"champion length":    func(in *Input) { in.Champion = in.Champion[1:] },
		"label":              func(in *Input) { in.Labels = append([]float64{2}, in.Labels[1:]...) },
		"score NaN":          func(in *Input) { in.Challenger = append([]float64{math.NaN()}, in.Challenger[1:]...) },
		"score above 1":      func(in *Input) { in.Champion = append([]float64{1.5}, in.Champion[1:]...) },
		"metric":             func(in *Input) { in.Metric = "rmse" },
		"task":               func(in *Input) { in.Task = "ranking" },
		"slice length":       func(in *Input) { in.Slices = []SliceColumn{{"day", []string{"1"}}} },
		"slice name":         func(in *Input) { in.Slices = []SliceColumn{{"", in.Slices[0].Values}} },
		"one class for auc":  func(in *Input) { in.Labels = make([]float64, len(in.Labels)) },
		"multiclass classes": func(in *Input) { in.Task, in.Metric, in.Classes = ml.TaskMulticlass, "", 1 },
		"negative bytes":     func(in *Input) { in.ChallengerBytes = -1 },
		"negative latency":   func(in *Input) { in.ChallengerP99Micros = -3 },
	} {
		in := ok
		mut(&in)
		_, err := Evaluate(ml.GateConfig{}, in)
		if ml.ErrorCode(err) != ml.EINVALID {
			t.Errorf("%s: error %v, want EINVALID", name, err)
		}
	}
	if _, err := Evaluate(ml.GateConfig{Alpha: 0.7}, ok); ml.ErrorCode(err) != ml.EINVALID {
		t.Errorf("alpha 0.7: %v", err)
	}
}

func TestBinaryDropTest(t *testing.T) {
	t.Parallel()
	h := newHoldout(3000, 15)
	old, worse := h.model(0.3), h.model(0.9)
	for _, m := range []string{"auc", "accuracy", "logloss", "f1"} {
		d, err := BinaryDropTest(m, h.y, old, worse, 1)
		if err != nil {
			t.Fatal(err)
		}
		if d.Drop <= 0 || d.P > 0.01 {
			t.Errorf("%s: a real drop %+v", m, d)
		}
		d, _ = BinaryDropTest(m, h.y, worse, old, 1)
		if d.Drop >= 0 || d.P < 0.5 {
			t.Errorf("%s: an improvement %+v", m, d)
		}
	}
	if _, err := BinaryDropTest("rmse", h.y, old, worse, 1); ml.ErrorCode(err) != ml.EINVALID {
		t.Errorf("rmse: %v", err)
	}
}

// A first model that would fail an absolute bound other than the floor
// passes with the failure noted: nothing serves yet.
func TestNoChampionNotesBounds(t *testing.T) {
	t.Parallel()
	h := newHoldout(3000, 5)
	in := h.input(nil, h.model(0.3))
	in.ChallengerBytes = 1 << 30
	rep := evaluate(t, ml.GateConfig{}, in)
	if !rep.Pass || len(rep.Reasons) != 0 || !strings.Contains(strings.Join(rep.Notes, ";"), "size would fail") {
		t.Fatalf("first model over the size bound: pass %v, reasons %v, notes %v", rep.Pass, rep.Reasons, rep.Notes)
	}
}
