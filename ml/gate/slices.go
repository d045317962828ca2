package gate

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/freshet/freshet/ml"
)

// sliceDef is one slice of the holdout: its rows.
type sliceDef struct {
	feature, value string
	rows           []int32
}

// sliceDefs lists the categorical slices, column by column with values in
// natural order (numeric when every value is a number), then the score
// buckets. A column with more than MaxSliceValues values keeps its most
// frequent ones.
func (e *evaluation) sliceDefs() []sliceDef {
	var out []sliceDef
	for _, col := range e.in.Slices {
		byVal := map[string][]int32{}
		for i, v := range col.Values {
			byVal[v] = append(byVal[v], int32(i))
		}
		defs := make([]sliceDef, 0, len(byVal))
		for v, rows := range byVal {
			defs = append(defs, sliceDef{col.Name, v, rows})
		}
		if len(defs) > MaxSliceValues {
			slices.SortFunc(defs, func(a, b sliceDef) int {
				return cmp.Or(cmp.Compare(len(b.rows), len(a.rows)), cmp.Compare(a.value, b.value))
			})
			e.note(fmt.Sprintf("slice column %s has %d values; the %d most frequent are shown", col.Name, len(defs), MaxSliceValues))
			defs = defs[:MaxSliceValues]
		}
		numeric := true
		for _, d := range defs {
			if _, err := strconv.ParseFloat(d.value, 64); err != nil {
				numeric = false
				break
			}
		}
		slices.SortFunc(defs, func(a, b sliceDef) int {
			if numeric {
				x, _ := strconv.ParseFloat(a.value, 64)
				y, _ := strconv.ParseFloat(b.value, 64)
				if c := cmp.Compare(x, y); c != 0 {
					return c
				}
			}
			return cmp.Compare(a.value, b.value)
		})
		out = append(out, defs...)
	}
	score, feature := e.in.Challenger, "challenger_score"
	if e.champ {
		score, feature = e.in.Champion, "champion_score"
	}
	if e.in.Task == ml.TaskMulticlass {
		score, feature = e.confChal, "challenger_confidence"
		if e.champ {
			score, feature = e.confChamp, "champion_confidence"
		}
	}
	cuts := e.cuts
	buckets := make([][]int32, len(cuts)+1)
	for i, s := range score {
		b := binIndex(cuts, s)
		buckets[b] = append(buckets[b], int32(i))
	}
	for b, rows := range buckets {
		if len(rows) == 0 {
			continue
		}
		var rng string
		switch {
		case len(buckets) == 1:
			rng = "all scores"
		case b == 0:
			rng = "< " + short(cuts[0])
		case b == len(buckets)-1:
			rng = "≥ " + short(cuts[b-1])
		default:
			rng = short(cuts[b-1]) + "–" + short(cuts[b])
		}
		label := fmt.Sprintf("decile %d (%s)", b+1, rng)
		if len(buckets) != 10 {
			label = fmt.Sprintf("bucket %d of %d (%s)", b+1, len(buckets), rng)
		}
		out = append(out, sliceDef{feature, label, rows})
	}
	return out
}

// bucketFeatures are the Feature names of the score buckets, which a
// slice column may not take.
var bucketFeatures = []string{"champion_score", "challenger_score", "champion_confidence", "challenger_confidence"}

// sliceName is how reasons name a slice: "day=6".
func sliceName(r SliceResult) string {
	v := r.Value
	if v == "" {
		v = "(empty)"
	}
	return r.Feature + "=" + v
}

// delongPair is a slice's score orders for DeLong: challenger, champion.
type delongPair struct{ chal, champ order }

// sliceOrders returns, for each slice that DeLong will judge (auc, a
// champion, at least MinSliceRows rows and two of each class), the
// slice's score orders, restricted from the holdout's in one pass per
// slice column instead of sorted again; nil for the other slices.
func (e *evaluation) sliceOrders(defs []sliceDef) []*delongPair {
	out := make([]*delongPair, len(defs))
	if e.metric != ml.MetricAUC || !e.champ {
		return out
	}
	n := len(e.in.Labels)
	for lo := 0; lo < len(defs); {
		hi := lo
		for hi < len(defs) && defs[hi].feature == defs[lo].feature {
			hi++
		}
		var idx []int
		var groups [][]int32
		for i := lo; i < hi; i++ {
			if pos, neg := e.classes(defs[i].rows); len(defs[i].rows) >= e.cfg.MinSliceRows && pos >= 2 && neg >= 2 {
				idx = append(idx, i)
				groups = append(groups, defs[i].rows)
			}
		}
		if len(groups) > 0 {
			chal, champ := e.ordChal.restrict(n, groups), e.ordChamp.restrict(n, groups)
			for k, i := range idx {
				out[i] = &delongPair{chal[k], champ[k]}
			}
		}
		lo = hi
	}
	return out
}

