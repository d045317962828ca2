package modelfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// XGBoost JSON (save_model("model.json")) as far as the conversion needs
// it. Arrays freshet does not use (loss_changes, sum_hessian, base_weights,
// parents) are not decoded. Leaf values and thresholds decode as float32:
// XGBoost stores float32 and prints the shortest text for it, so parsing at
// 32 bits recovers its exact value.
type xgbDoc struct {
	Learner *struct {
		FeatureNames     []string `json:"feature_names"`
		FeatureTypes     []string `json:"feature_types"`
		LearnerModelParm struct {
			BaseScore  string `json:"base_score"`
			NumClass   string `json:"num_class"`
			NumFeature string `json:"num_feature"`
			NumTarget  string `json:"num_target"`
		} `json:"learner_model_param"`
		Objective struct {
			Name string `json:"name"`
		} `json:"objective"`
		GradientBooster struct {
			Name  string `json:"name"`
			Model *struct {
				Param struct {
					NumTrees       string `json:"num_trees"`
					NumParallel    string `json:"num_parallel_tree"`
					SizeLeafVector string `json:"size_leaf_vector"`
				} `json:"gbtree_model_param"`
				TreeInfo []int64   `json:"tree_info"`
				Trees    []xgbTree `json:"trees"`
			} `json:"model"`
		} `json:"gradient_booster"`
	} `json:"learner"`
	Version []int `json:"version"`
}

type xgbTree struct {
	Param struct {
		NumNodes       string `json:"num_nodes"`
		NumFeature     string `json:"num_feature"`
		SizeLeafVector string `json:"size_leaf_vector"`
	} `json:"tree_param"`
	LeftChildren    []int32    `json:"left_children"`
	RightChildren   []int32    `json:"right_children"`
	SplitIndices    []int32    `json:"split_indices"` // XGBoost masks them to 31 bits
	SplitConditions []float32  `json:"split_conditions"`
	DefaultLeft     []flexBool `json:"default_left"`
	SplitType       []int8     `json:"split_type"`
	Categories      []int32    `json:"categories"`
	CategoriesNodes []int32    `json:"categories_nodes"`
}

// flexBool decodes default_left, which XGBoost writes as 0/1 (and some
// versions as true/false).
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "1", "true":
		*f = true
	case "0", "false":
		*f = false
	default:
		return fmt.Errorf("default_left value %s is not 0, 1, true or false", clip(string(b)))
	}
	return nil
}

// xgbInfo is what the XGBoost document declares beyond the ensemble.
type xgbInfo struct {
	version   string
	objective string
}

