package modelfile

import (
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
)

// mutate replaces old (which must occur) with new in s.
func mutate(t *testing.T, s, old, new string) []byte {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("mutate: %q not in model", old)
	}
	return []byte(strings.Replace(s, old, new, 1))
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mutateJSON decodes an XGBoost JSON model, lets edit change it and
// encodes it again.
func mutateJSON(t *testing.T, name string, edit func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(readTestdata(t, name), &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// path walks decoded JSON: strings index objects, ints index arrays.
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

func xgbTree0(doc map[string]any) map[string]any {
	return path(doc, "learner", "gradient_booster", "model", "trees", 0).(map[string]any)
}

// TestLoadHostile feeds malformed and hostile files to Load: each must give
// a clear error (with the code and the words a user needs), never a panic.
func TestLoadHostile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input func(t *testing.T) []byte
		code  string
		want  string
	}{
		// Not a model, or a format freshet refuses.
		{"empty", func(*testing.T) []byte { return nil }, ml.EINVALID, "the file is empty"},
		{"garbage", func(*testing.T) []byte { return []byte("hello, world\n") }, ml.EUNSUPPORTEDFMT, `unrecognised model file (starts with "hello, world\n")`},
		{"legacy xgboost binary", func(t *testing.T) []byte { return readTestdata(t, "xgb_legacy.bin") }, ml.EUNSUPPORTEDFMT,
			"legacy XGBoost binary model: save it with model.save_model('model.json') (JSON) and try again"},
		{"pre-1.0 xgboost binary without magic", func(t *testing.T) []byte { return readTestdata(t, "xgb_legacy.bin")[4:] }, ml.EUNSUPPORTEDFMT,
			"legacy XGBoost binary model"},
		{"xgboost ubjson", func(t *testing.T) []byte { return readTestdata(t, "xgb_tiny.ubj") }, ml.EUNSUPPORTEDFMT,
			"XGBoost UBJSON model: save it with model.save_model('model.json')"},
		{"gzip", func(*testing.T) []byte { return []byte{0x1f, 0x8b, 8, 0, 0, 0} }, ml.EUNSUPPORTEDFMT, "gzip-compressed"},
		{"pickle", func(*testing.T) []byte { return []byte{0x80, 4, 0x95, 0} }, ml.EUNSUPPORTEDFMT, "Python pickle"},
		{"json without learner", func(*testing.T) []byte { return []byte(`{"a": 1}`) }, ml.EUNSUPPORTEDFMT, `without a "learner" object`},
		{"lightgbm json dump", func(*testing.T) []byte { return []byte(`{"name":"tree","tree_info":[]}`) }, ml.EUNSUPPORTEDFMT, "dump_model"},

		// LightGBM text.
		{"truncated in a tree", func(*testing.T) []byte { return []byte(deepModel[:strings.Index(deepModel, "leaf_value=0.1 0.2")+18]) }, ml.EINVALID,
			"tree 0 (line 10): leaf_value has 2 values, want 5"},
		{"truncated after a tree", func(*testing.T) []byte { return []byte(deepModel[:strings.Index(deepModel, "Tree=1")]) }, ml.EINVALID,
			"tree_sizes lists 2 trees, the file has 1"},
		{"truncated header", func(*testing.T) []byte { return []byte(deepModel[:40]) }, ml.EINVALID, "header: no num_tree_per_iteration line"},
		{"child out of range", func(t *testing.T) []byte { return mutate(t, deepModel, "left_child=2 -3", "left_child=7 -3") }, ml.EINVALID,
			"tree 0 (line 10): left_child[0] = 7 is out of range: the tree has 4 internal nodes (0..3)"},
		{"leaf index out of range", func(t *testing.T) []byte {
			return mutate(t, deepModel, "right_child=1 3 -2 -5", "right_child=1 3 -2 -6")
		}, ml.EINVALID,
			"right_child[3] = -6 points at leaf 5, but num_leaves = 5"},
		{"cycle", func(t *testing.T) []byte {
			return mutate(t, deepModel, "right_child=1 3 -2 -5", "right_child=1 3 -2 1")
		}, ml.EINVALID,
			"right_child[3] = 1 reaches node 1 a second time (a cycle or a shared subtree)"},
		{"cycle to the root", func(t *testing.T) []byte {
			return mutate(t, deepModel, "right_child=1 3 -2 -5", "right_child=1 3 -2 0")
		}, ml.EINVALID,
			"reaches node 0 a second time"},
		{"leaf reached twice", func(t *testing.T) []byte {
			return mutate(t, deepModel, "right_child=1 3 -2 -5", "right_child=1 3 -2 -4")
		}, ml.EINVALID,
			"right_child[3] = -4 reaches leaf 3 a second time"},
		{"split_feature beyond max_feature_idx", func(t *testing.T) []byte {
			return mutate(t, deepModel, "split_feature=0 2 1 1", "split_feature=0 2 1 3")
		}, ml.EINVALID,
			"tree 0 (line 10): split_feature[3] = 3, but max_feature_idx = 2"},
		{"NaN leaf", func(t *testing.T) []byte {
			return mutate(t, deepModel, "leaf_value=0.1 0.2 0.3", "leaf_value=0.1 nan 0.3")
		}, ml.EINVALID,
			"tree 0 (line 10): leaf_value[1] = NaN is not a finite number"},
		{"infinite threshold", func(t *testing.T) []byte { return mutate(t, deepModel, "threshold=0 -1 1 5", "threshold=0 -1 inf 5") }, ml.EINVALID,
			"threshold[2] = +Inf is not a finite number"},
		{"number that is not one", func(t *testing.T) []byte { return mutate(t, deepModel, "threshold=0 -1 1 5", "threshold=0 -1 1 5x") }, ml.EINVALID,
			`threshold[3] = "5x" is not a number`},
		{"tree_sizes lists fewer trees", func(t *testing.T) []byte { return mutate(t, deepModel, "tree_sizes=300 80", "tree_sizes=300") }, ml.EINVALID,
			"tree_sizes lists 1 trees, but the file has more (leaves would silently drop them)"},
		{"tree_sizes lists more trees", func(t *testing.T) []byte { return mutate(t, deepModel, "tree_sizes=300 80", "tree_sizes=300 80 80") }, ml.EINVALID,
			"tree_sizes lists 3 trees, the file has 2"},
		{"header value with =", func(t *testing.T) []byte {
			return mutate(t, deepModel, "tree_sizes=", "feature_names=a=1 b c\ntree_sizes=")
		}, ml.EINVALID, `line 8 (header, "feature_names"): a value containing '=' breaks leaves' parser`},
		{"10^9 declared leaves", func(t *testing.T) []byte { return mutate(t, deepModel, "num_leaves=5", "num_leaves=1000000000") }, ml.EINVALID,
			"tree 0 (line 10): num_leaves = 1000000000, want 1..1048576"},
		{"declared leaves beyond the values", func(t *testing.T) []byte { return mutate(t, deepModel, "num_leaves=5", "num_leaves=900000") }, ml.EINVALID,
			"leaf_value has 5 values, want 900000"},
		{"10^9 trees", func(t *testing.T) []byte { return mutate(t, deepModel, "num_class=1\n", "num_class=1000000000\n") }, ml.ETOOLARGE,
			"num_class = 1000000000, the limit is 10000"},
		{"unsupported decision_type", func(t *testing.T) []byte {
			return mutate(t, deepModel, "decision_type=8 10 8 2", "decision_type=8 10 12 2")
		}, ml.EINVALID,
			"decision_type[2] = 12 has unsupported bits"},
		{"categorical index out of range", func(t *testing.T) []byte { return mutate(t, catModel, "threshold=0 2.5", "threshold=1 2.5") }, ml.EINVALID,
			"threshold[0] = 1 of a categorical split must index cat_boundaries (0..0)"},
		{"categorical bitset beyond cat_threshold", func(t *testing.T) []byte { return mutate(t, catModel, "cat_boundaries=0 1", "cat_boundaries=0 5") }, ml.EINVALID,
			"cat_boundaries ends at 5 but cat_threshold has 1 values"},
		{"categorical split without categories", func(t *testing.T) []byte { return mutate(t, catModel, "cat_threshold=10", "cat_threshold=0") }, ml.EINVALID,
			"has no category set"},
		{"num_class against objective", func(t *testing.T) []byte {
			return mutate(t, deepModel, "num_class=1\nnum_tree_per_iteration=1", "num_class=2\nnum_tree_per_iteration=2")
		}, ml.EINVALID, "num_class = 2, but the objective has one output"},
		{"multiclass objective against num_class", func(t *testing.T) []byte { return mutate(t, multiModel, "num_class:3", "num_class:4") }, ml.EINVALID,
			`objective "multiclass num_class:4" does not match num_class = 3`},
		{"unsupported objective", func(t *testing.T) []byte {
			return mutate(t, stumpModel, "objective=regression", "objective=multiclassova num_class:1 sigmoid:1")
		}, ml.EUNSUPPORTEDFMT,
			`objective "multiclassova num_class:1 sigmoid:1" is not supported`},
		{"reg_sqrt", func(t *testing.T) []byte {
			return mutate(t, stumpModel, "objective=regression", "objective=regression sqrt")
		}, ml.EUNSUPPORTEDFMT, "reg_sqrt"},
		{"linear tree", func(t *testing.T) []byte { return mutate(t, stumpModel, "is_linear=0", "is_linear=1") }, ml.EUNSUPPORTEDFMT, "linear trees (is_linear=1)"},
		{"unknown version", func(t *testing.T) []byte { return mutate(t, stumpModel, "version=v3", "version=v9") }, ml.EUNSUPPORTEDFMT, "version=v9, want v2, v3 or v4"},
		{"trees out of order", func(t *testing.T) []byte { return mutate(t, deepModel, "Tree=1", "Tree=7") }, ml.EINVALID, "Tree=7, want Tree=1"},
		{"key twice", func(t *testing.T) []byte {
			return mutate(t, deepModel, "num_cat=0\nsplit", "num_cat=0\nnum_cat=0\nsplit")
		}, ml.EINVALID,
			`line 13 (tree 0): "num_cat" given twice (first on line 12)`},
		{"unreachable node", func(t *testing.T) []byte {
			// node3 keeps its children but nobody points at it; leaf 3 and 4 hang off node 1.
			return mutate(t, deepModel, "right_child=1 3 -2 -5", "right_child=1 -4 -2 -5")
		}, ml.EINVALID, "internal node 3 is not reachable from the root"},
		{"no trees", func(t *testing.T) []byte { return mutate(t, stumpModel, "tree_sizes=160", "tree_sizes=") }, ml.EINVALID, "tree_sizes is empty"},
		{"unexpected block", func(t *testing.T) []byte { return mutate(t, deepModel, "Tree=1", "Forest=1") }, ml.EINVALID, "line 21: want Tree=1 or end of trees"},

		// XGBoost JSON.
		{"xgboost truncated", func(t *testing.T) []byte { b := readTestdata(t, "xgb_binary.json"); return b[:len(b)/2] }, ml.EINVALID,
			"the document ends early (truncated file?)"},
		{"xgboost child out of range", func(t *testing.T) []byte {
			return mutateJSON(t, "xgb_binary.json", func(d map[string]any) { xgbTree0(d)["left_children"].([]any)[0] = 999 })
		}, ml.EINVALID, "XGBoost tree 0: node 0 has children 999 and 2, want node indices in 1.."},
		{"xgboost cycle", func(t *testing.T) []byte {
			return mutateJSON(t, "xgb_binary.json", func(d map[string]any) {
				tr := xgbTree0(d)
				tr["left_children"].([]any)[2] = 1 // node 2 (right of root) points back into the left subtree
			})
		}, ml.EINVALID, "a second time (a cycle or a shared subtree)"},
		{"xgboost arrays of different lengths", func(t *testing.T) []byte {
			return mutateJSON(t, "xgb_binary.json", func(d map[string]any) {
				tr := xgbTree0(d)
				tr["split_conditions"] = tr["split_conditions"].([]any)[1:]
			})
		}, ml.EINVALID, "XGBoost tree 0: split_conditions has"},
		{"xgboost split beyond num_feature", func(t *testing.T) []byte {
			return mutateJSON(t, "xgb_binary.json", func(d map[string]any) { xgbTree0(d)["split_indices"].([]any)[0] = 6 })
		}, ml.EINVALID, "split_indices[0] = 6, but the model has 6 features"},
		{"xgboost tree_info", func(t *testing.T) []byte {
			return mutateJSON(t, "xgb_binary.json", func(d map[string]any) {
				path(d, "learner", "gradient_booster", "model").(map[string]any)["tree_info"].([]any)[3] = 1
			})
		}, ml.EINVALID, "tree_info[3] = 1, want a class in 0..0"},
		{"xgboost dart", func(t *testing.T) []byte {
			return mutateJSON(t, "xgb_binary.json", func(d map[string]any) { path(d, "learner", "gradient_booster").(map[string]any)["name"] = "dart" })
		}, ml.EUNSUPPORTEDFMT, `XGBoost booster "dart" is not supported`},
		{"xgboost gblinear", func(t *testing.T) []byte {
			return mutateJSON(t, "xgb_binary.json", func(d map[string]any) { path(d, "learner", "gradient_booster").(map[string]any)["name"] = "gblinear" })
		}, ml.EUNSUPPORTEDFMT, `XGBoost booster "gblinear" is not supported`},
		{"xgboost categorical split", func(t *testing.T) []byte {
			return mutateJSON(t, "xgb_binary.json", func(d map[string]any) { xgbTree0(d)["split_type"].([]any)[0] = 1 })
		}, ml.EUNSUPPORTEDFMT, "XGBoost tree 0: node 0 is a categorical split"},
		{"xgboost objective", func(t *testing.T) []byte {
			return mutateJSON(t, "xgb_binary.json", func(d map[string]any) { path(d, "learner", "objective").(map[string]any)["name"] = "rank:pairwise" })
		}, ml.EUNSUPPORTEDFMT, `XGBoost objective "rank:pairwise" is not supported`},
		{"xgboost base_score", func(t *testing.T) []byte {
			return mutateJSON(t, "xgb_binary.json", func(d map[string]any) {
				path(d, "learner", "learner_model_param").(map[string]any)["base_score"] = "1E0"
			})
		}, ml.EINVALID, "base_score = 1, want a probability strictly between 0 and 1"},
		{"xgboost multiclass trees per class", func(t *testing.T) []byte {
			return mutateJSON(t, "xgb_multi.json", func(d map[string]any) {
				path(d, "learner", "gradient_booster", "model").(map[string]any)["tree_info"].([]any)[0] = 1
			})
		}, ml.EINVALID, "class 0 has 19 trees but class 1 has 21"},
		{"xgboost wrong type", func(t *testing.T) []byte {
			return mutateJSON(t, "xgb_binary.json", func(d map[string]any) { xgbTree0(d)["left_children"] = "nope" })
		}, ml.EINVALID, "is not a []int32"},
		{"xgboost float32 overflow", func(t *testing.T) []byte {
			return mutateJSON(t, "xgb_binary.json", func(d map[string]any) { xgbTree0(d)["split_conditions"].([]any)[0] = 1e300 })
		}, ml.EINVALID, "split_conditions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Load(tt.input(t), Limits{})
			if err == nil {
				t.Fatalf("Load succeeded: %+v", m)
			}
			if code := ml.ErrorCode(err); code != tt.code {
				t.Errorf("code %q, want %q (%v)", code, tt.code, err)
			}
			if msg := ml.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("message\n  %s\nwant it to contain\n  %s", msg, tt.want)
			}
		})
	}
}

