package gate

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/freshet/freshet/ml"
)

// evaluation is one run of Evaluate.
type evaluation struct {
	cfg    ml.GateConfig
	in     Input
	sc     scorer
	metric string
	champ  bool
	rep    *Report
	// Score orders (binary and regression), and the cut points of the
	// score deciles: the champion's, or the challenger's without one.
	ordChamp, ordChal order
	cuts              []float64
	// The top label's probability per row (multiclass): what the
	// calibration, score shift and score buckets use.
	confChamp, confChal []float64
}

// nonInferiority reports whether slices get the non-inferiority test.
func (e *evaluation) nonInferiority() bool { return e.cfg.SliceTest == ml.SliceTestNonInferiority }

func (e *evaluation) note(s string) { e.rep.Notes = append(e.rep.Notes, s) }

func (e *evaluation) run() *Report {
	in := e.in
	e.rep = &Report{Task: in.Task, Metric: e.metric, N: len(in.Labels), Reasons: []string{}, SliceTest: e.cfg.SliceTest}
	e.rep.Challenger = e.sc.all(in.Challenger)
	if e.champ {
		e.rep.Champion = e.sc.all(in.Champion)
	}

	if in.Task != ml.TaskMulticlass {
		e.ordChal = newOrder(in.Challenger)
		ref, ord := in.Challenger, e.ordChal
		if e.champ {
			e.ordChamp = newOrder(in.Champion)
			ref, ord = in.Champion, e.ordChamp
		}
		e.cuts = quantileCuts(ord.values(ref), ScoreBuckets)
	} else {
		e.confChal = confidences(in.Challenger, in.Classes)
		ref := e.confChal
		if e.champ {
			e.confChamp = confidences(in.Champion, in.Classes)
			ref = e.confChamp
		}
		e.cuts = quantileCuts(slices.Sorted(slices.Values(ref)), ScoreBuckets)
	}
	defs := e.sliceDefs()
	orders := e.sliceOrders(defs)
	var boot []int // slices whose p-value comes from the bootstrap
	var scratch []float64
	for i, d := range defs {
		r, b := e.sliceResult(d, orders[i], &scratch)
		e.rep.Slices = append(e.rep.Slices, r)
		if b {
			boot = append(boot, i)
		}
	}
	if e.champ {
		e.compare(defs, boot)
		e.holm()
	}
	switch in.Task {
	case ml.TaskBinary:
		c := &Calibration{}
		c.ChallengerECE, c.Challenger = ECE(in.Challenger, in.Labels, CalibrationBins)
		if e.champ {
			c.ChampionECE, c.Champion = ECE(in.Champion, in.Labels, CalibrationBins)
		}
		e.rep.Calibration = c
	case ml.TaskMulticlass:
		c := &Calibration{TopLabel: true}
		c.ChallengerECE, c.Challenger = ECE(e.confChal, topLabelHits(in.Challenger, in.Labels, in.Classes), CalibrationBins)
		if e.champ {
			c.ChampionECE, c.Champion = ECE(e.confChamp, topLabelHits(in.Champion, in.Labels, in.Classes), CalibrationBins)
		}
		e.rep.Calibration = c
	}
	if e.champ {
		// Probabilities are compared on ten equal-width bins: the
		// champion's own deciles collapse when its scores tie (a small
		// model has few distinct scores), and PSI then explodes for any
		// challenger. Regression scores use the champion's deciles.
		switch in.Task {
		case ml.TaskBinary:
			e.rep.ScoreShift = psiCuts(evenCuts(0, ScoreBuckets), in.Champion, in.Challenger)
		case ml.TaskMulticlass:
			e.rep.ScoreShift = psiCuts(evenCuts(1/float64(in.Classes), ScoreBuckets), e.confChamp, e.confChal)
		default:
			e.rep.ScoreShift = psiCuts(e.cuts, in.Champion, in.Challenger)
		}
	}

	e.rep.Checks = []Check{
		e.floorCheck(),
		e.improvementCheck(),
		e.significanceCheck(),
		e.slicesCheck(),
		e.calibrationCheck(),
		e.shiftCheck(),
		e.sizeCheck(),
		e.latencyCheck(),
	}
	if !e.champ {
		e.firstModel()
	}
	e.rep.Pass = true
	for _, c := range e.rep.Checks {
		e.rep.Pass = e.rep.Pass && c.Pass
	}
	return e.rep
}