// parseXGBoostJSON validates an XGBoost JSON model and converts it to the
// LightGBM layout leaves reads. The rules, which match xgboost.predict
// (including rows with missing values), are:
//
//   - XGBoost sends x < t left, leaves x <= T. XGBoost also casts every
//     feature to float32 first. T is the largest float64 for which
//     float32(x) < t, that is just below the midpoint between t and the
//     float32 below it. For every x that is itself a float32 this is the
//     same decision as STACK.md's T = math.Nextafter(t, -Inf); it also
//     agrees with XGBoost for float64 inputs that round onto t.
//   - decision_type = 8 (missing type NaN) | 2 if default_left.
//   - Nodes are renumbered in preorder so the root is internal node 0; leaves
//     are numbered in the order the walk meets them.
//   - Trees are reordered so tree i belongs to class i % num_class (XGBoost
//     groups by tree_info; with num_parallel_tree > 1 a class has several
//     trees per iteration, and sums are order-independent).
//   - The base score becomes a margin (logit(base_score) for
//     binary:logistic, base_score itself for multi:softprob/softmax and
//     reg:squarederror) added to every leaf of each class's first tree.
//   - Objective lines: binary sigmoid:1, multiclass num_class:K (so
//     multi:softmax also yields probabilities), regression.
func parseXGBoostJSON(b []byte, lim Limits) (*ensemble, xgbInfo, error) {
	var info xgbInfo
	// json.Unmarshal works on b in place (a Decoder would copy it) and
	// refuses anything after the document. Numbers decode into 4-byte
	// values, so memory stays within about twice the file size.
	var doc xgbDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, info, invalidf("XGBoost JSON: %s", jsonError(b, err))
	}
	if doc.Learner == nil {
		return nil, info, invalidf(`XGBoost JSON: no "learner" object`)
	}
	if len(doc.Version) > 0 {
		v := make([]string, len(doc.Version))
		for i, n := range doc.Version {
			v[i] = strconv.Itoa(n)
		}
		info.version = strings.Join(v, ".")
	}
	l := doc.Learner
	info.objective = l.Objective.Name
	switch gb := l.GradientBooster.Name; gb {
	case "gbtree":
	case "dart":
		return nil, info, unsupportedf("XGBoost booster %q is not supported: dart weights its trees at prediction time; train with booster='gbtree'", gb)
	case "gblinear":
		return nil, info, unsupportedf("XGBoost booster %q is not supported: only tree models (booster='gbtree') can be served", gb)
	default:
		return nil, info, unsupportedf("XGBoost booster %q is not supported (want gbtree)", clip(gb))
	}
	for i, ft := range l.FeatureTypes {
		if ft == "c" {
			return nil, info, unsupportedf("XGBoost feature %d is categorical: categorical splits are not supported; one-hot encode it", i)
		}
	}
	p := l.LearnerModelParm
	atoi := func(what, s string, lo, hi int) (int, error) {
		if s == "" {
			s = "0"
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, invalidf("XGBoost JSON: %s = %q is not an integer", what, clip(s))
		}
		if n < lo || n > hi {
			if n > hi {
				return 0, tooLargef("XGBoost JSON: %s = %d, the limit is %d", what, n, hi)
			}
			return 0, invalidf("XGBoost JSON: %s = %d, want at least %d", what, n, lo)
		}
		return n, nil
	}
	numFeature, err := atoi("learner_model_param.num_feature", p.NumFeature, 1, lim.MaxFeatures)
	if err != nil {
		return nil, info, err
	}
	numClass, err := atoi("learner_model_param.num_class", p.NumClass, 0, lim.MaxClasses)
	if err != nil {
		return nil, info, err
	}
	if p.NumTarget != "" && p.NumTarget != "1" {
		return nil, info, unsupportedf("XGBoost model with num_target = %s: multi-target models are not supported", clip(p.NumTarget))
	}
	e := &ensemble{maxFeatureIdx: numFeature - 1, numClass: 1}
	if len(l.FeatureNames) == numFeature {
		e.featureNames = l.FeatureNames
	}
	switch info.objective {
	case "binary:logistic":
		e.transform = sigmoid
	case "multi:softprob", "multi:softmax":
		e.transform = softmax
		if numClass < 2 {
			return nil, info, invalidf("XGBoost JSON: objective %s with num_class = %d, want at least 2", info.objective, numClass)
		}
		e.numClass = numClass
	case "reg:squarederror":
		e.transform = raw
	default:
		return nil, info, unsupportedf("XGBoost objective %q is not supported (want binary:logistic, multi:softprob, multi:softmax or reg:squarederror)", clip(info.objective))
	}
	if e.transform != softmax && numClass > 1 {
		return nil, info, invalidf("XGBoost JSON: objective %s with num_class = %d, want 0 or 1", info.objective, numClass)
	}
	margins, err := xgbMargins(p.BaseScore, info.objective, e.numClass)
	if err != nil {
		return nil, info, err
	}

	m := l.GradientBooster.Model
	if m == nil {
		return nil, info, invalidf("XGBoost JSON: gradient_booster has no model")
	}
	if s := m.Param.SizeLeafVector; s != "" && s != "0" {
		return nil, info, unsupportedf("XGBoost model with size_leaf_vector = %s: vector-leaf (multi-target) trees are not supported", clip(s))
	}
	nTrees := len(m.Trees)
	switch {
	case nTrees == 0:
		return nil, info, invalidf("XGBoost JSON: the model has no trees")
	case nTrees > lim.MaxTrees:
		return nil, info, tooLargef("XGBoost JSON: %d trees, the limit is %d", nTrees, lim.MaxTrees)
	case len(m.TreeInfo) != nTrees:
		return nil, info, invalidf("XGBoost JSON: tree_info has %d entries for %d trees", len(m.TreeInfo), nTrees)
	}
	if m.Param.NumTrees != "" && m.Param.NumTrees != strconv.Itoa(nTrees) {
		return nil, info, invalidf("XGBoost JSON: gbtree_model_param.num_trees = %s, but there are %d trees", clip(m.Param.NumTrees), nTrees)
	}
	// Group the trees by class, keeping their order within a class.
	byClass := make([][]int, e.numClass)
	for i, c := range m.TreeInfo {
		if c < 0 || c >= int64(e.numClass) {
			return nil, info, invalidf("XGBoost JSON: tree_info[%d] = %d, want a class in 0..%d", i, c, e.numClass-1)
		}
		byClass[c] = append(byClass[c], i)
	}
	perClass := len(byClass[0])
	for c := range byClass {
		if len(byClass[c]) != perClass {
			return nil, info, invalidf("XGBoost JSON: class 0 has %d trees but class %d has %d", perClass, c, len(byClass[c]))
		}
	}
	e.trees = make([]tree, 0, nTrees)
	nodes := 0
	for it := 0; it < perClass; it++ {
		for c := 0; c < e.numClass; c++ {
			src := byClass[c][it]
			x := &m.Trees[src]
			nodes += len(x.LeftChildren)
			if nodes > lim.MaxNodes {
				return nil, info, tooLargef("XGBoost JSON: more than %d nodes in all (tree %d)", lim.MaxNodes, src)
			}
			t, err := convertXGBTree(x, src, numFeature, lim)
			if err != nil {
				return nil, info, err
			}
			if it == 0 && margins[c] != 0 {
				for j := range t.leafValue {
					t.leafValue[j] += margins[c]
				}
			}
			e.trees = append(e.trees, t)
		}
	}
	return e, info, nil
}

