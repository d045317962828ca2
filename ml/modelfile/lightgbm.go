package modelfile

import (
	"bytes"
	"strconv"
	"strings"
)

// lines iterates over the lines of a text file, trimmed of white space
// (including a Windows '\r'), counting line numbers from 1.
type lines struct {
	b    []byte
	pos  int
	line int
}

func (r *lines) next() (s []byte, ok bool) {
	if r.pos >= len(r.b) {
		return nil, false
	}
	rest := r.b[r.pos:]
	end := bytes.IndexByte(rest, '\n')
	if end < 0 {
		end = len(rest)
		r.pos = len(r.b)
	} else {
		r.pos += end + 1
	}
	r.line++
	return bytes.TrimSpace(rest[:end]), true
}

// skipBlank advances to the next non-blank line and returns it without
// consuming it; ok is false at the end of the input.
func (r *lines) skipBlank() (s []byte, ok bool) {
	for {
		pos, line := r.pos, r.line
		s, ok = r.next()
		if !ok {
			return nil, false
		}
		if len(s) > 0 {
			r.pos, r.line = pos, line
			return s, true
		}
	}
}

// block is one run of "key=value" lines up to a blank line.
type block struct {
	line   int // line number of the first line
	keys   map[string]string
	lineOf map[string]int
}

// readBlock reads lines up to a blank line or the end. A line is "key=value"
// or a bare key; more than one '=' is an error, because leaves' parser
// refuses it, and so is a key given twice (leaves would keep the last).
func (r *lines) readBlock(what string) (*block, error) {
	blk := &block{keys: map[string]string{}, lineOf: map[string]int{}}
	for {
		s, ok := r.next()
		if !ok || len(s) == 0 {
			return blk, nil
		}
		if blk.line == 0 {
			blk.line = r.line
		}
		key, value, _ := bytes.Cut(s, []byte("="))
		if bytes.IndexByte(value, '=') >= 0 {
			return nil, invalidf("line %d (%s, %s): a value containing '=' breaks leaves' parser", r.line, what, quoteKey(key))
		}
		k := string(key)
		if _, dup := blk.keys[k]; dup {
			return nil, invalidf("line %d (%s): %s given twice (first on line %d)", r.line, what, quoteKey(key), blk.lineOf[k])
		}
		blk.keys[k] = string(value)
		blk.lineOf[k] = r.line
	}
}

func quoteKey(k []byte) string {
	return strconv.Quote(string(k[:min(len(k), 40)]))
}

// lightgbmHeader is what the header of a LightGBM text model declares.
type lightgbmHeader struct {
	version   string
	objective string
}

