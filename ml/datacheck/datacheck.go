package datacheck

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/freshet/freshet/ml"
)

// Check names, in the order Run records them.
const (
	CheckSchema       = "schema"
	CheckMinRows      = "min_rows"
	CheckLabels       = "labels"
	CheckLabelBalance = "label_balance"
	CheckMissing      = "missing"
	CheckRange        = "range"
)

// Defaults for zero fields of ml.ValidationConfig, as in
// ml.PolicyConfig.WithDefaults.
const (
	DefaultMaxMissing    = 0.3
	DefaultMaxOutOfRange = 0.5
	DefaultMinMinority   = 0.01
	// NoReferenceMaxMissing is the least missing-value limit of a feature
	// without a reference: a first model may have sparse features, so
	// only a nearly empty one fails.
	NoReferenceMaxMissing = 0.95
	// RangeMargin widens the reference range by this share of its span on
	// each side.
	RangeMargin = 0.1
)

// eps absorbs rounding in rate comparisons, so that 32% missing against a
// reference of 2% and a limit of 30 points passes.
const eps = 1e-9

// Column is one feature of the training window, in the model's feature
// order; NaN is a missing value. A categorical feature holds category
// codes.
type Column struct {
	Name        string
	Categorical bool
	Values      []float64
}

// RefColumn summarises one feature of the champion's training rows.
type RefColumn struct {
	Name        string `json:"name"`
	Categorical bool   `json:"categorical,omitempty"`
	// Min and Max are the smallest and largest finite values (0 when N is
	// 0).
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	// Missing is the share of rows that were missing (NaN).
	Missing float64 `json:"missing"`
	// Categories are the codes seen, ascending (categorical features).
	Categories []float64 `json:"categories,omitempty"`
	// N is the number of finite values Min, Max and Categories come from;
	// 0 means the reference has no range to compare with.
	N int `json:"n"`
}

// Input is a training window to validate.
type Input struct {
	Task    ml.Task
	Classes int // the number of classes of a multiclass model
	// Features are the window's feature columns, in the model's order.
	Features []Column
	Labels   []float64
	// Reference summarises the champion's training rows; nil for a first
	// model. A feature is compared with the reference column of the same
	// name and kind (numeric or categorical).
	Reference []RefColumn
	// MinRows is the fewest rows the window needs (0: ml.DefaultMinRows).
	MinRows int
}

// Check is one validation, passed or failed. Value is what was measured
// and Limit the bound it was held to: the schema and labels checks count
// problems against a limit of 0, min_rows counts rows, the others are
// shares in [0, 1]. Both are always finite.
type Check struct {
	Name    string  `json:"name"`
	Feature string  `json:"feature,omitempty"`
	Pass    bool    `json:"pass"`
	Value   float64 `json:"value"`
	Limit   float64 `json:"limit"`
	// Message says what was found, in words, pass or fail.
	Message string `json:"message"`
}

// Report is the outcome of Run: OK when every check passed.
type Report struct {
	OK     bool    `json:"ok"`
	Checks []Check `json:"checks"`
}

// Failures are the checks that failed, in order.
func (r Report) Failures() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.Pass {
			out = append(out, c)
		}
	}
	return out
}

// maxListed is how many failures Error spells out.
const maxListed = 6

// Error is nil when the report is OK, and otherwise an *ml.Error with
// code ml.EINVALID listing the failures, the first few in full: "data
// validation failed: only 120 rows (minimum 200); feature nswprice is 64%
// missing (reference 2%, limit +30 points)".
func (r Report) Error() error {
	if r.OK {
		return nil
	}
	fails := r.Failures()
	if len(fails) == 0 {
		return ml.Errorf(ml.EINVALID, "data validation failed: no checks ran")
	}
	msgs := make([]string, 0, min(len(fails), maxListed)+1)
	for _, c := range fails[:min(len(fails), maxListed)] {
		msgs = append(msgs, c.Message)
	}
	if len(fails) > maxListed {
		msgs = append(msgs, fmt.Sprintf("and %d more", len(fails)-maxListed))
	}
	return ml.Errorf(ml.EINVALID, "data validation failed: %s", strings.Join(msgs, "; "))
}

