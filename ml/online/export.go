package online

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Export to LightGBM text.
//
// Every prediction in freshet goes through leaves, so a Model is served as
// a LightGBM tree ensemble: one tree per column whose contribution is not
// constant, with the intercept (and any constant contribution) added to
// the first tree's leaves. A tree's leaves are the column's contribution
// to the margin on consecutive intervals of its raw value, so the sum of
// the trees is FTRL's margin and objective "binary sigmoid:1" turns it
// into PredictOne's probability.
//
// Every split is numerical, "x <= threshold goes left", with decision_type
// 10: bits 2-3 = 2 make NaN "missing", and bit 1 sends it left. Leaf 0 is
// the leftmost interval at every level of the tree, so NaN ends in leaf 0,
// which always holds the column's value for a missing input.
const (
	// exportTargetError is the bound on the total margin error that the
	// numeric step counts aim for.
	exportTargetError = 1e-3
	// exportMinSteps and exportMaxSteps bound the number of equal steps
	// between -Clip and +Clip in a numeric column's tree. With the two
	// clipped outer leaves that is 255..4094 leaves for present values,
	// and with the two missing leaves at most 4096 in all.
	exportMinSteps = 253
	exportMaxSteps = 4092
	// exportMaxCodes bounds the codes listed for one categorical column:
	// 2n+1 leaves stay within modelfile's default MaxLeaves (1<<20).
	exportMaxCodes = 1 << 18
	// exportDecisionType is LightGBM's decision_type for a numerical split
	// with missing type NaN (2<<2) and NaN going left (1<<1).
	exportDecisionType = 2<<2 | 1<<1
)

// ErrExport is wrapped by every error of LightGBMText and
// LightGBMTextWithCodes.
var ErrExport = errors.New("online: cannot export")

// LightGBMText is LightGBMTextWithCodes(names, nil): it exports a model
// without categorical columns.
func (m *Model) LightGBMText(names []string) ([]byte, error) {
	return m.LightGBMTextWithCodes(names, nil)
}

// LightGBMTextWithCodes writes the model as a LightGBM text model
// (version v3, objective "binary sigmoid:1") that leaves loads with
// LGEnsembleFromReader(r, true) and ml/modelfile loads with Load. Its
// prediction equals PredictOne's up to the approximation of numeric
// columns below.
//
// names are the feature names, one per schema column, or nil for
// Column_0, Column_1, …; characters the format cannot carry (white space,
// control characters, '=') become '_'.
//
// A numeric column j contributes w_j·clip((x-mean_j)/sd_j, ±Clip) for a
// present x, so it needs Config.Clip > 0: a tree cannot represent an
// unbounded linear term, and the export fails for a schema with numeric
// columns and no Clip. Its tree holds that function as a step function
// with n equal steps in standardised units between -Clip and +Clip, each
// step taking the function's value at its midpoint, plus two outer leaves
// that take the clipped values ±w_j·Clip exactly. A step's error is at
// most half its width times |w_j|, so the column's margin error is at most
//
//	|w_j|·Clip/n_j.
//
// The step counts are chosen together, n_j ∝ sqrt(|w_j|·Clip), so that
// the sum of these bounds over all numeric columns is at most 1e-3 of
// margin, within 253 ≤ n_j ≤ 4092 (255 to 4094 leaves for present values,
// about 220 KB of text for a full tree). The target needs at least
// Σ_j |w_j|·Clip ≤ 4.09; a larger model has columns at the cap and a
// margin error of at most Σ_j |w_j|·Clip/n_j (with Clip 3 and
// standardised weights near 1, about 7e-4 a column; the probability's
// error is at most a quarter of the margin's).
//
// Missing values (NaN and ±Inf, as in PredictOne) take the column's
// missing weight exactly: NaN by the splits' missing-value rule, ±Inf
// through the outermost thresholds ±math.MaxFloat64. LightGBM thresholds
// must be finite, so the single value -math.MaxFloat64 is also treated as
// missing. A column with zero weights, or one that has not yet seen two
// distinct values (it has no scale, and PredictOne standardises every
// value to 0), gets a tree only for its missing weight, or none.
//
// A categorical column is hashed into buckets, so the model cannot list
// its codes: codes[j] lists the codes of categorical column j to export
// (freshet's codes are 0..n-1). Each listed code gets exactly its bucket's
// weight, by a pair of thresholds that isolate it; every other value
// (NaN, and codes not listed, which PredictOne would hash to some bucket,
// usually an untrained one) gets the weight PredictOne gives NaN. Every
// categorical column must have an entry in codes (an empty list exports
// the column as always missing); NaN entries are ignored, -0 is 0, and
// codes must be finite and above -math.MaxFloat64.
//
// The output depends only on the model, names and codes: the same model
// always gives the same bytes.
func (m *Model) LightGBMTextWithCodes(names []string, codes map[int][]float64) ([]byte, error) {
	f := len(m.slot)
	if names != nil && len(names) != f {
		return nil, fmt.Errorf("%w: %d feature names for %d columns", ErrExport, len(names), f)
	}
	trees, intercept, _, err := m.exportTrees(codes)
	if err != nil {
		return nil, err
	}
	return exportText(trees, intercept, exportNames(names, f)), nil
}