// classes counts the positives and negatives among rows (binary).
func (e *evaluation) classes(rows []int32) (pos, neg int) {
	for _, i := range rows {
		if e.in.Labels[i] == 1 {
			pos++
		}
	}
	return pos, len(rows) - pos
}

// sliceResult computes the metric of one slice for both models and, when
// the slice is judged and its metric has its own test, the one-sided
// p-value: under "drop", DeLong's for auc and McNemar's exact binomial
// for accuracy; under "noninferiority", the normal test of the margin
// with DeLong's standard error (auc) or the paired proportions' (accuracy).
// boot reports that the p-value must come from the bootstrap. dp holds
// the slice's orders when DeLong judges it.
func (e *evaluation) sliceResult(d sliceDef, dp *delongPair, scratch *[]float64) (r SliceResult, boot bool) {
	r = SliceResult{Feature: d.feature, Value: d.value, N: len(d.rows), Metric: e.metric, P: 1, PAdj: 1, Pass: true}
	w := e.sc.width()
	y := make([]float64, len(d.rows))
	for k, i := range d.rows {
		y[k] = e.in.Labels[i]
	}
	if dp != nil {
		pos, neg := e.classes(d.rows)
		if len(*scratch) < 2*len(y) {
			*scratch = make([]float64, 2*len(y))
		}
		dl := delongOrders(y, dp.chal, dp.champ, pos, neg, *scratch)
		r.Challenger, r.Champion = dl.AUCA, dl.AUCB
		r.Diff = r.Challenger - r.Champion
		r.Judged, r.P = true, dl.PALess()
		if e.nonInferiority() {
			r.P = niP(r.Diff, e.cfg.SliceMargin, math.Sqrt(max(0, dl.VarA+dl.VarB-2*dl.Cov)))
		}
		return r, false
	}
	gather := func(s []float64) []float64 {
		out := make([]float64, len(d.rows)*w)
		for k, i := range d.rows {
			copy(out[k*w:(k+1)*w], s[int(i)*w:(int(i)+1)*w])
		}
		return out
	}
	chal := gather(e.in.Challenger)
	var champ []float64
	if e.champ {
		champ = gather(e.in.Champion)
	}
	if r.Metric == ml.MetricAUC {
		if pos, neg := e.classes(d.rows); pos < 2 || neg < 2 {
			r.Metric = ml.MetricAccuracy
			r.Note = fmt.Sprintf("%d positives and %d negatives: auc needs 2 of each, so accuracy at 0.5 is compared", pos, neg)
		}
	}
	sub := scorer{task: e.in.Task, classes: e.in.Classes, y: y}
	r.Challenger = sub.one(r.Metric, chal)
	if !e.champ {
		return r, false
	}
	r.Champion = sub.one(r.Metric, champ)
	r.Diff = sense(r.Metric) * (r.Challenger - r.Champion)
	if r.N < e.cfg.MinSliceRows {
		return r, false
	}
	r.Judged = true
	switch r.Metric {
	case ml.MetricAUC:
		// Unreachable: sliceOrders covers every judged auc slice.
		r.P = 1
	case ml.MetricAccuracy:
		m := mcnemarCorrect(sub.correct(champ), sub.correct(chal))
		r.P = m.PBWorse()
		if e.nonInferiority() {
			r.P = niP(r.Diff, e.cfg.SliceMargin, pairedPropSE(m.B, m.C, r.N))
		}
	default:
		return r, true
	}
	return r, false
}

// mcnemarCorrect is McNemar's test from per-row correctness of A and B.
func mcnemarCorrect(a, b []bool) McNemarResult {
	var nb, nc int
	for i := range a {
		switch {
		case a[i] && !b[i]:
			nb++
		case b[i] && !a[i]:
			nc++
		}
	}
	return mcnemarCounts(nb, nc)
}