// xgbMargins turns learner_model_param.base_score into the margin added to
// each class. XGBoost 1.x writes one number ("5E-1"); 3.x may write a
// bracketed list, one value per class.
func xgbMargins(s, objective string, numClass int) ([]float64, error) {
	if s == "" {
		s = "0.5"
	}
	var vals []float64
	for f := range strings.SplitSeq(strings.Trim(s, "[] "), ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, invalidf("XGBoost JSON: base_score = %q is not a finite number", clip(s))
		}
		vals = append(vals, v)
	}
	switch len(vals) {
	case 1:
		for len(vals) < numClass {
			vals = append(vals, vals[0])
		}
	case numClass:
	default:
		return nil, invalidf("XGBoost JSON: base_score has %d values for %d classes", len(vals), numClass)
	}
	if objective == "binary:logistic" {
		p := vals[0]
		if p <= 0 || p >= 1 {
			return nil, invalidf("XGBoost JSON: base_score = %v, want a probability strictly between 0 and 1 for binary:logistic", p)
		}
		vals[0] = -math.Log(1/p - 1)
	}
	return vals, nil
}

// convertXGBTree validates one XGBoost tree (array lengths, child indices,
// a proper tree reached from node 0, feature indices, finite values, no
// categorical splits) and renumbers it in preorder.
func convertXGBTree(x *xgbTree, i, numFeature int, lim Limits) (tree, error) {
	errf := func(format string, args ...any) error {
		return invalidf("XGBoost tree %d: "+format, append([]any{i}, args...)...)
	}
	n := len(x.LeftChildren)
	if n == 0 {
		return tree{}, errf("no nodes")
	}
	if n > 2*lim.MaxLeaves-1 {
		return tree{}, tooLargef("XGBoost tree %d: %d nodes, the limit is %d", i, n, 2*lim.MaxLeaves-1)
	}
	if s := x.Param.NumNodes; s != "" && s != strconv.Itoa(n) {
		return tree{}, errf("tree_param.num_nodes = %s, but left_children has %d entries", clip(s), n)
	}
	if s := x.Param.SizeLeafVector; s != "" && s != "0" {
		return tree{}, unsupportedf("XGBoost tree %d: size_leaf_vector = %s: vector-leaf trees are not supported", i, clip(s))
	}
	for _, f := range []struct {
		name string
		len  int
	}{
		{"right_children", len(x.RightChildren)},
		{"split_indices", len(x.SplitIndices)},
		{"split_conditions", len(x.SplitConditions)},
		{"default_left", len(x.DefaultLeft)},
	} {
		if f.len != n {
			return tree{}, errf("%s has %d entries, left_children has %d", f.name, f.len, n)
		}
	}
	if len(x.SplitType) != 0 && len(x.SplitType) != n {
		return tree{}, errf("split_type has %d entries, left_children has %d", len(x.SplitType), n)
	}
	if len(x.Categories) != 0 || len(x.CategoriesNodes) != 0 {
		return tree{}, unsupportedf("XGBoost tree %d has categorical splits, which are not supported; one-hot encode the feature", i)
	}

	// Count the leaves first, so the output arrays are allocated once.
	leaves := 0
	for j := 0; j < n; j++ {
		l, r := x.LeftChildren[j], x.RightChildren[j]
		switch {
		case l == -1 && r == -1:
			leaves++
		case l == -1 || r == -1:
			return tree{}, errf("node %d has left child %d and right child %d: both or neither must be -1", j, l, r)
		case l < 1 || int(l) >= n || r < 1 || int(r) >= n:
			return tree{}, errf("node %d has children %d and %d, want node indices in 1..%d", j, l, r, n-1)
		}
	}
	var t tree
	t.leafValue = make([]float64, 0, leaves)
	if internal := leaves - 1; internal > 0 {
		t.splitFeature = make([]uint32, 0, internal)
		t.threshold = make([]float64, 0, internal)
		t.decisionType = make([]uint32, 0, internal)
		t.leftChild = make([]int32, 0, internal)
		t.rightChild = make([]int32, 0, internal)
	}
	type item struct {
		node, parent int
		left         bool
	}
	seen := make([]bool, n)
	seen[0] = true
	stack := []item{{node: 0, parent: -1}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		j := it.node
		v := x.SplitConditions[j]
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return tree{}, errf("split_conditions[%d] = %v is not a finite number", j, v)
		}
		var ref int32
		if x.LeftChildren[j] == -1 {
			if len(t.leafValue) == leaves {
				return tree{}, errf("more leaves reached than the tree has")
			}
			ref = ^int32(len(t.leafValue))
			t.leafValue = append(t.leafValue, float64(v))
		} else {
			if len(x.SplitType) != 0 && x.SplitType[j] != 0 {
				return tree{}, unsupportedf("XGBoost tree %d: node %d is a categorical split, which is not supported; one-hot encode the feature", i, j)
			}
			f := x.SplitIndices[j]
			if f < 0 || int(f) >= numFeature {
				return tree{}, errf("split_indices[%d] = %d, but the model has %d features", j, f, numFeature)
			}
			if len(t.splitFeature) == leaves-1 {
				return tree{}, errf("more splits reached than the tree has")
			}
			ref = int32(len(t.splitFeature))
			dt := uint32(dtMissingNaN)
			if x.DefaultLeft[j] {
				dt |= dtDefaultLeft
			}
			t.splitFeature = append(t.splitFeature, uint32(f))
			t.threshold = append(t.threshold, xgbThreshold(v))
			t.decisionType = append(t.decisionType, dt)
			t.leftChild = append(t.leftChild, 0)
			t.rightChild = append(t.rightChild, 0)
			for _, c := range [2]int32{x.RightChildren[j], x.LeftChildren[j]} {
				if seen[c] {
					return tree{}, errf("node %d reaches node %d a second time (a cycle or a shared subtree)", j, c)
				}
				seen[c] = true
			}
			// Push right first so the left subtree is numbered first (preorder).
			stack = append(stack, item{node: int(x.RightChildren[j]), parent: int(ref)}, item{node: int(x.LeftChildren[j]), parent: int(ref), left: true})
		}
		if it.parent >= 0 {
			if it.left {
				t.leftChild[it.parent] = ref
			} else {
				t.rightChild[it.parent] = ref
			}
		}
	}
	// Nodes XGBoost's pruner deleted stay in the arrays, unreachable; they are
	// dropped. The reachable part must still be a full binary tree.
	if len(t.leafValue) != len(t.splitFeature)+1 {
		return tree{}, errf("the tree reached from node 0 has %d splits and %d leaves", len(t.splitFeature), len(t.leafValue))
	}
	t.numLeaves = len(t.leafValue)
	return t, nil
}

// xgbThreshold returns the float64 T for which x <= T exactly when
// float32(x) < t, for every float64 x: XGBoost casts features to float32 and
// sends x < t left, leaves sends x <= T left.
func xgbThreshold(t float32) float64 {
	below := float64(math.Nextafter32(t, float32(math.Inf(-1))))
	if math.IsInf(below, -1) {
		below = -math.Ldexp(1, 128) // where float32 rounding puts -Inf, one step below -MaxFloat32
	}
	mid := (below + float64(t)) / 2 // exact: two adjacent float32 values
	if float32(mid) < t {           // the tie rounds down (to the even one)
		return mid
	}
	return math.Nextafter(mid, math.Inf(-1))
}

// jsonError describes a JSON decoding error with its byte offset.
func jsonError(b []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se) && se.Offset >= int64(len(b)):
		return "the document ends early (truncated file?)"
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d of %d: %v", se.Offset, len(b), se)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s: %s is not a %s (byte %d)", te.Field, te.Value, te.Type, te.Offset)
	}
	return err.Error()
}