// firstModel applies the rule for a model's first version: with nothing
// serving, it is judged on the floor alone; the other checks still run
// and are shown, and a failure among them is noted, not held against it.
func (e *evaluation) firstModel() {
	var reasons []string
	if !e.rep.Checks[0].Pass && len(e.rep.Reasons) > 0 {
		reasons = e.rep.Reasons[:1] // the floor's, which runs first
	}
	for i := 1; i < len(e.rep.Checks); i++ {
		c := &e.rep.Checks[i]
		if c.Skipped || c.Pass {
			continue
		}
		c.Pass = true
		c.Detail += " (noted: a first model is judged on the floor only)"
		e.rep.Notes = append(e.rep.Notes, c.Name+" would fail: "+c.Detail)
	}
	e.rep.Reasons = reasons
}

// compare fills Report.Diff: the point difference, its bootstrap
// interval, the metric's own test, and the bootstrap p-values of the
// slices listed in boot, all from one set of resamples.
func (e *evaluation) compare(defs []sliceDef, boot []int) {
	in, cfg := e.in, e.cfg
	s := sense(e.metric)
	champV, chalV := e.rep.Champion[e.metric], e.rep.Challenger[e.metric]
	d := &Difference{
		Metric: e.metric, LowerIsBetter: s < 0, Champion: champV, Challenger: chalV,
		Value: s * (chalV - champV), Level: 1 - cfg.Alpha, Resamples: cfg.Bootstrap,
	}

	plan := newDiffPlan(e.sc, e.metric, in.Champion, in.Challenger, e.ordChamp, e.ordChal)
	for _, i := range boot {
		plan.addGroup(defs[i].rows)
	}
	b, nOut := cfg.Bootstrap, plan.nOut()
	reps := resample(len(in.Labels), b, in.Seed, nOut, workers(b), plan.evaluator)
	column := func(j int) []float64 {
		c := make([]float64, b)
		for r := range b {
			c[r] = reps[r*nOut+j]
		}
		return c
	}
	bs := summarize(d.Value, column(0), cfg.Alpha)
	d.CILo, d.CIHi = bs.Lo, bs.Hi
	if len(bs.Replicates) == 0 {
		d.CILo, d.CIHi = d.Value, d.Value
		e.note("no bootstrap resample gave a number; the interval is the point difference")
	} else if k := b - len(bs.Replicates); k > 0 {
		e.note(fmt.Sprintf("%d of %d bootstrap resamples held one class only and were dropped", k, b))
	}

	switch e.metric {
	case ml.MetricAUC:
		pos := 0
		for _, v := range in.Labels {
			pos += int(v)
		}
		r := delongOrders(in.Labels, e.ordChal, e.ordChamp, pos, len(in.Labels)-pos, nil)
		d.Test, d.Statistic, d.P = "delong", r.Z, r.P
		d.PWorse, d.PBetter = normCDF(r.Z), normCDF(-r.Z)
	case ml.MetricAccuracy:
		m := mcnemarCorrect(e.sc.correct(in.Champion), e.sc.correct(in.Challenger))
		d.Test, d.Statistic, d.P = "mcnemar", m.Statistic, m.PExact
		d.PWorse, d.PBetter = m.PBWorse(), m.PBBetter()
	default:
		z := zScore(d.Value, bs.SE)
		d.Test, d.Statistic, d.P = "bootstrap", z, math.Erfc(math.Abs(z)/math.Sqrt2)
		d.PWorse, d.PBetter = normCDF(z), normCDF(-z)
	}
	d.Statistic = noInf(d.Statistic)
	e.rep.Diff = d

	for j, i := range boot {
		r := &e.rep.Slices[i]
		se := summarize(r.Diff, column(1+j), cfg.Alpha).SE
		if e.nonInferiority() {
			r.P = niP(r.Diff, cfg.SliceMargin, se)
		} else {
			r.P = normCDF(zScore(r.Diff, se))
		}
	}
}