// exportTree is one column's contribution as a function of its raw value:
// leaf i covers (th[i-1], th[i]] (th[-1] = -Inf, th[len(th)] = +Inf) and
// holds val[i]; NaN goes to leaf 0.
type exportTree struct {
	feature int
	th      []float64
	val     []float64
}

// exportTrees turns the model into trees and a constant, the intercept
// plus the contributions of columns that are constant, and returns the
// bound on the margin error of the numeric columns' step functions.
func (m *Model) exportTrees(codes map[int][]float64) (trees []exportTree, intercept, bound float64, err error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrExport}, args...)...)
	}
	f := len(m.slot)
	keys := make([]int, 0, len(codes))
	for j := range codes {
		keys = append(keys, j)
	}
	slices.Sort(keys) // report the same error every time
	for _, j := range keys {
		switch {
		case j < 0 || j >= f:
			return nil, 0, 0, bad("codes for column %d, but the schema has %d columns", j, f)
		case m.slot[j] >= 0:
			return nil, 0, 0, bad("codes for column %d, which is numeric", j)
		case len(codes[j]) > exportMaxCodes:
			return nil, 0, 0, bad("column %d lists %d codes, more than %d", j, len(codes[j]), exportMaxCodes)
		}
	}
	clip := m.cfg.Clip
	if m.nNum > 0 && !(clip > 0) {
		return nil, 0, 0, bad("numeric columns need Config.Clip > 0 (a tree cannot hold an unbounded linear term)")
	}
	steps := m.exportSteps()
	intercept = m.weight(0)
	for j := range f {
		var t exportTree
		if m.slot[j] < 0 {
			cs, ok := codes[j]
			if !ok {
				return nil, 0, 0, bad("column %d is categorical: list its codes (LightGBMTextWithCodes)", j)
			}
			if t, err = m.categoricalTree(j, cs); err != nil {
				return nil, 0, 0, err
			}
		} else {
			k := int(m.slot[j])
			t = m.numericTree(j, steps[k])
			if steps[k] > 0 {
				bound += math.Abs(m.weight(1+k)) * clip / float64(steps[k])
			}
		}
		t.merge()
		if len(t.val) == 1 {
			intercept += t.val[0]
			continue
		}
		trees = append(trees, t)
	}
	return trees, intercept, bound, nil
}