// parseLightGBM parses LightGBM text (versions v2, v3, v4) into an ensemble.
// Allocations are bounded by lim before they happen: counts declared in the
// file are checked against the limits and against the number of values
// actually present.
func parseLightGBM(b []byte, lim Limits) (*ensemble, lightgbmHeader, error) {
	var hdr lightgbmHeader
	r := &lines{b: bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))}
	if _, ok := r.skipBlank(); !ok {
		return nil, hdr, invalidf("the file is empty")
	}
	h, err := r.readBlock("header")
	if err != nil {
		return nil, hdr, err
	}
	get := func(key string) (string, error) {
		v, ok := h.keys[key]
		if !ok {
			return "", invalidf("header: no %s line", key)
		}
		return v, nil
	}
	getInt := func(key string, lo, hi int) (int, error) {
		v, err := get(key)
		if err != nil {
			return 0, err
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, invalidf("header line %d: %s = %q is not an integer", h.lineOf[key], key, clip(v))
		}
		if n < lo || n > hi {
			if n > hi {
				return 0, tooLargef("header line %d: %s = %d, the limit is %d", h.lineOf[key], key, n, hi)
			}
			return 0, invalidf("header line %d: %s = %d, want at least %d", h.lineOf[key], key, n, lo)
		}
		return n, nil
	}
	if hdr.version, err = get("version"); err != nil {
		return nil, hdr, err
	}
	switch hdr.version {
	case "v2", "v3", "v4":
	default:
		return nil, hdr, unsupportedf("header line %d: version=%s, want v2, v3 or v4", h.lineOf["version"], clip(hdr.version))
	}
	e := &ensemble{}
	if e.numClass, err = getInt("num_class", 1, lim.MaxClasses); err != nil {
		return nil, hdr, err
	}
	perIter, err := getInt("num_tree_per_iteration", 1, lim.MaxClasses)
	if err != nil {
		return nil, hdr, err
	}
	if perIter != e.numClass {
		return nil, hdr, unsupportedf("header: num_tree_per_iteration = %d differs from num_class = %d", perIter, e.numClass)
	}
	if e.maxFeatureIdx, err = getInt("max_feature_idx", 0, lim.MaxFeatures-1); err != nil {
		return nil, hdr, err
	}
	if hdr.objective, err = get("objective"); err != nil {
		return nil, hdr, err
	}
	if e.transform, err = parseObjective(hdr.objective, e.numClass); err != nil {
		return nil, hdr, err
	}
	_, e.averageOutput = h.keys["average_output"]
	if names, ok := h.keys["feature_names"]; ok {
		if n := countFields(names); n != e.maxFeatureIdx+1 {
			return nil, hdr, invalidf("header line %d: feature_names has %d names, want max_feature_idx+1 = %d", h.lineOf["feature_names"], n, e.maxFeatureIdx+1)
		}
		e.featureNames = strings.Fields(names)
	}
	sizes, err := get("tree_sizes")
	if err != nil {
		return nil, hdr, err
	}
	nTrees := countFields(sizes)
	switch {
	case nTrees == 0:
		return nil, hdr, invalidf("header line %d: tree_sizes is empty: the model has no trees", h.lineOf["tree_sizes"])
	case nTrees > lim.MaxTrees:
		return nil, hdr, tooLargef("header line %d: tree_sizes lists %d trees, the limit is %d", h.lineOf["tree_sizes"], nTrees, lim.MaxTrees)
	case nTrees%e.numClass != 0:
		return nil, hdr, invalidf("header line %d: tree_sizes lists %d trees, not a multiple of num_class = %d", h.lineOf["tree_sizes"], nTrees, e.numClass)
	}
	for f := range strings.FieldsSeq(sizes) {
		if _, err := strconv.ParseUint(f, 10, 63); err != nil {
			return nil, hdr, invalidf("header line %d: tree_sizes value %q is not a size", h.lineOf["tree_sizes"], clip(f))
		}
	}

	e.trees = make([]tree, 0, nTrees)
	nodes := 0
	for i := 0; ; i++ {
		s, ok := r.skipBlank()
		if !ok || string(s) == "end of trees" {
			if i < nTrees {
				return nil, hdr, invalidf("the file is truncated or tree_sizes is wrong: tree_sizes lists %d trees, the file has %d", nTrees, i)
			}
			break
		}
		if !bytes.HasPrefix(s, []byte("Tree=")) {
			return nil, hdr, invalidf("line %d: want Tree=%d or end of trees, got %s", r.line+1, i, quoteHead(s))
		}
		if i >= nTrees {
			return nil, hdr, invalidf("line %d: tree_sizes lists %d trees, but the file has more (leaves would silently drop them)", r.line+1, nTrees)
		}
		blk, err := r.readBlock("tree " + strconv.Itoa(i))
		if err != nil {
			return nil, hdr, err
		}
		t, err := parseTree(blk, i, lim)
		if err != nil {
			return nil, hdr, err
		}
		if nodes += 2*t.numLeaves - 1; nodes > lim.MaxNodes {
			return nil, hdr, tooLargef("more than %d nodes in all (tree %d)", lim.MaxNodes, i)
		}
		e.trees = append(e.trees, t)
	}
	return e, hdr, nil
}

// parseObjective maps LightGBM's objective line to the transformation leaves
// applies, refusing objectives whose output leaves would get wrong.
func parseObjective(s string, numClass int) (transform, error) {
	tokens := strings.Fields(s)
	if len(tokens) == 0 {
		return 0, invalidf("header: objective is empty")
	}
	params := map[string]string{}
	for _, p := range tokens[1:] {
		k, v, _ := strings.Cut(p, ":")
		params[k] = v
	}
	name := tokens[0]
	switch name {
	case "binary":
		if v := params["sigmoid"]; v != "1" && v != "1.0" {
			return 0, unsupportedf("objective %q: leaves applies only sigmoid:1", clip(s))
		}
		return sigmoid, nil
	case "cross_entropy", "xentropy":
		return sigmoid, nil
	case "multiclass", "softmax":
		k, err := strconv.Atoi(params["num_class"])
		if err != nil || k != numClass {
			return 0, invalidf("objective %q does not match num_class = %d", clip(s), numClass)
		}
		return softmax, nil
	case "regression", "regression_l2", "l2", "mse", "mean_squared_error", "rmse",
		"regression_l1", "l1", "mae", "mean_absolute_error",
		"huber", "fair", "quantile", "mape", "mean_absolute_percentage_error",
		"lambdarank", "rank_xendcg":
		if _, ok := params["sqrt"]; ok {
			return 0, unsupportedf("objective %q: a model trained with reg_sqrt predicts the square of the raw score, which leaves does not apply", clip(s))
		}
		return raw, nil
	case "poisson", "gamma", "tweedie":
		return exponential, nil
	}
	return 0, unsupportedf("objective %q is not supported (want binary, multiclass, regression, poisson, gamma or tweedie)", clip(s))
}

