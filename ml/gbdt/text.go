package gbdt

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/freshet/freshet/ml"
)

// maxTextLine bounds one line of model text in ParseText.
const maxTextLine = 64 << 20

// objectiveText is the LightGBM objective line leaves needs to pick the
// output transformation.
func (m *Model) objectiveText() string {
	switch m.Objective {
	case Binary:
		return "binary sigmoid:1"
	case Multiclass:
		return "multiclass num_class:" + strconv.Itoa(m.NumClass)
	}
	return "regression"
}

// WriteText writes the model in LightGBM's text format (version v3), which
// leaves.LGEnsembleFromReader(r, true) loads with the right output
// transformation. Leaf values already include the learning rate and the
// base margin. Blocks are separated by exactly one blank line (leaves' parser
// breaks on three).
func (m *Model) WriteText(w io.Writer) error {
	k := max(1, m.NumClass)
	if len(m.Trees) == 0 || len(m.Trees)%k != 0 {
		return fmt.Errorf("gbdt: cannot write a model with %d trees for %d classes", len(m.Trees), k)
	}
	blocks := make([][]byte, len(m.Trees))
	sizes := make([]string, len(m.Trees))
	for i := range m.Trees {
		blocks[i] = m.Trees[i].text(i)
		sizes[i] = strconv.Itoa(len(blocks[i]))
	}
	var b bytes.Buffer
	b.WriteString("tree\nversion=v3\n")
	fmt.Fprintf(&b, "num_class=%d\nnum_tree_per_iteration=%d\nlabel_index=0\n", k, k)
	fmt.Fprintf(&b, "max_feature_idx=%d\nobjective=%s\n", m.NumFeature-1, m.objectiveText())
	names := make([]string, m.NumFeature)
	for i := range names {
		if len(m.FeatureNames) == m.NumFeature && m.FeatureNames[i] != "" {
			names[i] = sanitizeName(m.FeatureNames[i])
		} else {
			names[i] = "Column_" + strconv.Itoa(i)
		}
	}
	fmt.Fprintf(&b, "feature_names=%s\n", strings.Join(names, " "))
	fmt.Fprintf(&b, "tree_sizes=%s\n\n", strings.Join(sizes, " "))
	for _, blk := range blocks {
		b.Write(blk)
	}
	b.WriteString("end of trees\n")
	_, err := w.Write(b.Bytes())
	return err
}

// sanitizeName keeps a feature name on one token: no spaces, '=' or
// control characters (the format splits on them).
func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == '=' || r == 0x7f {
			return '_'
		}
		return r
	}, s)
}

// text is one tree block, its trailing blank line included.
func (t *Tree) text(i int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Tree=%d\nnum_leaves=%d\nnum_cat=0\n", i, len(t.LeafValue))
	if len(t.SplitFeature) > 0 {
		writeInts(&b, "split_feature", t.SplitFeature)
		writeFloats(&b, "split_gain", t.SplitGain)
		writeFloats(&b, "threshold", t.Threshold)
		dt := make([]int, len(t.DecisionType))
		for j, v := range t.DecisionType {
			dt[j] = int(v)
		}
		writeInts(&b, "decision_type", dt)
		writeInts(&b, "left_child", t.Left)
		writeInts(&b, "right_child", t.Right)
	}
	writeFloats(&b, "leaf_value", t.LeafValue)
	writeFloats(&b, "leaf_weight", t.LeafWeight)
	writeInts(&b, "leaf_count", t.LeafCount)
	fmt.Fprintf(&b, "is_linear=0\nshrinkage=%s\n\n", formatFloat(t.Shrinkage))
	return b.Bytes()
}

func writeInts(b *bytes.Buffer, key string, v []int) {
	b.WriteString(key)
	b.WriteByte('=')
	for j, x := range v {
		if j > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(x))
	}
	b.WriteByte('\n')
}

func writeFloats(b *bytes.Buffer, key string, v []float64) {
	b.WriteString(key)
	b.WriteByte('=')
	for j, x := range v {
		if j > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(formatFloat(x))
	}
	b.WriteByte('\n')
}

// formatFloat is the shortest text that parses back to the same float.
func formatFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// ParseText reads a model in LightGBM text format: the output of WriteText,
// or a LightGBM (v2, v3 or v4) model with numerical splits only. It checks
// that every tree is a proper tree over the declared features, so a model it
// returns cannot loop or index out of range when scoring.
func ParseText(r io.Reader) (*Model, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxTextLine)
	line := 0
	// block reads key=value lines up to a blank line or EOF.
	block := func() (map[string]string, error) {
		kv := map[string]string{}
		for sc.Scan() {
			line++
			s := strings.TrimSpace(sc.Text())
			if s == "" {
				if len(kv) == 0 {
					continue
				}
				break
			}
			key, val, _ := strings.Cut(s, "=")
			kv[key] = val
		}
		return kv, sc.Err()
	}
	bad := func(format string, args ...any) error {
		return ml.Errorf(ml.EINVALID, "gbdt: model text: "+format, args...)
	}
	head, err := block()
	if err != nil {
		return nil, bad("%v", err)
	}
	switch head["version"] {
	case "v2", "v3", "v4":
	default:
		return nil, bad("unsupported version %q", head["version"])
	}
	k, err1 := strconv.Atoi(head["num_class"])
	kt, err2 := strconv.Atoi(head["num_tree_per_iteration"])
	maxF, err3 := strconv.Atoi(head["max_feature_idx"])
	if err1 != nil || err2 != nil || err3 != nil || k < 1 || k != kt || maxF < 0 || maxF >= math.MaxInt32 {
		return nil, bad("bad num_class, num_tree_per_iteration or max_feature_idx")
	}
	m := &Model{NumClass: k, NumFeature: maxF + 1}
	obj := head["objective"]
	switch {
	case obj == "binary sigmoid:1" && k == 1:
		m.Objective = Binary
	case obj == fmt.Sprintf("multiclass num_class:%d", k) && k > 1:
		m.Objective = Multiclass
	case strings.HasPrefix(obj, "regression") && k == 1:
		m.Objective = Regression
	default:
		return nil, bad("unsupported objective %q for %d classes", obj, k)
	}
	if names := strings.Fields(head["feature_names"]); len(names) == m.NumFeature {
		m.FeatureNames = names
	}
	nTrees := len(strings.Fields(head["tree_sizes"]))
	if nTrees == 0 || nTrees%k != 0 {
		return nil, bad("tree_sizes lists %d trees for %d classes", nTrees, k)
	}
	for len(m.Trees) < nTrees {
		kv, err := block()
		if err != nil {
			return nil, bad("%v", err)
		}
		if len(kv) == 0 {
			return nil, bad("%d trees, tree_sizes says %d", len(m.Trees), nTrees)
		}
		if _, ok := kv["Tree"]; !ok {
			return nil, bad("expected Tree=%d near line %d", len(m.Trees), line)
		}
		t, err := parseTree(kv, m.NumFeature)
		if err != nil {
			return nil, bad("tree %d: %v", len(m.Trees), err)
		}
		m.Trees = append(m.Trees, t)
	}
	return m, nil
}

