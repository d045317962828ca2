package window

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/freshet/freshet/ml"
)

// Selection is the rows a retrain learns from and the rows it holds out,
// as indexes into the times given to Select.
type Selection struct {
	// Lo and Hi bound the training rows [Lo, Hi).
	Lo, Hi int
	// HoldoutLo starts the held-out rows [HoldoutLo, len(times)): the
	// newest HoldoutFrac of the window [Lo, len(times)), at least one row
	// when the window has two or more. It always equals Hi, so held-out
	// rows are never trained on.
	HoldoutLo int
	// Weights holds one weight per training row (len Hi-Lo), with mean 1,
	// for a recency_weighted window; it is nil for the other rules.
	Weights []float64
	// Why says which rows the rule chose, for people: "sliding window: the
	// newest 4,704 rows (2026-01-05 – 2026-03-02)". It does not mention
	// the holdout.
	Why string
}

const msPerDay = 86_400_000

// Select applies the data-window rule w to a model's labeled rows, given
// by their times in Unix milliseconds in ascending order (ties allowed).
// Zero fields of w take the defaults of ml.PolicyConfig.WithDefaults: an
// expanding window, ml.DefaultMinRows and ml.DefaultHoldoutFrac (so a zero
// HoldoutFrac still holds out 10%).
//
// The rules:
//
//   - expanding: every row.
//   - sliding_rows: the newest w.Rows rows.
//   - sliding_days: the rows at most w.Days days older than the newest row
//     (time ≥ newest − Days days).
//   - drift_aware: the rows at or after changePoint (Unix ms, as from
//     ChangePoint); changePoint ≤ 0 means no change point was found, and
//     the window is then expanding.
//   - recency_weighted: every row, each training row weighted by
//     0.5^(age/half-life), its age measured from the newest training row;
//     the weights are scaled to mean 1, and a row older than about 1,000
//     half-lives weighs 0.
//
// A rule that selects fewer than w.MinRows rows is widened to the newest
// MinRows rows, and Why says so. The holdout is the newest rows of the
// window, never the rows before it, so training rows count MinRows minus
// the holdout at the least.
//
// Select returns an *ml.Error with code ml.EINVALID when the history has
// fewer than MinRows rows, when times decrease, or when w is invalid (an
// unknown kind, a sliding_rows window without rows, negative sizes, a
// holdout fraction outside [0, 0.9)).
func Select(w ml.DataWindow, times []int64, changePoint int64) (Selection, error) {
	w, err := withDefaults(w)
	if err != nil {
		return Selection{}, err
	}
	n := len(times)
	for i := 1; i < n; i++ {
		if times[i] < times[i-1] {
			return Selection{}, ml.Errorf(ml.EINVALID, "labeled rows are not in time order: row %d (%s) is older than row %d (%s)",
				i, stamp(times[i]), i-1, stamp(times[i-1]))
		}
	}
	if n < w.MinRows {
		if n == 0 {
			return Selection{}, ml.Errorf(ml.EINVALID, "no labeled rows; the window needs at least %s", count(w.MinRows))
		}
		return Selection{}, ml.Errorf(ml.EINVALID, "only %s; the window needs at least %s", rows(n, "labeled row"), count(w.MinRows))
	}

	var lo int
	var why string
	switch w.Kind {
	case ml.WindowExpanding:
		why = fmt.Sprintf("expanding window: all %s (%s)", rows(n, "row"), dates(times, 0))
	case ml.WindowRecencyWeighted:
		why = fmt.Sprintf("recency-weighted: all %s, half-life %s (%s)", rows(n, "row"), days(w.HalfLifeDays), dates(times, 0))
	case ml.WindowSlidingRows:
		switch {
		case w.Rows >= n:
			why = fmt.Sprintf("sliding window: all %s, fewer than the %s asked (%s)", rows(n, "row"), count(w.Rows), dates(times, 0))
		case w.Rows < w.MinRows:
			lo = n - w.MinRows
			why = fmt.Sprintf("sliding window: %s asked, below the minimum %s; widened to the newest %s (%s)",
				rows(w.Rows, "row"), count(w.MinRows), rows(w.MinRows, "row"), dates(times, lo))
		default:
			lo = n - w.Rows
			why = fmt.Sprintf("sliding window: the newest %s (%s)", rows(n-lo, "row"), dates(times, lo))
		}
	case ml.WindowSlidingDays:
		lo = sinceDays(times, w.Days)
		if got := n - lo; got < w.MinRows {
			lo = n - w.MinRows
			why = fmt.Sprintf("sliding window: the last %s hold %s; widened to the minimum %s (%s)",
				days(w.Days), rows(got, "row"), count(w.MinRows), dates(times, lo))
		} else {
			why = fmt.Sprintf("sliding window: the last %s, %s (%s)", days(w.Days), rows(got, "row"), dates(times, lo))
		}
	case ml.WindowDriftAware:
		if changePoint <= 0 {
			why = fmt.Sprintf("drift-aware: no change point found; all %s (%s)", rows(n, "row"), dates(times, 0))
			break
		}
		lo, _ = slices.BinarySearch(times, changePoint)
		if got := n - lo; got < w.MinRows {
			lo = n - w.MinRows
			why = fmt.Sprintf("drift-aware: the change point %s leaves %s; widened to the minimum %s",
				day(changePoint), rows(got, "row"), count(w.MinRows))
		} else {
			why = fmt.Sprintf("drift-aware: rows since the change point %s (%s)", day(changePoint), rows(got, "row"))
		}
	}

	// The holdout: the newest HoldoutFrac of the window, at least one row
	// when there are two, never all of them.
	m := n - lo
	h := 0
	if m >= 2 {
		h = int(math.Floor(w.HoldoutFrac*float64(m) + 1e-9))
		h = min(max(h, 1), m-1)
	}
	s := Selection{Lo: lo, Hi: n - h, HoldoutLo: n - h, Why: why}
	if w.Kind == ml.WindowRecencyWeighted {
		s.Weights = recencyWeights(times[s.Lo:s.Hi], w.HalfLifeDays*msPerDay)
	}
	return s, nil
}