// Run validates a training window. Zero (or invalid) fields of cfg take
// the defaults. The checks, each recorded pass or fail, in this order:
//
//   - schema: every feature has one value per label, names are unique,
//     and with a reference the features match it in number, names, order
//     and kind.
//   - min_rows: at least MinRows labels.
//   - labels: every label is valid for the task: 0 or 1 (binary), an
//     integer code in [0, Classes) (multiclass), a finite number
//     (regression). NaN is never valid. Row numbers in messages are
//     indexes into Labels.
//   - label_balance (binary and multiclass): the rarest class, among all
//     the task's classes, has at least MinMinority of the valid labels;
//     a class with no labels fails it, so a window of one class fails.
//   - missing, per feature: with a reference, the missing rate exceeds
//     the reference's by at most MaxMissing; without one, it is at most
//     max(MaxMissing, NoReferenceMaxMissing). A feature with every value
//     missing always fails.
//   - range, per feature with a reference that has values: at most
//     MaxOutOfRange of the present values lie outside the reference's
//     [Min, Max] widened by RangeMargin of its span each side
//     (numeric), or are codes the reference never saw (categorical).
//     Infinite values are out of range.
func Run(cfg ml.ValidationConfig, in Input) Report {
	cfg = withDefaults(cfg)
	minRows := in.MinRows
	if minRows <= 0 {
		minRows = ml.DefaultMinRows
	}
	checks := make([]Check, 0, 4+2*len(in.Features))
	checks = append(checks, schema(in), minRowsCheck(len(in.Labels), minRows))
	lc, counts := labels(in)
	checks = append(checks, lc)
	if counts != nil {
		checks = append(checks, balance(counts, cfg.MinMinority))
	}

	var refs map[string]*RefColumn
	if in.Reference != nil {
		refs = make(map[string]*RefColumn, len(in.Reference))
		for i := range in.Reference {
			if _, dup := refs[in.Reference[i].Name]; !dup {
				refs[in.Reference[i].Name] = &in.Reference[i]
			}
		}
	}
	for _, f := range in.Features {
		ref := refs[f.Name]
		if ref != nil && ref.Categorical != f.Categorical {
			ref = nil
		}
		checks = append(checks, feature(cfg, f, ref)...)
	}

	r := Report{OK: true, Checks: checks}
	for _, c := range checks {
		r.OK = r.OK && c.Pass
	}
	return r
}

func withDefaults(cfg ml.ValidationConfig) ml.ValidationConfig {
	if !(cfg.MaxMissing > 0 && cfg.MaxMissing <= 1) {
		cfg.MaxMissing = DefaultMaxMissing
	}
	if !(cfg.MaxOutOfRange > 0 && cfg.MaxOutOfRange <= 1) {
		cfg.MaxOutOfRange = DefaultMaxOutOfRange
	}
	if !(cfg.MinMinority > 0 && cfg.MinMinority <= 1) {
		cfg.MinMinority = DefaultMinMinority
	}
	return cfg
}

// maxProblems is how many schema problems a message names.
const maxProblems = 3