// niP is the one-sided p-value of the non-inferiority test of a slice,
// H0: the drop is at least margin (diff ≤ −margin) against H1: it is less
// (diff > −margin), from the improvement diff and its standard error se,
// read against the normal: 1 − Φ((diff + margin) / se). It is 1 when
// either number is missing, so that a slice without evidence is not
// shown non-inferior.
func niP(diff, margin, se float64) float64 {
	if math.IsNaN(diff) || math.IsNaN(se) {
		return 1
	}
	return normCDF(-zScore(diff+margin, se))
}

// pairedPropSE is the standard error of the difference of two paired
// proportions, (c − b)/n, from the discordant counts b and c among n
// rows: sqrt(((b + c)/n − ((c − b)/n)²) / n), the large-sample (Wald)
// variance of the paired difference that the non-inferiority test of an
// accuracy slice reads against the normal.
func pairedPropSE(b, c, n int) float64 {
	fn := float64(n)
	d := float64(c-b) / fn
	return math.Sqrt(max(0, (float64(b+c)/fn-d*d)/fn))
}

// zScore is v/se, with ±Inf (or 0 for v = 0) when se is 0 or NaN.
func zScore(v, se float64) float64 {
	switch {
	case se > 0:
		return v / se
	case v == 0:
		return 0
	}
	return math.Copysign(math.Inf(1), v)
}

// noInf keeps a report JSON-encodable.
func noInf(v float64) float64 {
	if math.IsInf(v, 0) {
		return math.Copysign(math.MaxFloat64, v)
	}
	return v
}

// holm adjusts the judged slices' p-values and marks the failing ones:
// under "drop" those shown worse (adjusted p < alpha) by more than the
// margin, under "noninferiority" those not shown non-inferior (adjusted p
// >= alpha).
func (e *evaluation) holm() {
	var idx []int
	var ps []float64
	for i, r := range e.rep.Slices {
		if r.Judged {
			idx = append(idx, i)
			ps = append(ps, r.P)
		}
	}
	for k, p := range Holm(ps) {
		r := &e.rep.Slices[idx[k]]
		r.PAdj = p
		if e.nonInferiority() {
			r.Pass = p < e.cfg.Alpha
		} else {
			r.Pass = !(p < e.cfg.Alpha && -r.Diff > e.cfg.SliceMargin)
		}
	}
}

func (e *evaluation) fail(reason string) { e.rep.Reasons = append(e.rep.Reasons, reason) }

func skipped(name, why string) Check {
	return Check{Name: name, Pass: true, Skipped: true, Detail: why}
}

const noChampion = "no champion to compare with"

// bound describes the direction of the metric: "at least" or "at most".
func (e *evaluation) bound() string {
	if LowerIsBetter(e.metric) {
		return "at most"
	}
	return "at least"
}

func (e *evaluation) floorCheck() Check {
	v := e.rep.Challenger[e.metric]
	if e.cfg.Floor == 0 {
		return skipped(CheckFloor, fmt.Sprintf("no floor set; %s %s", e.metric, num(v)))
	}
	c := Check{Name: CheckFloor, Value: v, Threshold: e.cfg.Floor}
	if LowerIsBetter(e.metric) {
		c.Pass = v <= e.cfg.Floor
	} else {
		c.Pass = v >= e.cfg.Floor
	}
	c.Detail = fmt.Sprintf("%s %s, %s %s", e.metric, num(v), e.bound(), num(e.cfg.Floor))
	if !c.Pass {
		if LowerIsBetter(e.metric) {
			e.fail(fmt.Sprintf("%s %s is above the ceiling %s", e.metric, num(v), num(e.cfg.Floor)))
		} else {
			e.fail(fmt.Sprintf("%s %s is below the floor %s", e.metric, num(v), num(e.cfg.Floor)))
		}
	}
	return c
}