// exportSteps chooses the number of steps of each numeric column (by
// numeric slot), 0 for a column whose present values contribute nothing.
// Minimising Σn_j subject to Σa_j/n_j <= ε, with a_j = |w_j|·Clip, gives
// n_j = sqrt(a_j)·Σ_k sqrt(a_k)/ε.
func (m *Model) exportSteps() []int {
	steps := make([]int, m.nNum)
	a := make([]float64, m.nNum)
	var s float64
	for k := range m.nNum {
		if w := m.weight(1 + k); w != 0 && m.stats[k].inv != 0 {
			a[k] = math.Abs(w) * m.cfg.Clip
			s += math.Sqrt(a[k])
		}
	}
	for k := range m.nNum {
		if a[k] == 0 {
			continue
		}
		n := math.Ceil(math.Sqrt(a[k]) * s / exportTargetError)
		steps[k] = int(max(exportMinSteps, min(exportMaxSteps, n)))
	}
	return steps
}

// numericTree is numeric column j with n steps (n = 0: present values
// contribute 0).
func (m *Model) numericTree(j, n int) exportTree {
	k := int(m.slot[j])
	wm := m.weight(1 + m.nNum + k)
	t := exportTree{feature: j, th: []float64{-math.MaxFloat64}, val: []float64{wm}}
	if n == 0 {
		t.val = append(t.val, 0)
	} else {
		w, s, c := m.weight(1+k), m.stats[k], m.cfg.Clip
		// u_i = c·(2i-n)/n is exactly ±c at the ends. A value standardising
		// to at most -c is clipped to -c, above +c to +c.
		u := func(i int) float64 { return c * float64(2*i-n) / float64(n) }
		t.val = append(t.val, -w*c)
		for i := 0; i <= n; i++ {
			x := s.mean + u(i)/s.inv
			t.th = append(t.th, max(-math.MaxFloat64, min(math.MaxFloat64, x)))
			if i < n {
				t.val = append(t.val, w*c*(float64(2*i+1-n)/float64(n)))
			}
		}
		t.val = append(t.val, w*c)
	}
	t.th = append(t.th, math.MaxFloat64)
	t.val = append(t.val, wm)
	return t
}

// categoricalTree is categorical column j with the listed codes.
func (m *Model) categoricalTree(j int, codes []float64) (exportTree, error) {
	cs := make([]float64, 0, len(codes))
	for _, c := range codes {
		switch {
		case c != c:
			continue // NaN is the missing code, exported anyway
		case math.IsInf(c, 0) || c == -math.MaxFloat64:
			return exportTree{}, fmt.Errorf("%w: column %d: code %v cannot be isolated by finite thresholds", ErrExport, j, c)
		}
		cs = append(cs, c+0) // -0 + 0 is +0
	}
	slices.Sort(cs)
	cs = slices.Compact(cs)
	catBase := 1 + 2*m.nNum
	wNaN := m.weight(catBase + bucket(j, math.NaN(), m.cfg.Buckets))
	t := exportTree{feature: j, val: []float64{wNaN}}
	// add appends threshold x; the leaf above it, (x, +Inf] until the next
	// threshold, holds v.
	add := func(x, v float64) {
		t.th = append(t.th, x)
		t.val = append(t.val, v)
	}
	for i, c := range cs {
		// (below, c] holds only c. The gap (previous code, below] below it
		// is empty when the codes are adjacent floats.
		v := m.weight(catBase + bucket(j, c, m.cfg.Buckets))
		if below := math.Nextafter(c, math.Inf(-1)); i == 0 || below != cs[i-1] {
			add(below, v)
		} else {
			t.val[len(t.val)-1] = v
		}
		add(c, wNaN)
	}
	return t, nil
}

// merge joins neighbouring leaves with the same value. Leaf 0 keeps its
// value, so NaN still reaches the right one.
func (t *exportTree) merge() {
	th, val := t.th[:0], t.val[:1]
	for i := 1; i < len(t.val); i++ {
		if t.val[i] != val[len(val)-1] {
			th = append(th, t.th[i-1])
			val = append(val, t.val[i])
		}
	}
	t.th, t.val = th, val
}

// exportNames returns the feature names as the format can carry them.
func exportNames(names []string, f int) []string {
	out := make([]string, f)
	for i := range out {
		if i < len(names) && names[i] != "" {
			out[i] = strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) || unicode.IsControl(r) || r == '=' {
					return '_'
				}
				return r
			}, names[i])
		} else {
			out[i] = "Column_" + strconv.Itoa(i)
		}
	}
	return out
}