// withDefaults fills w's zero fields and checks it, with the messages of
// the policy validation.
func withDefaults(w ml.DataWindow) (ml.DataWindow, error) {
	bad := func(format string, args ...any) (ml.DataWindow, error) {
		return w, ml.Errorf(ml.EINVALID, "policy "+format, args...)
	}
	if w.Kind == "" {
		w.Kind = ml.WindowExpanding
	}
	if w.MinRows == 0 {
		w.MinRows = ml.DefaultMinRows
	}
	if w.HoldoutFrac == 0 {
		w.HoldoutFrac = ml.DefaultHoldoutFrac
	}
	switch w.Kind {
	case ml.WindowExpanding, ml.WindowDriftAware:
	case ml.WindowSlidingRows:
		if w.Rows < 1 {
			return bad("window.rows %d: a sliding_rows window needs rows ≥ 1", w.Rows)
		}
	case ml.WindowSlidingDays:
		if !(w.Days > 0) {
			return bad("window.days %v: a sliding_days window needs days > 0", w.Days)
		}
	case ml.WindowRecencyWeighted:
		if !(w.HalfLifeDays > 0) {
			return bad("window.half_life_days %v: a recency_weighted window needs a half-life > 0", w.HalfLifeDays)
		}
	default:
		return bad("window.kind %q: use expanding, sliding_rows, sliding_days, drift_aware or recency_weighted", w.Kind)
	}
	if w.MinRows < 0 {
		return bad("window.min_rows %d: sizes cannot be negative", w.MinRows)
	}
	if !(w.HoldoutFrac >= 0 && w.HoldoutFrac < 0.9) {
		return bad("window.holdout_frac %v: use 0 to 0.9", w.HoldoutFrac)
	}
	return w, nil
}

// sinceDays is the first row at most d days older than the newest.
func sinceDays(times []int64, d float64) int {
	newest := times[len(times)-1]
	// t ≥ newest − ms ⇔ t ≥ newest − ⌊ms⌋ for whole milliseconds t.
	ms := math.Floor(d * msPerDay)
	if ms >= 1<<62 || newest < math.MinInt64+int64(ms) {
		return 0 // reaches before any representable time
	}
	lo, _ := slices.BinarySearch(times, newest-int64(ms))
	return lo
}

// recencyWeights weighs each row by 0.5^(age/halfLife), its age taken from
// the newest row, and scales the weights to mean 1. The newest row weighs
// 1 before scaling, so the sum is never 0.
func recencyWeights(times []int64, halfLifeMS float64) []float64 {
	ws := make([]float64, len(times))
	if len(times) == 0 {
		return ws
	}
	ref := float64(times[len(times)-1])
	k := math.Ln2 / halfLifeMS // 0.5^(age/h) = e^(−age·ln2/h)
	sum := 0.0
	for i, t := range times {
		x := 1.0 // the newest rows, even when k overflows to +Inf
		if age := ref - float64(t); age > 0 {
			x = math.Exp(-age * k)
		}
		ws[i] = x
		sum += x
	}
	scale := float64(len(ws)) / sum
	for i := range ws {
		ws[i] *= scale
	}
	return ws
}

// ChangePoint is where the newest drift began: the start of the earliest
// window in the newest run of consecutive flagged windows, whether or not
// that run is still going on (a later unflagged window does not undo a
// change). It reports false when no window is flagged; pass 0 to Select
// then.
//
// starts and flagged describe the same windows in time order (starts in
// Unix ms); extra elements of the longer slice are ignored.
func ChangePoint(starts []int64, flagged []bool) (int64, bool) {
	j := min(len(starts), len(flagged)) - 1
	for j >= 0 && !flagged[j] {
		j--
	}
	if j < 0 {
		return 0, false
	}
	for j > 0 && flagged[j-1] {
		j--
	}
	return starts[j], true
}

// dates is the span of the rows from lo to the newest, as UTC dates.
func dates(times []int64, lo int) string {
	return day(times[lo]) + " – " + day(times[len(times)-1])
}

func day(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02") }

func stamp(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05.000") }

// days is "1 day", "30 days", "0.5 days".
func days(d float64) string {
	if d == 1 {
		return "1 day"
	}
	return strconv.FormatFloat(d, 'g', -1, 64) + " days"
}

// rows is "1 row", "4,704 rows".
func rows(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return count(n) + " " + noun + "s"
}

// count writes n with thousands separators: 4,704.
func count(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