func (e *evaluation) improvementCheck() Check {
	if !e.champ {
		return skipped(CheckMinImprovement, noChampion)
	}
	d := e.rep.Diff
	c := Check{Name: CheckMinImprovement, Value: d.Value, Threshold: e.cfg.MinImprovement, Pass: d.Value >= e.cfg.MinImprovement}
	if d.LowerIsBetter {
		c.Detail = fmt.Sprintf("%s improvement %s (champion %s − challenger %s; lower is better), at least %s needed",
			d.Metric, signed(d.Value), num(d.Champion), num(d.Challenger), signed(e.cfg.MinImprovement))
	} else {
		c.Detail = fmt.Sprintf("%s %s (challenger %s − champion %s), at least %s needed",
			d.Metric, signed(d.Value), num(d.Challenger), num(d.Champion), signed(e.cfg.MinImprovement))
	}
	if !c.Pass {
		e.fail(fmt.Sprintf("%s improves by %s over the champion (%s vs %s); at least %s is required",
			e.metric, signed(d.Value), num(d.Challenger), num(d.Champion), signed(e.cfg.MinImprovement)))
	}
	return c
}

// testWords is "DeLong z = 1.52, p = 0.13" and the like.
func testWords(d *Difference) string {
	switch d.Test {
	case "delong":
		return fmt.Sprintf("DeLong z = %.2f, p %s", d.Statistic, pval(d.P))
	case "mcnemar":
		return fmt.Sprintf("McNemar χ² = %.2f, exact p %s", d.Statistic, pval(d.P))
	}
	return fmt.Sprintf("bootstrap z = %.2f, p %s", d.Statistic, pval(d.P))
}

func (e *evaluation) significanceCheck() Check {
	if !e.champ {
		return skipped(CheckSignificance, noChampion)
	}
	d, alpha := e.rep.Diff, e.cfg.Alpha
	c := Check{Name: CheckSignificance, Value: d.PWorse, Threshold: alpha, Pass: true}
	if d.LowerIsBetter {
		c.Detail = fmt.Sprintf("%s improvement %s (%s CI %s to %s; champion − challenger, lower is better), %s; one-sided p(worse) %s, p(better) %s",
			d.Metric, signed(d.Value), level(alpha), signed(d.CILo), signed(d.CIHi), testWords(d), pval(d.PWorse), pval(d.PBetter))
	} else {
		c.Detail = fmt.Sprintf("%s %s (%s CI %s to %s), %s; one-sided p(worse) %s, p(better) %s",
			d.Metric, signed(d.Value), level(alpha), signed(d.CILo), signed(d.CIHi), testWords(d), pval(d.PWorse), pval(d.PBetter))
	}
	switch {
	case d.PWorse < alpha:
		c.Pass = false
		e.fail(fmt.Sprintf("%s is significantly worse than the champion: %s (%s CI %s to %s), one-sided p %s",
			e.metric, signed(d.Value), level(alpha), signed(d.CILo), signed(d.CIHi), pval(d.PWorse)))
	case e.cfg.RequireSignificant:
		c.Value = d.PBetter
		if d.PBetter >= alpha {
			c.Pass = false
			e.fail(fmt.Sprintf("%s %s is not a significant improvement (one-sided p %s, needs < %g)",
				e.metric, signed(d.Value), pval(d.PBetter), alpha))
		}
	}
	return c
}