// parseTree reads one "Tree=i" block.
func parseTree(blk *block, i int, lim Limits) (tree, error) {
	t := tree{line: blk.line}
	errf := func(format string, args ...any) error { return treeErrorf(i, blk.line, format, args...) }
	if got := blk.keys["Tree"]; got != strconv.Itoa(i) {
		return t, errf("Tree=%s, want Tree=%d (trees must come in order)", clip(got), i)
	}
	intField := func(key string, lo, hi int) (int, error) {
		v, ok := blk.keys[key]
		if !ok {
			return 0, errf("no %s line", key)
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, errf("%s = %q is not an integer", key, clip(v))
		}
		if n < lo || n > hi {
			return 0, errf("%s = %d, want %d..%d", key, n, lo, hi)
		}
		return n, nil
	}
	var err error
	if t.numLeaves, err = intField("num_leaves", 1, lim.MaxLeaves); err != nil {
		return t, err
	}
	n := t.numLeaves - 1
	if t.numCat, err = intField("num_cat", 0, n); err != nil {
		return t, err
	}
	if v, ok := blk.keys["is_linear"]; ok && v != "0" {
		return t, unsupportedf("tree %d (line %d): linear trees (is_linear=%s) are not supported by leaves", i, blk.line, clip(v))
	}
	if t.leafValue, err = floatsField(blk, "leaf_value", t.numLeaves, errf); err != nil {
		return t, err
	}
	if n > 0 {
		if t.splitFeature, err = uintsField(blk, "split_feature", n, errf); err != nil {
			return t, err
		}
		if t.threshold, err = floatsField(blk, "threshold", n, errf); err != nil {
			return t, err
		}
		if t.decisionType, err = uintsField(blk, "decision_type", n, errf); err != nil {
			return t, err
		}
		if t.leftChild, err = intsField(blk, "left_child", n, errf); err != nil {
			return t, err
		}
		if t.rightChild, err = intsField(blk, "right_child", n, errf); err != nil {
			return t, err
		}
	}
	if t.numCat > 0 {
		if t.catBoundaries, err = uintsField(blk, "cat_boundaries", t.numCat+1, errf); err != nil {
			return t, err
		}
		v, ok := blk.keys["cat_threshold"]
		if !ok {
			return t, errf("no cat_threshold line")
		}
		if t.catThreshold, err = uintsField(blk, "cat_threshold", countFields(v), errf); err != nil {
			return t, err
		}
	}
	return t, nil
}

// countFields counts the space-separated values of s without allocating.
func countFields(s string) int {
	n, in := 0, false
	for i := 0; i < len(s); i++ {
		sp := s[i] == ' ' || s[i] == '\t'
		if !sp && !in {
			n++
		}
		in = !sp
	}
	return n
}

// field returns the value of key after checking it holds want values, so
// that the caller allocates only what the file really contains and what the
// limits allow.
func field(blk *block, key string, want int, errf func(string, ...any) error) (string, error) {
	v, ok := blk.keys[key]
	if !ok {
		return "", errf("no %s line", key)
	}
	if got := countFields(v); got != want {
		return "", errf("%s has %d values, want %d", key, got, want)
	}
	return v, nil
}

func floatsField(blk *block, key string, want int, errf func(string, ...any) error) ([]float64, error) {
	v, err := field(blk, key, want, errf)
	if err != nil {
		return nil, err
	}
	out := make([]float64, 0, want)
	for f := range strings.FieldsSeq(v) {
		x, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, errf("%s[%d] = %q is not a number", key, len(out), clip(f))
		}
		out = append(out, x)
	}
	return out, nil
}

func uintsField(blk *block, key string, want int, errf func(string, ...any) error) ([]uint32, error) {
	v, err := field(blk, key, want, errf)
	if err != nil {
		return nil, err
	}
	out := make([]uint32, 0, want)
	for f := range strings.FieldsSeq(v) {
		x, err := strconv.ParseUint(f, 10, 32)
		if err != nil {
			return nil, errf("%s[%d] = %q is not an unsigned 32-bit integer", key, len(out), clip(f))
		}
		out = append(out, uint32(x))
	}
	return out, nil
}

func intsField(blk *block, key string, want int, errf func(string, ...any) error) ([]int32, error) {
	v, err := field(blk, key, want, errf)
	if err != nil {
		return nil, err
	}
	out := make([]int32, 0, want)
	for f := range strings.FieldsSeq(v) {
		x, err := strconv.ParseInt(f, 10, 32)
		if err != nil {
			return nil, errf("%s[%d] = %q is not a 32-bit integer", key, len(out), clip(f))
		}
		out = append(out, int32(x))
	}
	return out, nil
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
