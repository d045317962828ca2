package modelfile

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// xgbCases is one NAME_cases.json written by bench/xgb/make_models.py.
type xgbCases struct {
	Objective   string       `json:"objective"`
	NumFeatures int          `json:"num_features"`
	NumOutputs  int          `json:"num_outputs"`
	Rows        [][]*float64 `json:"rows"`
	Predictions [][]float64  `json:"predictions"`
}

// checkXGBoostPeer loads dir/NAME.json through Load and compares its
// predictions with xgboost's, to 1e-6 (relative above 1: xgboost adds its
// float32 leaf values in float32, so a regression output near 8 is only
// known to about 1e-6 absolute; leaves adds in float64).
func checkXGBoostPeer(t *testing.T, dir, name string) {
	t.Helper()
	model, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, name+"_cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c xgbCases
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	m, err := Load(model, Limits{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if m.Format != XGBoostJSON || m.Objective != c.Objective || m.NumFeatures != c.NumFeatures || m.NumOutputs != c.NumOutputs {
		t.Fatalf("model = %s %q %d features %d outputs, want xgboost-json %q %d %d",
			m.Format, m.Objective, m.NumFeatures, m.NumOutputs, c.Objective, c.NumFeatures, c.NumOutputs)
	}
	if name == "xgb_pruned" && (len(m.FeatureNames) != 6 || m.FeatureNames[5] != "f5" || !strings.Contains(string(m.Text), "\nfeature_names=f0 f1 f2 f3 f4 f5\n")) {
		t.Errorf("feature names %q not kept", m.FeatureNames)
	}
	rows := make([][]float64, len(c.Rows))
	for i, r := range c.Rows {
		rows[i] = make([]float64, len(r))
		for j, v := range r {
			rows[i][j] = math.NaN()
			if v != nil {
				rows[i][j] = *v
			}
		}
	}
	// Both paths: one row at a time and the dense, multi-goroutine batch.
	for _, batch := range []int{1, len(rows)} {
		worst := 0.0
		for lo := 0; lo < len(rows); lo += batch {
			hi := min(len(rows), lo+batch)
			got, err := m.Predict(rows[lo:hi])
			if err != nil {
				t.Fatalf("Predict: %v", err)
			}
			for i := lo; i < hi; i++ {
				for k, want := range c.Predictions[i] {
					g := got[(i-lo)*m.NumOutputs+k]
					d := math.Abs(g - want)
					worst = max(worst, d)
					if !(d <= 1e-6*max(1, math.Abs(want))) {
						t.Errorf("%s row %d output %d: freshet %.9g, xgboost %.9g (diff %.3g); row %v", name, i, k, g, want, d, rows[i])
					}
				}
			}
		}
		t.Logf("%s: %d rows, batch %d: max |freshet - xgboost| = %.3g", name, len(rows), batch, worst)
	}
}

var xgbPeers = []string{"xgb_binary", "xgb_multi", "xgb_reg", "xgb_pruned"}

// TestXGBoostPeerFixtures matches xgboost 1.7's predictions stored in
// testdata by bench/xgb/make_models.py.
func TestXGBoostPeerFixtures(t *testing.T) {
	t.Parallel()
	for _, name := range xgbPeers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkXGBoostPeer(t, "testdata", name)
		})
	}
}

// TestXGBoostPeerLive trains fresh models with the installed xgboost and
// checks them the same way. It is skipped when python3-xgboost is missing,
// except in CI (CI set), which installs it.
func TestXGBoostPeerLive(t *testing.T) {
	t.Parallel()
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import xgboost").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %s cannot import xgboost (%v): install python3-xgboost", python, err)
		}
		t.Skipf("%s cannot import xgboost: %v", python, err)
	}
	dir := t.TempDir()
	out, err := exec.Command(python, "../../bench/xgb/make_models.py", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("make_models.py: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	for _, name := range xgbPeers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkXGBoostPeer(t, dir, name)
		})
	}
}

// TestXGBoostVariants loads spellings of the same model that other XGBoost
// versions or settings write; each must predict exactly like the original.
func TestXGBoostVariants(t *testing.T) {
	t.Parallel()
	base, err := Load(readTestdata(t, "xgb_multi.json"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]float64{{0, 0, 0, 0, 0, 0}, {1, -1, 2, 0.5, math.NaN(), 3}, {math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()}}
	want, err := base.Predict(rows)
	if err != nil {
		t.Fatal(err)
	}
	learner := func(d map[string]any) map[string]any { return path(d, "learner").(map[string]any) }
	tests := []struct {
		name string
		edit func(d map[string]any)
	}{
		{"multi:softmax gives probabilities too", func(d map[string]any) {
			learner(d)["objective"].(map[string]any)["name"] = "multi:softmax"
		}},
		{"base_score as a per-class list (XGBoost 3)", func(d map[string]any) {
			learner(d)["learner_model_param"].(map[string]any)["base_score"] = "[2E-1,2E-1,2E-1]"
		}},
		{"default_left as booleans", func(d map[string]any) {
			for _, tr := range path(d, "learner", "gradient_booster", "model", "trees").([]any) {
				dl := tr.(map[string]any)["default_left"].([]any)
				for i, v := range dl {
					dl[i] = v.(float64) == 1
				}
			}
		}},
		{"trees grouped by class instead of by round", func(d map[string]any) {
			m := path(d, "learner", "gradient_booster", "model").(map[string]any)
			trees, info := m["trees"].([]any), m["tree_info"].([]any)
			var ts, is []any
			for c := range 3 {
				for i := range trees {
					if int(info[i].(float64)) == c {
						ts, is = append(ts, trees[i]), append(is, info[i])
					}
				}
			}
			m["trees"], m["tree_info"] = ts, is
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Load(mutateJSON(t, "xgb_multi.json", tt.edit), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.Predict(rows)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1e-12 {
					t.Fatalf("output %d = %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}
