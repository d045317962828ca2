package modelfile

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/dmitryikh/leaves"
)

// leavesTestdata finds leaves' own testdata directory (real LightGBM
// models) next to its source in the module cache, or "" if the source is
// not on disk.
func leavesTestdata() string {
	pc := reflect.ValueOf(leaves.LGEnsembleFromReader).Pointer()
	file, _ := runtime.FuncForPC(pc).FileLine(pc)
	dir := filepath.Join(filepath.Dir(file), "testdata")
	if _, err := os.Stat(filepath.Join(dir, "lg_breast_cancer.txt")); err != nil {
		return ""
	}
	return dir
}

// TestLeavesCompatLightGBM loads the LightGBM text models that leaves'
// own tests use (written by LightGBM 2.x and 3.x: binary, multiclass, random
// forest, categorical splits, poisson/gamma/tweedie) both ways: leaves
// directly on the original file, and Load. Predictions on random rows with
// missing values must be identical.
func TestLeavesCompatLightGBM(t *testing.T) {
	t.Parallel()
	dir := leavesTestdata()
	if dir == "" {
		t.Skip("leaves' testdata is not on disk")
	}
	files := []string{
		"lg_breast_cancer.txt", "lg_dart_breast_cancer.model", "lg_kddcup99.model", "lg_rf_iris.model",
		"lgmulticlass.model", "model_simple.txt", "genlin_fmtp_gamma_AvgClaimAmount.model",
		"genlin_fmtp_poisson_Frequency.model", "genlin_fmtp_tweedie_PurePremium.model",
	}
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Load(b, Limits{})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			f, err := os.Open(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			direct, err := leaves.LGEnsembleFromReader(bufio.NewReader(f), true)
			if err != nil {
				t.Fatalf("leaves: %v", err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			rows := make([][]float64, 300)
			for i := range rows {
				rows[i] = make([]float64, m.NumFeatures)
				for j := range rows[i] {
					switch rng.IntN(10) {
					case 0:
						rows[i][j] = math.NaN()
					case 1, 2:
						rows[i][j] = float64(rng.IntN(30)) // categories and ties
					default:
						rows[i][j] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(5)))
					}
				}
			}
			got, err := m.Predict(rows)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float64, m.NumOutputs)
			for i, r := range rows {
				if err := direct.Predict(r, 0, want); err != nil {
					t.Fatal(err)
				}
				for k, w := range want {
					if g := got[i*m.NumOutputs+k]; g != w && !(math.IsNaN(g) && math.IsNaN(w)) {
						t.Fatalf("row %d output %d: Load %v, leaves on the original %v", i, k, g, w)
					}
				}
			}
			t.Logf("%s: %s %s, %d trees, %d features, %d outputs", name, m.SourceVersion, m.Objective, m.NumTrees, m.NumFeatures, m.NumOutputs)
		})
	}
}