func (e *evaluation) slicesCheck() Check {
	if !e.champ {
		return skipped(CheckSlices, noChampion)
	}
	if len(e.rep.Slices) == 0 {
		return skipped(CheckSlices, "no slices: no slice columns were given")
	}
	c := Check{Name: CheckSlices, Pass: true}
	ni, margin, alpha := e.nonInferiority(), num(e.cfg.SliceMargin), e.cfg.Alpha
	var judged int
	var failed []string
	worst := -1
	for i, r := range e.rep.Slices {
		if !r.Judged {
			continue
		}
		judged++
		if worst < 0 || r.Diff < e.rep.Slices[worst].Diff {
			worst = i
		}
		if r.Pass {
			continue
		}
		if ni {
			failed = append(failed, fmt.Sprintf("%s (%s, not shown within %s, Holm p %s)", sliceName(r), sliceDelta(r), margin, pval(r.PAdj)))
			e.fail(fmt.Sprintf("slice %s: %s %s vs %s (%s) is not shown non-inferior within %s (noninferiority test of H0: drop ≥ %s, Holm p %s, needs < %g)",
				sliceName(r), r.Metric, num(r.Challenger), num(r.Champion), sliceDelta(r), margin, margin, pval(r.PAdj), alpha))
			continue
		}
		failed = append(failed, fmt.Sprintf("%s (%s, Holm p %s)", sliceName(r), sliceDelta(r), pval(r.PAdj)))
		e.fail(fmt.Sprintf("slice %s: %s %s vs %s (%s, Holm p %s; drop test of H0: no drop, and worse by more than %s)",
			sliceName(r), r.Metric, num(r.Challenger), num(r.Champion), sliceDelta(r), pval(r.PAdj), margin))
	}
	c.Value, c.Threshold = float64(len(failed)), 0
	rule := fmt.Sprintf("drop test (H0: the challenger is no worse on the slice, H1: it is worse): a slice fails when H0 is rejected at Holm-adjusted one-sided p < %g and it is worse by more than %s",
		alpha, margin)
	if ni {
		rule = fmt.Sprintf("noninferiority test (H0: drop ≥ %s, H1: drop < %s): a slice passes only when H0 is rejected at Holm-adjusted one-sided p < %g",
			margin, margin, alpha)
	}
	switch {
	case judged == 0:
		c.Detail = fmt.Sprintf("none of %d slices has %d rows or more, so none is judged; %s", len(e.rep.Slices), e.cfg.MinSliceRows, rule)
	case len(failed) > 0:
		c.Pass = false
		c.Detail = fmt.Sprintf("%d of %d judged slices fail: %s; %s", len(failed), judged, strings.Join(failed, ", "), rule)
	default:
		w := e.rep.Slices[worst]
		c.Detail = fmt.Sprintf("%d of %d slices judged, none fails; worst %s (%s, Holm p %s); %s",
			judged, len(e.rep.Slices), sliceName(w), sliceDelta(w), pval(w.PAdj), rule)
	}
	return c
}

// sliceDelta is a slice's challenger − champion: "−0.089", or for a loss
// "+0.887, lower is better".
func sliceDelta(r SliceResult) string {
	if LowerIsBetter(r.Metric) {
		return signed(r.Challenger-r.Champion) + ", lower is better"
	}
	return signed(r.Diff)
}