// exportText writes the trees as LightGBM v3 text, adding intercept to the
// first tree's leaves (or making it a one-leaf tree if there is none).
func exportText(trees []exportTree, intercept float64, names []string) []byte {
	if len(trees) == 0 {
		trees = []exportTree{{val: []float64{0}}}
	}
	blocks := make([][]byte, len(trees))
	sizes := make([]string, len(trees))
	total := 0
	for i := range trees {
		add := 0.0
		if i == 0 {
			add = intercept
		}
		blocks[i] = trees[i].text(i, add)
		sizes[i] = strconv.Itoa(len(blocks[i]))
		total += len(blocks[i])
	}
	b := make([]byte, 0, total+256+16*len(names))
	b = append(b, "tree\nversion=v3\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx="...)
	b = strconv.AppendInt(b, int64(len(names)-1), 10)
	b = append(b, "\nobjective=binary sigmoid:1\nfeature_names="...)
	b = append(b, strings.Join(names, " ")...)
	b = append(b, "\ntree_sizes="...)
	b = append(b, strings.Join(sizes, " ")...)
	b = append(b, "\n\n"...)
	for _, blk := range blocks {
		b = append(b, blk...)
	}
	return append(b, "end of trees\n"...)
}

// text is tree i's block, with add added to every leaf value: a balanced
// tree over the thresholds, internal nodes numbered in preorder (the root
// is node 0) and leaves from left to right.
func (t *exportTree) text(i int, add float64) []byte {
	nl := len(t.val)
	var (
		feature  = strconv.Itoa(t.feature)
		th       = make([]float64, 0, nl-1)
		left     = make([]int, 0, nl-1)
		right    = make([]int, 0, nl-1)
		build    func(lo, hi int) int
		leafVals = make([]float64, nl)
	)
	// build returns the child reference of the subtree over leaves lo..hi.
	build = func(lo, hi int) int {
		if lo == hi {
			return ^lo
		}
		node := len(th)
		mid := (lo + hi) / 2
		th = append(th, t.th[mid])
		left = append(left, 0)
		right = append(right, 0)
		l := build(lo, mid)
		r := build(mid+1, hi)
		left[node], right[node] = l, r
		return node
	}
	build(0, nl-1)
	for j, v := range t.val {
		leafVals[j] = v + add
	}

	b := make([]byte, 0, 64+nl*48)
	b = append(b, "Tree="...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, "\nnum_leaves="...)
	b = strconv.AppendInt(b, int64(nl), 10)
	b = append(b, "\nnum_cat=0\n"...)
	if nl > 1 {
		b = append(b, "split_feature="...)
		for j := range nl - 1 {
			if j > 0 {
				b = append(b, ' ')
			}
			b = append(b, feature...)
		}
		b = appendExportFloats(b, "\nthreshold=", th)
		b = append(b, "\ndecision_type="...)
		dt := strconv.Itoa(exportDecisionType)
		for j := range nl - 1 {
			if j > 0 {
				b = append(b, ' ')
			}
			b = append(b, dt...)
		}
		b = appendExportInts(b, "\nleft_child=", left)
		b = appendExportInts(b, "\nright_child=", right)
		b = append(b, '\n')
	}
	b = appendExportFloats(b, "leaf_value=", leafVals)
	return append(b, "\nis_linear=0\nshrinkage=1\n\n"...)
}

// appendExportFloats appends prefix and the shortest text of each value
// that parses back to it.
func appendExportFloats(b []byte, prefix string, v []float64) []byte {
	b = append(b, prefix...)
	for j, x := range v {
		if j > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendFloat(b, x, 'g', -1, 64)
	}
	return b
}

func appendExportInts(b []byte, prefix string, v []int) []byte {
	b = append(b, prefix...)
	for j, x := range v {
		if j > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return b
}
