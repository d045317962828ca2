package modelfile

import (
	"bytes"
	"math"
	"strconv"
	"strings"
)

// Decision-type bits of a LightGBM split, as leaves reads them.
const (
	dtCategorical = 1 << 0
	dtDefaultLeft = 1 << 1
	dtMissingMask = 3 << 2 // 0: None (NaN is treated as 0), 1: Zero, 2: NaN
	dtMissingNaN  = 2 << 2
)

// transform is the output transformation leaves applies, chosen by the
// objective line of the canonical text.
type transform int

const (
	raw         transform = iota // regression*: the raw sum
	sigmoid                      // binary sigmoid:1
	softmax                      // multiclass num_class:K
	exponential                  // poisson, gamma, tweedie
)

// tree is one tree in LightGBM's array layout: internal nodes 0..numLeaves-2
// (root 0), a child c >= 0 is internal node c, c < 0 is leaf ^c.
type tree struct {
	line          int // first line in the source text, 0 if none
	numLeaves     int
	numCat        int
	splitFeature  []uint32
	threshold     []float64
	decisionType  []uint32
	leftChild     []int32
	rightChild    []int32
	leafValue     []float64
	catBoundaries []uint32
	catThreshold  []uint32
}

// ensemble is a parsed model, before leaves sees it.
type ensemble struct {
	numClass      int // trees per iteration; tree i belongs to class i % numClass
	maxFeatureIdx int
	transform     transform
	averageOutput bool
	featureNames  []string
	trees         []tree
}

// objectiveLine is the objective the canonical text declares to leaves.
func (e *ensemble) objectiveLine() string {
	switch e.transform {
	case sigmoid:
		return "binary sigmoid:1"
	case softmax:
		return "multiclass num_class:" + strconv.Itoa(e.numClass)
	case exponential:
		return "poisson" // leaves applies exp() to poisson, gamma and tweedie alike
	}
	return "regression"
}

// validate checks everything leaves relies on without checking. Text-level
// checks (line syntax, duplicate keys) happen while parsing.
func (e *ensemble) validate(lim Limits) error {
	if e.numClass < 1 || e.numClass > lim.MaxClasses {
		return invalidf("num_class = %d, want 1..%d", e.numClass, lim.MaxClasses)
	}
	if e.maxFeatureIdx < 0 || e.maxFeatureIdx >= lim.MaxFeatures {
		return invalidf("max_feature_idx = %d, want 0..%d", e.maxFeatureIdx, lim.MaxFeatures-1)
	}
	switch {
	case e.transform == softmax && e.numClass < 2:
		return invalidf("a multiclass objective needs num_class >= 2, got %d", e.numClass)
	case e.transform != softmax && e.numClass != 1:
		return invalidf("num_class = %d, but the objective has one output (want num_class = 1)", e.numClass)
	}
	if len(e.trees) == 0 {
		return invalidf("the model has no trees")
	}
	if len(e.trees) > lim.MaxTrees {
		return tooLargef("%d trees, more than the limit of %d", len(e.trees), lim.MaxTrees)
	}
	if len(e.trees)%e.numClass != 0 {
		return invalidf("%d trees is not a multiple of num_class = %d", len(e.trees), e.numClass)
	}
	nodes := 0
	for i := range e.trees {
		t := &e.trees[i]
		nodes += 2*t.numLeaves - 1
		if nodes > lim.MaxNodes {
			return tooLargef("more than %d nodes in all (tree %d)", lim.MaxNodes, i)
		}
		if err := t.validate(i, e.maxFeatureIdx+1, lim); err != nil {
			return err
		}
	}
	return nil
}

