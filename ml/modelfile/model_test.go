package modelfile

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
)

// Hand-built LightGBM text models. Trees are listed with the header's
// tree_sizes count, as LightGBM writes them; the sizes themselves are not
// checked (LightGBM writes byte counts, leaves ignores them).

// stumpModel is one split on feature 1: x1 <= 0.5 goes left (-1), else +1.
// Missing type NaN (decision_type 8) with default right: NaN goes to +1.
const stumpModel = `tree
version=v3
num_class=1
num_tree_per_iteration=1
label_index=0
max_feature_idx=1
objective=regression
feature_names=a b
feature_infos=[-1:1] [-1:1]
tree_sizes=160

Tree=0
num_leaves=2
num_cat=0
split_feature=1
split_gain=12.5
threshold=0.5
decision_type=8
left_child=-1
right_child=-2
leaf_value=-1 1
leaf_weight=10 10
leaf_count=10 10
internal_value=0
internal_weight=20
internal_count=20
is_linear=0
shrinkage=1


end of trees

feature_importances:
b=1

parameters:
[boosting: gbdt]
[objective: regression]
end of parameters

pandas_categorical:null
`

// deepModel is a binary model: a three-level tree whose internal nodes are
// not numbered in preorder (the root's left child is node 2), mixed missing
// handling, then a one-leaf tree adding 0.05.
//
//	node0: x0 <= 0 (NaN: right)        -> node2 | node1
//	node2: x1 <= 1 (NaN: right)        -> leaf0 0.1 | leaf1 0.2
//	node1: x2 <= -1 (NaN: left)        -> leaf2 0.3 | node3
//	node3: x1 <= 5 (missing None: NaN is 0) -> leaf3 0.4 | leaf4 0.5
const deepModel = `tree
version=v4
num_class=1
num_tree_per_iteration=1
label_index=0
max_feature_idx=2
objective=binary sigmoid:1
tree_sizes=300 80

Tree=0
num_leaves=5
num_cat=0
split_feature=0 2 1 1
threshold=0 -1 1 5
decision_type=8 10 8 2
left_child=2 -3 -1 -4
right_child=1 3 -2 -5
leaf_value=0.1 0.2 0.3 0.4 0.5
shrinkage=0.1

Tree=1
num_leaves=1
num_cat=0
leaf_value=0.05
shrinkage=1

end of trees
`

// multiModel is a 3-class model, two iterations: tree i is class i % 3.
const multiModel = `tree
version=v2
num_class=3
num_tree_per_iteration=3
label_index=0
max_feature_idx=0
objective=multiclass num_class:3
tree_sizes=1 1 1 1 1 1

Tree=0
num_leaves=2
num_cat=0
split_feature=0
threshold=1
decision_type=2
left_child=-1
right_child=-2
leaf_value=1 -1

Tree=1
num_leaves=2
num_cat=0
split_feature=0
threshold=2
decision_type=0
left_child=-1
right_child=-2
leaf_value=0 0.5

Tree=2
num_leaves=1
num_cat=0
leaf_value=0.25

Tree=3
num_leaves=2
num_cat=0
split_feature=0
threshold=0
decision_type=0
left_child=-1
right_child=-2
leaf_value=0.5 0

Tree=4
num_leaves=1
num_cat=0
leaf_value=0.1

Tree=5
num_leaves=2
num_cat=0
split_feature=0
threshold=3
decision_type=0
left_child=-2
right_child=-1
leaf_value=2 -2
end of trees
`

// catModel has a categorical split: categories 1 and 3 (bitset 0b1010) go
// left; a numerical split follows on the right.
const catModel = `tree
version=v3
num_class=1
num_tree_per_iteration=1
max_feature_idx=1
objective=regression
tree_sizes=1

Tree=0
num_leaves=3
num_cat=1
split_feature=0 1
threshold=0 2.5
decision_type=1 0
left_child=-1 -2
right_child=1 -3
leaf_value=10 20 30
cat_boundaries=0 1
cat_threshold=10
is_linear=0
shrinkage=1
`

func softmax3(a, b, c float64) []float64 {
	m := max(a, b, c)
	ea, eb, ec := math.Exp(a-m), math.Exp(b-m), math.Exp(c-m)
	s := ea + eb + ec
	return []float64{ea / s, eb / s, ec / s}
}