func (e *evaluation) calibrationCheck() Check {
	if e.in.Task == ml.TaskRegression {
		return skipped(CheckCalibration, "calibration is checked for classifiers only")
	}
	cal := e.rep.Calibration
	c := Check{Name: CheckCalibration, Value: cal.ChallengerECE, Threshold: e.cfg.MaxECE, Pass: cal.ChallengerECE <= e.cfg.MaxECE}
	what := "ECE"
	if cal.TopLabel {
		what = "top-label ECE (confidence against accuracy)"
	}
	c.Detail = fmt.Sprintf("%s %s (%d equal-width bins), at most %s", what, num(cal.ChallengerECE), CalibrationBins, num(e.cfg.MaxECE))
	if e.champ {
		c.Detail += "; champion " + num(cal.ChampionECE)
		// The bound guards against a badly calibrated newcomer; by default
		// one no worse than what serves does not fail it.
		if !c.Pass {
			switch {
			case e.cfg.StrictCalibration:
				c.Detail += "; strict: no exemption for a challenger no worse than the champion"
			case cal.ChallengerECE <= cal.ChampionECE:
				c.Pass = true
				c.Detail += "; above the bound but no worse than the champion"
			}
		}
	}
	if !c.Pass {
		e.fail(fmt.Sprintf("calibration: %s %s is above %s", what, num(cal.ChallengerECE), num(e.cfg.MaxECE)))
	}
	return c
}

func (e *evaluation) shiftCheck() Check {
	if !e.champ {
		return skipped(CheckScoreShift, noChampion)
	}
	v := e.rep.ScoreShift
	c := Check{Name: CheckScoreShift, Value: v, Threshold: e.cfg.MaxScoreShift, Pass: v <= e.cfg.MaxScoreShift}
	scores, bins := "scores", fmt.Sprintf("%d quantile bins of the champion's", ScoreBuckets)
	switch e.in.Task {
	case ml.TaskBinary:
		bins = fmt.Sprintf("%d equal-width bins of [0, 1]", ScoreBuckets)
	case ml.TaskMulticlass:
		scores = "top-label probabilities"
		bins = fmt.Sprintf("%d equal-width bins of [1/%d, 1]", ScoreBuckets, e.in.Classes)
	}
	c.Detail = fmt.Sprintf("PSI %s of the challenger's %s against the champion's (%s), at most %s", num(v), scores, bins, num(e.cfg.MaxScoreShift))
	// A shift is a sanity check, not a verdict on quality: by default,
	// scores that move because the challenger is significantly better
	// are explained.
	if !c.Pass && e.rep.Diff != nil && e.rep.Diff.PBetter < e.cfg.Alpha {
		if e.cfg.StrictScoreShift {
			c.Detail += fmt.Sprintf("; strict: not excused by the challenger being significantly better (p = %s)", num(e.rep.Diff.PBetter))
		} else {
			c.Pass = true
			c.Detail += fmt.Sprintf("; above it, but explained: the challenger is significantly better (p = %s)", num(e.rep.Diff.PBetter))
		}
	}
	if !c.Pass {
		e.fail(fmt.Sprintf("score shift: PSI %s between champion and challenger %s is above %s", num(v), scores, num(e.cfg.MaxScoreShift)))
	}
	return c
}

func (e *evaluation) sizeCheck() Check {
	b := e.in.ChallengerBytes
	if b == 0 {
		return skipped(CheckSize, "model size not given")
	}
	limit := float64(e.cfg.MaxModelBytes)
	c := Check{Name: CheckSize, Value: float64(b), Threshold: limit, Pass: b <= e.cfg.MaxModelBytes}
	c.Detail = fmt.Sprintf("%s, at most %s", bytesStr(float64(b)), bytesStr(limit))
	if !c.Pass {
		e.fail(fmt.Sprintf("model size %s is above %s", bytesStr(float64(b)), bytesStr(limit)))
	}
	return c
}

func (e *evaluation) latencyCheck() Check {
	v := e.in.ChallengerP99Micros
	if math.IsNaN(v) || v == 0 {
		return skipped(CheckLatency, "p99 latency not measured")
	}
	c := Check{Name: CheckLatency, Value: v, Threshold: e.cfg.MaxP99Micros, Pass: v <= e.cfg.MaxP99Micros}
	c.Detail = fmt.Sprintf("p99 %s, at most %s", micros(v), micros(e.cfg.MaxP99Micros))
	if !c.Pass {
		e.fail(fmt.Sprintf("p99 latency %s is above %s", micros(v), micros(e.cfg.MaxP99Micros)))
	}
	return c
}