// validate checks one tree: array lengths, feature indices, thresholds and
// leaf values, decision types, categorical bitsets and the shape (every node
// and leaf reached exactly once from the root, no cycles).
func (t *tree) validate(i, numFeatures int, lim Limits) error {
	errf := func(format string, args ...any) error { return treeErrorf(i, t.line, format, args...) }
	if t.numLeaves < 1 || t.numLeaves > lim.MaxLeaves {
		return errf("num_leaves = %d, want 1..%d", t.numLeaves, lim.MaxLeaves)
	}
	n := t.numLeaves - 1
	if len(t.leafValue) != t.numLeaves {
		return errf("leaf_value has %d values, want num_leaves = %d", len(t.leafValue), t.numLeaves)
	}
	for j, v := range t.leafValue {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errf("leaf_value[%d] = %v is not a finite number", j, v)
		}
	}
	for _, f := range []struct {
		name string
		len  int
	}{
		{"split_feature", len(t.splitFeature)},
		{"threshold", len(t.threshold)},
		{"decision_type", len(t.decisionType)},
		{"left_child", len(t.leftChild)},
		{"right_child", len(t.rightChild)},
	} {
		if f.len != n {
			return errf("%s has %d values, want num_leaves-1 = %d", f.name, f.len, n)
		}
	}
	if t.numCat < 0 || t.numCat > n {
		return errf("num_cat = %d, want 0..%d (one per split at most)", t.numCat, n)
	}
	if t.numCat > 0 {
		if len(t.catBoundaries) != t.numCat+1 {
			return errf("cat_boundaries has %d values, want num_cat+1 = %d", len(t.catBoundaries), t.numCat+1)
		}
		if t.catBoundaries[0] != 0 {
			return errf("cat_boundaries[0] = %d, want 0", t.catBoundaries[0])
		}
		for j := 1; j < len(t.catBoundaries); j++ {
			if t.catBoundaries[j] <= t.catBoundaries[j-1] {
				return errf("cat_boundaries[%d] = %d is not above cat_boundaries[%d] = %d", j, t.catBoundaries[j], j-1, t.catBoundaries[j-1])
			}
		}
		if last := t.catBoundaries[t.numCat]; int64(last) != int64(len(t.catThreshold)) {
			return errf("cat_boundaries ends at %d but cat_threshold has %d values", last, len(t.catThreshold))
		}
	} else if len(t.catBoundaries) != 0 || len(t.catThreshold) != 0 {
		return errf("cat_boundaries/cat_threshold given but num_cat = 0")
	}
	for j := 0; j < n; j++ {
		if int64(t.splitFeature[j]) >= int64(numFeatures) {
			return errf("split_feature[%d] = %d, but max_feature_idx = %d", j, t.splitFeature[j], numFeatures-1)
		}
		dt := t.decisionType[j]
		if dt&^(dtCategorical|dtDefaultLeft|dtMissingMask) != 0 || dt&dtMissingMask == dtMissingMask {
			return errf("decision_type[%d] = %d has unsupported bits (want bit 0 categorical, bit 1 default-left, bits 2-3 missing type 0..2)", j, dt)
		}
		th := t.threshold[j]
		if math.IsNaN(th) || math.IsInf(th, 0) {
			return errf("threshold[%d] = %v is not a finite number", j, th)
		}
		if dt&dtCategorical != 0 {
			if th != math.Trunc(th) || th < 0 || th >= float64(t.numCat) {
				return errf("threshold[%d] = %v of a categorical split must index cat_boundaries (0..%d)", j, th, t.numCat-1)
			}
			c := int(th)
			set := false
			for _, w := range t.catThreshold[t.catBoundaries[c]:t.catBoundaries[c+1]] {
				if w != 0 {
					set = true
					break
				}
			}
			if !set {
				return errf("categorical split %d (cat_threshold block %d) has no category set", j, c)
			}
		}
	}
	if n == 0 {
		return nil
	}
	// Walk from the root with an explicit stack (a hostile tree may be a
	// long chain): each internal node and each leaf must be reached once.
	seenNode := make([]bool, n)
	seenLeaf := make([]bool, t.numLeaves)
	seenNode[0] = true
	stack := []int32{0}
	nodes, leaves := 1, 0
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for side, c := range [2]int32{t.leftChild[j], t.rightChild[j]} {
			field := [2]string{"left_child", "right_child"}[side]
			if c >= 0 {
				switch {
				case int(c) >= n:
					return errf("%s[%d] = %d is out of range: the tree has %d internal nodes (0..%d)", field, j, c, n, n-1)
				case seenNode[c]:
					return errf("%s[%d] = %d reaches node %d a second time (a cycle or a shared subtree)", field, j, c, c)
				}
				seenNode[c] = true
				nodes++
				stack = append(stack, c)
				continue
			}
			leaf := ^c
			switch {
			case int(leaf) >= t.numLeaves:
				return errf("%s[%d] = %d points at leaf %d, but num_leaves = %d", field, j, c, leaf, t.numLeaves)
			case seenLeaf[leaf]:
				return errf("%s[%d] = %d reaches leaf %d a second time", field, j, c, leaf)
			}
			seenLeaf[leaf] = true
			leaves++
		}
	}
	if nodes != n || leaves != t.numLeaves {
		for j, ok := range seenNode {
			if !ok {
				return errf("internal node %d is not reachable from the root", j)
			}
		}
		for j, ok := range seenLeaf {
			if !ok {
				return errf("leaf %d is not reachable from the root", j)
			}
		}
	}
	return nil
}