// TestLoadLimits checks that every bound of Limits is enforced.
func TestLoadLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		input  []byte
		code   string
		want   string
		limits Limits
	}{
		{"too large", []byte(deepModel), ml.ETOOLARGE, "larger than 100 bytes", Limits{MaxBytes: 100}},
		{"too many trees", []byte(deepModel), ml.ETOOLARGE, "tree_sizes lists 2 trees, the limit is 1", Limits{MaxTrees: 1}},
		{"too many nodes", []byte(deepModel), ml.ETOOLARGE, "more than 9 nodes in all (tree 1)", Limits{MaxNodes: 9}},
		{"xgboost too many nodes", readTestdata(t, "xgb_binary.json"), ml.ETOOLARGE, "XGBoost JSON: more than 20 nodes in all", Limits{MaxNodes: 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(tt.input, tt.limits)
			if ml.ErrorCode(err) != tt.code || !strings.Contains(ml.ErrorMessage(err), tt.want) {
				t.Errorf("err = %v, want %s %q", err, tt.code, tt.want)
			}
		})
	}
	if _, err := Load([]byte(deepModel), Limits{MaxBytes: int64(len(deepModel)), MaxNodes: 10, MaxTrees: 2, MaxFeatures: 3, MaxLeaves: 5}); err != nil {
		t.Errorf("a model exactly at the limits: %v", err)
	}
}