func schema(in Input) Check {
	var problems []string
	count := 0
	note := func(format string, args ...any) {
		count++
		if len(problems) < maxProblems {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	if len(in.Features) == 0 {
		note("the window has no features")
	}
	seen := make(map[string]bool, len(in.Features))
	for _, f := range in.Features {
		if len(f.Values) != len(in.Labels) {
			note("feature %s has %s for %s", f.Name, plural(len(f.Values), "value"), plural(len(in.Labels), "label"))
		}
		if seen[f.Name] {
			note("feature %s appears twice", f.Name)
		}
		seen[f.Name] = true
	}
	if in.Reference != nil {
		if len(in.Features) != len(in.Reference) {
			note("the window has %s, the reference %d", plural(len(in.Features), "feature"), len(in.Reference))
		}
		for i := range min(len(in.Features), len(in.Reference)) {
			f, r := in.Features[i], in.Reference[i]
			switch {
			case f.Name != r.Name:
				note("feature %d is %s where the reference has %s", i+1, f.Name, r.Name)
			case f.Categorical != r.Categorical:
				note("feature %s is %s, %s in the reference", f.Name, kind(f.Categorical), kind(r.Categorical))
			}
		}
	}
	c := Check{Name: CheckSchema, Pass: count == 0, Value: float64(count)}
	switch {
	case count > 0:
		if count > len(problems) {
			problems = append(problems, fmt.Sprintf("and %d more", count-len(problems)))
		}
		c.Message = "schema: " + strings.Join(problems, ", ")
	case in.Reference != nil:
		verb := "match"
		if len(in.Features) == 1 {
			verb = "matches"
		}
		c.Message = fmt.Sprintf("%s %s the reference", plural(len(in.Features), "feature"), verb)
	default:
		c.Message = fmt.Sprintf("%s, no reference to compare", plural(len(in.Features), "feature"))
	}
	return c
}

func kind(categorical bool) string {
	if categorical {
		return "categorical"
	}
	return "numeric"
}

func minRowsCheck(n, minRows int) Check {
	c := Check{Name: CheckMinRows, Pass: n >= minRows, Value: float64(n), Limit: float64(minRows)}
	if c.Pass {
		c.Message = fmt.Sprintf("%s (minimum %s)", plural(n, "row"), group(minRows))
	} else {
		c.Message = fmt.Sprintf("only %s (minimum %s)", plural(n, "row"), group(minRows))
	}
	return c
}

// labels checks the labels and, for a classifier, counts the valid ones
// per class (nil for regression or when the classes are unknown).
func labels(in Input) (Check, []int) {
	c := Check{Name: CheckLabels}
	var valid func(float64) bool
	var one, what string // "a finite number", "finite numbers"
	var counts []int
	switch in.Task {
	case ml.TaskBinary:
		valid = func(v float64) bool { return v == 0 || v == 1 }
		one, what = "0 or 1", "0 or 1"
		counts = make([]int, 2)
	case ml.TaskMulticlass:
		if in.Classes < 2 {
			c.Value = 1
			c.Message = fmt.Sprintf("labels: a multiclass model needs at least 2 classes, not %d", in.Classes)
			return c, nil
		}
		k := float64(in.Classes)
		valid = func(v float64) bool { return v >= 0 && v < k && v == math.Trunc(v) }
		one = fmt.Sprintf("a class code 0 to %d", in.Classes-1)
		what = fmt.Sprintf("class codes 0 to %d", in.Classes-1)
		counts = make([]int, in.Classes)
	case ml.TaskRegression:
		valid = func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
		one, what = "a finite number", "finite numbers"
	default:
		c.Value = 1
		c.Message = fmt.Sprintf("labels: unknown task %q: use binary, multiclass or regression", in.Task)
		return c, nil
	}
	bad, first := 0, -1
	for i, v := range in.Labels {
		if !valid(v) {
			if bad == 0 {
				first = i
			}
			bad++
			continue
		}
		if counts != nil {
			counts[int(v)]++
		}
	}
	c.Value = float64(bad)
	c.Pass = bad == 0
	switch {
	case bad == 1:
		c.Message = fmt.Sprintf("1 label is not %s (row %d: %v)", one, first, in.Labels[first])
	case bad > 1:
		c.Message = fmt.Sprintf("%s labels are not %s (first at row %d: %v)", group(bad), what, first, in.Labels[first])
	default:
		c.Message = fmt.Sprintf("%s, all %s", plural(len(in.Labels), "label"), what)
	}
	return c, counts
}

// balance checks the rarest class's share of the valid labels.
func balance(counts []int, minMinority float64) Check {
	c := Check{Name: CheckLabelBalance, Limit: minMinority}
	total, present, rarest := 0, 0, 0
	for k, n := range counts {
		total += n
		if n > 0 {
			present++
		}
		if n < counts[rarest] {
			rarest = k
		}
	}
	if total == 0 {
		c.Message = "no valid labels to balance"
		return c
	}
	c.Value = float64(counts[rarest]) / float64(total)
	c.Pass = present > 1 && c.Value >= minMinority-eps
	switch {
	case present == 1:
		only := slices.IndexFunc(counts, func(n int) bool { return n > 0 })
		c.Message = fmt.Sprintf("all %s are class %d", plural(total, "valid label"), only)
	case counts[rarest] == 0:
		c.Message = fmt.Sprintf("class %d has no labels (minimum %s)", rarest, pct(minMinority))
	case !c.Pass:
		c.Message = fmt.Sprintf("class %d is only %s of labels (minimum %s)", rarest, pct(c.Value), pct(minMinority))
	default:
		c.Message = fmt.Sprintf("the rarest class %d is %s of labels (minimum %s)", rarest, pct(c.Value), pct(minMinority))
	}
	return c
}

// feature runs the missing and range checks of one feature in one pass.
func feature(cfg ml.ValidationConfig, f Column, ref *RefColumn) []Check {
	in := newRangeTest(ref)
	missing, out, firstOut := scan(f.Values, in)
	n := len(f.Values)
	checks := []Check{missingCheck(cfg, f.Name, n, missing, ref)}
	switch {
	case ref == nil:
	case in == nil:
		checks = append(checks, Check{Name: CheckRange, Feature: f.Name, Pass: true, Limit: cfg.MaxOutOfRange,
			Message: fmt.Sprintf("feature %s: range not checked, the reference has no values", f.Name)})
	default:
		checks = append(checks, rangeCheck(cfg, f, ref, n-missing, out, firstOut))
	}
	return checks
}

// scan counts the missing values and, given a range test, the present
// values outside it, with the first of those. Each kind of test has its
// own loop: this is the hot path of Run.
func scan(values []float64, in *rangeTest) (missing, out int, firstOut float64) {
	firstOut = math.NaN()
	switch {
	case in == nil:
		for _, v := range values {
			if v != v {
				missing++
			}
		}
		return missing, 0, firstOut
	case !in.cat:
		lo, hi := in.lo, in.hi
		for _, v := range values {
			switch {
			case v != v:
				missing++
			case v < lo || v > hi:
				if out == 0 {
					firstOut = v
				}
				out++
			}
		}
	case in.table != nil:
		table := in.table
		size := float64(len(table))
		for _, v := range values {
			switch {
			case v != v:
				missing++
			case !(v >= 0 && v < size && v == math.Trunc(v) && table[int(v)]):
				if out == 0 {
					firstOut = v
				}
				out++
			}
		}
	default:
		for _, v := range values {
			if v != v {
				missing++
				continue
			}
			if _, ok := in.set[v]; !ok {
				if out == 0 {
					firstOut = v
				}
				out++
			}
		}
	}
	return missing, out, firstOut
}

func missingCheck(cfg ml.ValidationConfig, name string, n, missing int, ref *RefColumn) Check {
	c := Check{Name: CheckMissing, Feature: name}
	if n == 0 {
		c.Pass = true
		c.Message = fmt.Sprintf("feature %s has no rows", name)
		return c
	}
	rate := float64(missing) / float64(n)
	c.Value = rate
	var bound string
	if ref != nil {
		refRate := ref.Missing
		if !(refRate >= 0) {
			refRate = 0
		}
		refRate = min(refRate, 1)
		c.Limit = min(refRate+cfg.MaxMissing, 1)
		bound = fmt.Sprintf("reference %s, limit +%s points", pct(refRate), points(cfg.MaxMissing))
	} else {
		c.Limit = max(cfg.MaxMissing, NoReferenceMaxMissing)
		bound = fmt.Sprintf("limit %s without a reference", pct(c.Limit))
	}
	c.Pass = missing < n && rate <= c.Limit+eps
	c.Message = fmt.Sprintf("feature %s is %s missing (%s)", name, pct(rate), bound)
	return c
}

func rangeCheck(cfg ml.ValidationConfig, f Column, ref *RefColumn, present, out int, firstOut float64) Check {
	c := Check{Name: CheckRange, Feature: f.Name, Limit: cfg.MaxOutOfRange}
	if present > 0 {
		c.Value = float64(out) / float64(present)
	}
	c.Pass = c.Value <= c.Limit+eps
	if f.Categorical {
		c.Message = fmt.Sprintf("feature %s has %s of codes unknown to the reference", f.Name, pct(c.Value))
		if out > 0 {
			c.Message += fmt.Sprintf(", first %v", firstOut)
		}
		c.Message += fmt.Sprintf(" (%s; limit %s)", plural(len(ref.Categories), "known code"), pct(c.Limit))
		return c
	}
	c.Message = fmt.Sprintf("feature %s has %s of values outside the reference range %s to %s (±%s; limit %s)",
		f.Name, pct(c.Value), num(ref.Min), num(ref.Max), pct(RangeMargin), pct(c.Limit))
	return c
}

// rangeTest tells values inside a reference's range or categories.
type rangeTest struct {
	lo, hi float64 // numeric: the widened range
	table  []bool  // categorical codes 0..len-1, when all are small
	set    map[float64]struct{}
	cat    bool
}

// maxTable bounds the codes a lookup table holds.
const maxTable = 1 << 16

// newRangeTest is nil when there is no reference or it has no values.
func newRangeTest(ref *RefColumn) *rangeTest {
	if ref == nil || ref.N <= 0 {
		return nil
	}
	if ref.Categorical {
		if len(ref.Categories) == 0 {
			return nil
		}
		t := &rangeTest{cat: true}
		small := true
		top := 0.0
		for _, c := range ref.Categories {
			if !(c >= 0 && c < maxTable && c == math.Trunc(c)) {
				small = false
				break
			}
			top = max(top, c)
		}
		if small {
			t.table = make([]bool, int(top)+1)
			for _, c := range ref.Categories {
				t.table[int(c)] = true
			}
		} else {
			t.set = make(map[float64]struct{}, len(ref.Categories))
			for _, c := range ref.Categories {
				t.set[c] = struct{}{}
			}
		}
		return t
	}
	if math.IsNaN(ref.Min) || math.IsNaN(ref.Max) || math.IsInf(ref.Min, 0) || math.IsInf(ref.Max, 0) || ref.Min > ref.Max {
		return nil
	}
	span := ref.Max - ref.Min
	return &rangeTest{lo: ref.Min - RangeMargin*span, hi: ref.Max + RangeMargin*span}
}

// ReferenceOf summarises the champion's training rows, one RefColumn per
// column, for later windows to be checked against. Min and Max cover the
// finite values; Categories, for categorical columns, are the distinct
// finite codes in ascending order.
func ReferenceOf(cols []Column) []RefColumn {
	refs := make([]RefColumn, len(cols))
	for i, col := range cols {
		r := RefColumn{Name: col.Name, Categorical: col.Categorical}
		missing := 0
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range col.Values {
			switch {
			case v != v:
				missing++
			case math.IsInf(v, 0):
			default:
				if v < lo {
					lo = v
				}
				if v > hi {
					hi = v
				}
				r.N++
			}
		}
		if r.N > 0 {
			r.Min, r.Max = lo, hi
		}
		if len(col.Values) > 0 {
			r.Missing = float64(missing) / float64(len(col.Values))
		}
		if col.Categorical && r.N > 0 {
			r.Categories = categories(col.Values, lo, hi)
		}
		refs[i] = r
	}
	return refs
}

// categories lists the distinct finite values, ascending: from a table
// when every value is a whole number in [0, maxTable), else by sorting a
// copy. lo and hi are the smallest and largest finite values.
func categories(values []float64, lo, hi float64) []float64 {
	if lo >= 0 && hi < maxTable {
		seen := make([]bool, int(hi)+1)
		k := 0
		whole := true
		for _, v := range values {
			if v >= 0 && v <= hi { // finite, present
				if v != math.Trunc(v) {
					whole = false
					break
				}
				if !seen[int(v)] {
					seen[int(v)] = true
					k++
				}
			}
		}
		if whole {
			out := make([]float64, 0, k)
			for c, ok := range seen {
				if ok {
					out = append(out, float64(c))
				}
			}
			return out
		}
	}
	out := make([]float64, 0, len(values))
	for _, v := range values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// pct writes a share as a percentage for people: 64%, 0.4%, 99.5%,
// <0.1%; never 0% or 100% unless exactly so.
func pct(x float64) string {
	v := x * 100
	switch {
	case v == 0 || v == 100:
		return fmt.Sprintf("%.0f%%", v)
	case v < 0.1:
		return "<0.1%"
	case v > 99.9 && v < 100:
		return ">99.9%"
	case v < 1 || (v > 99 && v < 100):
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	default:
		return strconv.FormatFloat(v, 'f', 0, 64) + "%"
	}
}

// points writes a share as percentage points: 0.3 is "30".
func points(x float64) string {
	return strconv.FormatFloat(math.Round(x*1000)/10, 'f', -1, 64)
}

func num(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }

// plural is "1 row", "4,704 rows".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return group(n) + " " + noun + "s"
}

// group writes n with thousands separators: 4,704.
func group(n int) string {
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