// text writes the ensemble as LightGBM v3 text in the shape leaves parses:
// one header, one block per tree, a blank line after each block, only the
// fields leaves reads. tree_sizes holds each block's byte size, as LightGBM
// writes it.
func (e *ensemble) text() []byte {
	blocks := make([][]byte, len(e.trees))
	sizes := make([]string, len(e.trees))
	total := 0
	for i := range e.trees {
		blocks[i] = e.trees[i].text(i)
		sizes[i] = strconv.Itoa(len(blocks[i]))
		total += len(blocks[i])
	}
	var b bytes.Buffer
	b.Grow(total + 256 + 16*len(e.trees))
	b.WriteString("tree\nversion=v3\n")
	k := strconv.Itoa(e.numClass)
	b.WriteString("num_class=" + k + "\nnum_tree_per_iteration=" + k + "\nlabel_index=0\n")
	b.WriteString("max_feature_idx=" + strconv.Itoa(e.maxFeatureIdx) + "\n")
	b.WriteString("objective=" + e.objectiveLine() + "\n")
	if e.averageOutput {
		b.WriteString("average_output\n")
	}
	if names := e.featureNames; len(names) == e.maxFeatureIdx+1 && safeNames(names) {
		b.WriteString("feature_names=" + strings.Join(names, " ") + "\n")
	}
	b.WriteString("tree_sizes=" + strings.Join(sizes, " ") + "\n\n")
	for _, blk := range blocks {
		b.Write(blk)
	}
	b.WriteString("end of trees\n")
	return b.Bytes()
}

// safeNames reports whether feature names can go on a feature_names line:
// space-separated, and no '=' (leaves refuses a header value with '=').
func safeNames(names []string) bool {
	for _, s := range names {
		if s == "" || strings.ContainsAny(s, "= \t\r\n") {
			return false
		}
	}
	return true
}

func (t *tree) text(i int) []byte {
	var b []byte
	b = append(b, "Tree="...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, "\nnum_leaves="...)
	b = strconv.AppendInt(b, int64(t.numLeaves), 10)
	b = append(b, "\nnum_cat="...)
	b = strconv.AppendInt(b, int64(t.numCat), 10)
	b = append(b, '\n')
	if t.numLeaves > 1 {
		b = appendUints(b, "split_feature", t.splitFeature)
		b = appendFloats(b, "threshold", t.threshold)
		b = appendUints(b, "decision_type", t.decisionType)
		b = appendInts(b, "left_child", t.leftChild)
		b = appendInts(b, "right_child", t.rightChild)
	}
	b = appendFloats(b, "leaf_value", t.leafValue)
	if t.numCat > 0 {
		b = appendUints(b, "cat_boundaries", t.catBoundaries)
		b = appendUints(b, "cat_threshold", t.catThreshold)
	}
	b = append(b, "shrinkage=1\n\n"...)
	return b
}

func appendFloats(b []byte, key string, v []float64) []byte {
	b = append(b, key...)
	b = append(b, '=')
	for j, x := range v {
		if j > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendFloat(b, x, 'g', -1, 64) // shortest text that parses back to x
	}
	return append(b, '\n')
}

func appendUints(b []byte, key string, v []uint32) []byte {
	b = append(b, key...)
	b = append(b, '=')
	for j, x := range v {
		if j > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendUint(b, uint64(x), 10)
	}
	return append(b, '\n')
}

func appendInts(b []byte, key string, v []int32) []byte {
	b = append(b, key...)
	b = append(b, '=')
	for j, x := range v {
		if j > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return append(b, '\n')
}
