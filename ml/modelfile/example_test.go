package modelfile_test

import (
	"fmt"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/modelfile"
)

func ExampleLoad() {
	model := []byte(`tree
version=v4
num_class=1
num_tree_per_iteration=1
max_feature_idx=1
objective=binary sigmoid:1
tree_sizes=120

Tree=0
num_leaves=2
num_cat=0
split_feature=1
threshold=0.5
decision_type=10
left_child=-1
right_child=-2
leaf_value=-2 2
shrinkage=1

end of trees
`)
	m, err := modelfile.Load(model, modelfile.Limits{})
	if err != nil {
		fmt.Println(ml.ErrorMessage(err))
		return
	}
	fmt.Println(m.Format, m.SourceVersion, m.Objective, m.NumFeatures, "features")
	// x1 <= 0.5 goes left; a missing value (NaN) goes left too (decision_type 10).
	p, err := m.Predict([][]float64{{0, 0.1}, {0, 0.9}})
	fmt.Printf("%.4f %v\n", p, err)
	_, err = m.Predict([][]float64{{0}})
	fmt.Println(ml.ErrorMessage(err))

	_, err = modelfile.Load([]byte("binf\x00\x00\x00?"), modelfile.Limits{})
	fmt.Println(ml.ErrorMessage(err))
	// Output:
	// lightgbm-text v4 binary sigmoid:1 2 features
	// [0.1192 0.8808] <nil>
	// row 0 has 1 values, the model wants 2
	// model file: legacy XGBoost binary model: save it with model.save_model('model.json') (JSON) and try again
}