func sigm(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func TestLoadLightGBM(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	// multiclass raw scores per class for x0: class0 tree0 + tree3, class1
	// tree1 + tree4, class2 tree2 + tree5.
	multi := func(x float64) []float64 {
		var s [3]float64
		s[0] = map[bool]float64{true: 1, false: -1}[x <= 1] + map[bool]float64{true: 0.5, false: 0}[x <= 0]
		s[1] = map[bool]float64{true: 0, false: 0.5}[x <= 2] + 0.1
		s[2] = 0.25 + map[bool]float64{true: -2, false: 2}[x <= 3]
		return softmax3(s[0], s[1], s[2])
	}
	tests := []struct {
		name      string
		text      string
		outputs   int
		trees     int
		objective string
		version   string
		rows      [][]float64
		want      []float64
	}{
		{
			name: "stump", text: stumpModel, outputs: 1, trees: 1, objective: "regression", version: "v3",
			rows: [][]float64{{0, 0.2}, {9, 0.5}, {0, 0.50000001}, {0, nan}, {nan, -3}},
			want: []float64{-1, -1, 1, 1, -1},
		},
		{
			name: "deep tree v4 header", text: deepModel, outputs: 1, trees: 2, objective: "binary sigmoid:1", version: "v4",
			rows: [][]float64{
				{-1, 0, 0}, {-1, 2, 0}, {1, 0, -2}, {1, 3, 0}, {1, 7, 0},
				{nan, 0, 0},  // node0 NaN right -> node1 (0 > -1) -> node3 (0 <= 5) -> leaf3
				{1, 0, nan},  // node1 NaN default left -> leaf2
				{1, nan, 5},  // node3 missing None: NaN is 0 -> leaf3
				{-1, nan, 0}, // node2 NaN right -> leaf1
				{0, 1, -1},   // thresholds are inclusive: x <= t goes left
			},
			want: []float64{sigm(0.15), sigm(0.25), sigm(0.35), sigm(0.45), sigm(0.55), sigm(0.45), sigm(0.35), sigm(0.45), sigm(0.25), sigm(0.15)},
		},
		{
			name: "multiclass", text: multiModel, outputs: 3, trees: 6, objective: "multiclass num_class:3", version: "v2",
			rows: [][]float64{{-1}, {0.5}, {1.5}, {2.5}, {4}},
			want: append(append(append(append(multi(-1), multi(0.5)...), multi(1.5)...), multi(2.5)...), multi(4)...),
		},
		{
			name: "categorical split", text: catModel, outputs: 1, trees: 1, objective: "regression", version: "v3",
			rows: [][]float64{{1, 0}, {3, 9}, {2, 1}, {2, 3}, {0, 3}, {-1, 0}},
			want: []float64{10, 10, 20, 30, 30, 20},
		},
		{
			name: "windows line endings", text: strings.ReplaceAll(stumpModel, "\n", "\r\n"), outputs: 1, trees: 1, objective: "regression", version: "v3",
			rows: [][]float64{{0, 0.2}, {0, 0.7}},
			want: []float64{-1, 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Load([]byte(tt.text), Limits{})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if m.Format != LightGBMText || m.NumOutputs != tt.outputs || m.NumTrees != tt.trees || m.Objective != tt.objective || m.SourceVersion != tt.version {
				t.Fatalf("model = %+v", m)
			}
			if !bytes.HasPrefix(m.Text, []byte("tree\nversion=v3\n")) {
				t.Errorf("normalised text does not start with a v3 header:\n%s", m.Text)
			}
			if len(m.SHA256) != 64 {
				t.Errorf("SHA256 = %q", m.SHA256)
			}
			for _, batch := range [][][]float64{tt.rows, repeat(tt.rows, 40)} {
				got, err := m.Predict(batch)
				if err != nil {
					t.Fatalf("Predict: %v", err)
				}
				for i := range got {
					if want := tt.want[i%len(tt.want)]; math.Abs(got[i]-want) > 1e-12 {
						t.Errorf("batch of %d: output %d = %v, want %v", len(batch), i, got[i], want)
					}
				}
			}
			// The canonical text loads to the same canonical text.
			again, err := Load(m.Text, Limits{})
			if err != nil {
				t.Fatalf("reload: %v", err)
			}
			if !bytes.Equal(again.Text, m.Text) {
				t.Errorf("canonical text changed on reload:\n%s\nvs\n%s", m.Text, again.Text)
			}
		})
	}
}

func repeat(rows [][]float64, n int) [][]float64 {
	var out [][]float64
	for range n {
		out = append(out, rows...)
	}
	return out
}

func TestPredictChecksRows(t *testing.T) {
	t.Parallel()
	m, err := Load([]byte(multiModel), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		rows [][]float64
		want string
	}{
		{"short row", [][]float64{{1}, {}}, "row 1 has 0 values, the model wants 1"},
		{"long row", [][]float64{{1, 2}}, "row 0 has 2 values, the model wants 1"},
		{"long row in a big batch", append(repeat([][]float64{{1}}, 100), []float64{1, 2}), "row 100 has 2 values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := m.Predict(tt.rows)
			if err == nil || !strings.Contains(err.Error(), tt.want) || ml.ErrorCode(err) != ml.EINVALID {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := m.PredictDense([]float64{1, 2, 3}); err != nil {
		t.Errorf("PredictDense with 3 one-feature rows: %v", err)
	}
	if got, err := m.Predict(nil); err != nil || len(got) != 0 {
		t.Errorf("Predict(nil) = %v, %v", got, err)
	}
}