// parseTree builds and checks one tree.
func parseTree(kv map[string]string, nf int) (Tree, error) {
	var t Tree
	nl, err := strconv.Atoi(kv["num_leaves"])
	if err != nil || nl < 1 {
		return t, fmt.Errorf("bad num_leaves %q", kv["num_leaves"])
	}
	if c := kv["num_cat"]; c != "" && c != "0" {
		return t, fmt.Errorf("categorical splits are not supported")
	}
	if t.LeafValue, err = floats(kv, "leaf_value", nl, true); err != nil {
		return t, err
	}
	if t.LeafWeight, err = floats(kv, "leaf_weight", nl, false); err != nil {
		return t, err
	}
	if t.LeafCount, err = ints(kv, "leaf_count", nl, false); err != nil {
		return t, err
	}
	t.Shrinkage = 1
	if s, ok := kv["shrinkage"]; ok {
		if t.Shrinkage, err = strconv.ParseFloat(s, 64); err != nil {
			return t, fmt.Errorf("bad shrinkage %q", s)
		}
	}
	ni := nl - 1
	if ni == 0 {
		return t, nil
	}
	if t.SplitFeature, err = ints(kv, "split_feature", ni, true); err != nil {
		return t, err
	}
	if t.SplitGain, err = floats(kv, "split_gain", ni, false); err != nil {
		return t, err
	}
	if t.Threshold, err = floats(kv, "threshold", ni, true); err != nil {
		return t, err
	}
	dt, err := ints(kv, "decision_type", ni, true)
	if err != nil {
		return t, err
	}
	if t.Left, err = ints(kv, "left_child", ni, true); err != nil {
		return t, err
	}
	if t.Right, err = ints(kv, "right_child", ni, true); err != nil {
		return t, err
	}
	t.DecisionType = make([]uint32, ni)
	for i, d := range dt {
		if d < 0 || d > 0xff || d&1 != 0 || d&missingTypeMask == missingTypeMask {
			return t, fmt.Errorf("unsupported decision_type %d", d)
		}
		t.DecisionType[i] = uint32(d)
		if f := t.SplitFeature[i]; f < 0 || f >= nf {
			return t, fmt.Errorf("split_feature %d out of range", f)
		}
	}
	// Every node but the root and every leaf is referenced exactly once:
	// then a walk from the root always ends in a leaf.
	seenNode := make([]bool, ni)
	seenLeaf := make([]bool, nl)
	for _, c := range append(append([]int(nil), t.Left...), t.Right...) {
		switch {
		case c > 0 && c < ni && !seenNode[c]:
			seenNode[c] = true
		case c < 0 && ^c < nl && !seenLeaf[^c]:
			seenLeaf[^c] = true
		default:
			return t, fmt.Errorf("bad child reference %d", c)
		}
	}
	return t, nil
}

// floats parses a space-separated list of n floats; a missing optional key
// gives zeros.
func floats(kv map[string]string, key string, n int, required bool) ([]float64, error) {
	s, ok := kv[key]
	if !ok {
		if required {
			return nil, fmt.Errorf("no %s", key)
		}
		return make([]float64, n), nil
	}
	f := strings.Fields(s)
	if len(f) != n {
		return nil, fmt.Errorf("%s has %d values, want %d", key, len(f), n)
	}
	out := make([]float64, n)
	for i, x := range f {
		v, err := strconv.ParseFloat(x, 64)
		if err != nil || math.IsNaN(v) {
			return nil, fmt.Errorf("bad %s value %q", key, x)
		}
		out[i] = v
	}
	return out, nil
}

// ints parses a space-separated list of n ints; a missing optional key
// gives zeros.
func ints(kv map[string]string, key string, n int, required bool) ([]int, error) {
	s, ok := kv[key]
	if !ok {
		if required {
			return nil, fmt.Errorf("no %s", key)
		}
		return make([]int, n), nil
	}
	f := strings.Fields(s)
	if len(f) != n {
		return nil, fmt.Errorf("%s has %d values, want %d", key, len(f), n)
	}
	out := make([]int, n)
	for i, x := range f {
		v, err := strconv.Atoi(x)
		if err != nil || v < math.MinInt32 || v > math.MaxInt32 {
			return nil, fmt.Errorf("bad %s value %q", key, x)
		}
		out[i] = v
	}
	return out, nil
}