// TestLoadTruncatedPrefixes loads every prefix of valid models: each loads
// or fails with an *ml.Error, never a panic.
func TestLoadTruncatedPrefixes(t *testing.T) {
	t.Parallel()
	inputs := map[string][]byte{
		"stump": []byte(stumpModel), "deep": []byte(deepModel), "multi": []byte(multiModel), "cat": []byte(catModel),
		"xgb_binary.json": readTestdata(t, "xgb_binary.json"),
	}
	for name, b := range inputs {
		step := max(1, len(b)/2000)
		for n := 0; n < len(b); n += step {
			_, err := Load(b[:n], Limits{})
			if err != nil && ml.ErrorCode(err) == ml.EINTERNAL {
				t.Fatalf("%s[:%d]: internal error %v", name, n, err)
			}
		}
	}
}

// TestHostileAllocations checks that files declaring huge sizes are refused
// before anything of that size is allocated. It is not parallel so that the
// allocation count is its own.
func TestHostileAllocations(t *testing.T) {
	manyTrees := strings.Repeat("1 ", 200_000) // 200k trees declared, limit 1000
	tests := []struct {
		name  string
		input string
	}{
		{"10^9 leaves", strings.Replace(deepModel, "num_leaves=5", "num_leaves=1000000000", 1)},
		{"10^6 leaves, few values", strings.Replace(deepModel, "num_leaves=5", "num_leaves=1000000", 1)},
		{"200k trees declared", strings.Replace(deepModel, "tree_sizes=300 80", "tree_sizes="+manyTrees, 1)},
		{"10^9 features", strings.Replace(deepModel, "max_feature_idx=2", "max_feature_idx=999999999", 1)},
	}
	for _, tt := range tests {
		input := []byte(tt.input)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Load(input, Limits{MaxTrees: 1000})
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("%s: loaded", tt.name)
		}
		alloc := after.TotalAlloc - before.TotalAlloc
		if alloc > 1<<20+2*uint64(len(input)) {
			t.Errorf("%s: allocated %d bytes for a %d-byte file (%v)", tt.name, alloc, len(input), err)
		}
		t.Logf("%s: %d-byte file, %d bytes allocated: %v", tt.name, len(input), alloc, err)
	}
}
