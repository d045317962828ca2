package gbdt

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLeavesAgrees trains models of every objective and growth mode, with
// missing values in training and test data, and checks that leaves scores
// them exactly as the trainer's own Predict does.
func TestLeavesAgrees(t *testing.T) {
	t.Parallel()
	elecTrain, elecTest := elec2Split(t)
	elecTrain = withMissing(elecTrain, 0.05, 1)
	elecTest = withMissing(elecTest, 0.05, 2)
	multi := withMissing(synthMulticlass(3000, 1), 0.1, 3)
	multiTest := withMissing(synthMulticlass(1000, 2), 0.1, 4)
	reg := withMissing(synthRegression(3000, 1), 0.1, 5)
	regTest := withMissing(synthRegression(1000, 2), 0.1, 6)
	tests := []struct {
		name        string
		train, test Dataset
		p           Params
	}{
		{"elec2 binary", elecTrain, elecTest, Params{Rounds: 30}},
		{"elec2 binary leaf-wise sampled", elecTrain, elecTest,
			Params{Rounds: 20, NumLeaves: 31, Subsample: 0.7, ColSample: 0.6, MinDataInLeaf: 20}},
		{"multiclass", multi, multiTest, Params{Objective: Multiclass, NumClass: 3, Rounds: 30}},
		{"multiclass leaf-wise", multi, multiTest, Params{Objective: Multiclass, NumClass: 3, Rounds: 20, NumLeaves: 15, MaxDepth: 5}},
		{"regression", reg, regTest, Params{Objective: Regression, Rounds: 30, MaxBins: 32}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.p.Threads = 1
			m, err := Train(tt.train, nil, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			own := predictAll(m, tt.test.X)
			lv := viaLeaves(t, m, tt.test.X)
			worst := 0.0
			for i := range own {
				if len(own[i]) != len(lv[i]) {
					t.Fatalf("row %d: %d outputs, leaves %d", i, len(own[i]), len(lv[i]))
				}
				for c := range own[i] {
					worst = math.Max(worst, math.Abs(own[i][c]-lv[i][c]))
				}
			}
			if worst > 1e-9 {
				t.Errorf("max |leaves − own| = %g, want ≤ 1e-9", worst)
			}
			t.Logf("%d trees, max |leaves − own| = %g", len(m.Trees), worst)
		})
	}
}

// TestTrainingScoresMatchThresholds checks that the binned view of the
// training data, which the trainer uses to update its scores, agrees with
// the float thresholds written in the model.
func TestTrainingScoresMatchThresholds(t *testing.T) {
	t.Parallel()
	d := withMissing(synthRegression(2000, 7), 0.2, 8)
	// Repeated values and infinities stress the bin edges.
	for i := range d.Y {
		if i%7 == 0 {
			d.X[1][i] = 0.5
		}
	}
	d.X[2][3], d.X[2][4] = math.Inf(1), math.Inf(-1)
	for _, p := range []Params{
		{Objective: Regression, Rounds: 10, MaxBins: 16},
		{Objective: Regression, Rounds: 10, NumLeaves: 20, Subsample: 0.5, ColSample: 0.5},
	} {
		m, scores, err := fit(nil, d, nil, p)
		if err != nil {
			t.Fatal(err)
		}
		for i := range d.Y {
			if got := m.PredictRaw(row(d.X, i))[0]; got != scores[i] {
				t.Fatalf("row %d: model %v, trainer %v", i, got, scores[i])
			}
		}
	}
}

func TestBinOfAgreesWithThreshold(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	col := make([]float64, 5000)
	for i := range col {
		col[i] = math.Round(rng.NormFloat64()*50) / 7
	}
	col[0], col[1] = math.Inf(-1), math.Inf(1)
	for _, maxBins := range []int{2, 10, 255} {
		e := binEdges(col, maxBins, nil)
		if len(e) > maxBins || !math.IsInf(e[len(e)-1], 1) || !slices.IsSorted(e) {
			t.Fatalf("maxBins %d: bad edges %v", maxBins, e)
		}
		for _, x := range append(col, 0.123, -1e300, 1e300, math.Nextafter(e[0], 0)) {
			bx := int(binOf(e, x))
			for b := 1; b < len(e); b++ {
				if (bx <= b) != (x <= e[b-1]) {
					t.Fatalf("x=%v bin %d, edge %d = %v", x, bx, b, e[b-1])
				}
			}
		}
	}
	if binOf(binEdges(col, 10, nil), math.NaN()) != 0 {
		t.Fatal("NaN not in bin 0")
	}
}

// TestElec2AUC is the headline check: time-ordered 80/20 split, 100
// rounds, depth 6, lr 0.1. XGBoost 1.7 hist gets 0.872.
func TestElec2AUC(t *testing.T) {
	t.Parallel()
	train, test := elec2Split(t)
	m, err := Train(train, nil, Params{Rounds: 100, MaxDepth: 6, LearningRate: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	a := auc(test.Y, firstCol(predictAll(m, test.X)))
	t.Logf("Elec2 test AUC %.4f", a)
	if a < 0.86 {
		t.Errorf("AUC %.4f < 0.86", a)
	}
	imp := m.GainImportance()
	if len(imp) != len(elec2Features) || slices.Max(imp) <= 0 {
		t.Errorf("importance %v", imp)
	}
}

func TestObjectivesLearn(t *testing.T) {
	t.Parallel()
	t.Run("multiclass", func(t *testing.T) {
		t.Parallel()
		train, test := synthMulticlass(4000, 11), synthMulticlass(2000, 12)
		m, err := Train(train, &test, Params{Objective: Multiclass, NumClass: 3, Rounds: 60})
		if err != nil {
			t.Fatal(err)
		}
		correct := 0
		for i, p := range predictAll(m, test.X) {
			if slices.Index(p, slices.Max(p)) == int(test.Y[i]) {
				correct++
			}
		}
		acc := float64(correct) / float64(len(test.Y))
		vl := m.Info.ValidLoss
		t.Logf("accuracy %.3f, log loss %.3f → %.3f", acc, vl[0], vl[len(vl)-1])
		if acc < 0.8 || vl[len(vl)-1] > 0.6*vl[0] {
			t.Errorf("multiclass did not learn: accuracy %.3f, loss %v → %v", acc, vl[0], vl[len(vl)-1])
		}
		imp := m.GainImportance()
		if imp[5] >= imp[0] {
			t.Errorf("noise feature importance %v ≥ signal %v", imp[5], imp[0])
		}
	})
	t.Run("regression", func(t *testing.T) {
		t.Parallel()
		train, test := synthRegression(4000, 13), synthRegression(2000, 14)
		m, err := Train(train, &test, Params{Objective: Regression, Rounds: 100})
		if err != nil {
			t.Fatal(err)
		}
		vl := m.Info.ValidLoss
		t.Logf("RMSE %.3f → %.3f", vl[0], vl[len(vl)-1])
		if vl[len(vl)-1] > 0.35 {
			t.Errorf("regression RMSE %.3f (start %.3f)", vl[len(vl)-1], vl[0])
		}
	})
	t.Run("binary weighted", func(t *testing.T) {
		t.Parallel()
		train, test := elec2Split(t)
		train = rowsSlice(train, 0, 10000)
		w := make([]float64, len(train.Y))
		for i := range w {
			w[i] = 1 + float64(i%3)
		}
		train.Weight = w
		m, err := Train(train, &test, Params{Rounds: 30})
		if err != nil {
			t.Fatal(err)
		}
		if vl := m.Info.ValidLoss; vl[len(vl)-1] >= vl[0] {
			t.Errorf("log loss %v → %v", vl[0], vl[len(vl)-1])
		}
	})
}

// TestContinue is the cheap incremental retrain: a model trained on older
// rows is continued on the recent week and scores the following days
// better than before.
func TestContinue(t *testing.T) {
	t.Parallel()
	X, y := loadElec2(t)
	all := Dataset{X: X, Y: y}
	old := rowsSlice(all, 0, 20000)
	week := rowsSlice(all, 20000, 20000+336) // 7 days × 48 periods
	next := rowsSlice(all, 20336, 20336+2*336)
	m, err := Train(old, nil, Params{Rounds: 50})
	if err != nil {
		t.Fatal(err)
	}
	var before bytes.Buffer
	if err := m.WriteText(&before); err != nil {
		t.Fatal(err)
	}
	stored, err := ParseText(&before)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Continue(stored, week, &next, Params{Rounds: 5, MaxDepth: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(m2.Trees) != 55 || m2.Info.StartRounds != 50 || len(stored.Trees) != 50 {
		t.Fatalf("trees %d (start %d), stored model now %d", len(m2.Trees), m2.Info.StartRounds, len(stored.Trees))
	}
	vl := m2.Info.ValidLoss
	t.Logf("next-days log loss %.4f → %.4f", vl[0], vl[len(vl)-1])
	if vl[len(vl)-1] >= vl[0] {
		t.Errorf("warm start did not lower validation loss: %v", vl)
	}
	// The first 50 trees are untouched and leaves still agrees.
	for i := range 50 {
		if !slices.Equal(m2.Trees[i].LeafValue, stored.Trees[i].LeafValue) {
			t.Fatalf("tree %d changed", i)
		}
	}
	own, lv := predictAll(m2, next.X), viaLeaves(t, m2, next.X)
	for i := range own {
		if math.Abs(own[i][0]-lv[i][0]) > 1e-9 {
			t.Fatalf("row %d: own %v leaves %v", i, own[i][0], lv[i][0])
		}
	}
	if _, err := Continue(stored, week, nil, Params{Objective: Regression}); err == nil {
		t.Error("continuing as another objective should fail")
	}
}

func TestDeterminism(t *testing.T) {
	t.Parallel()
	train, _ := elec2Split(t)
	train = withMissing(rowsSlice(train, 0, 20000), 0.05, 9)
	text := func(p Params) []byte {
		m, err := Train(train, nil, p)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := m.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for _, p := range []Params{
		{Rounds: 15, Subsample: 0.8, ColSample: 0.7, Seed: 42},
		{Rounds: 10, NumLeaves: 40, Subsample: 0.8, Seed: 42},
	} {
		p.Threads = 1
		one := text(p)
		p.Threads = 2
		two := text(p)
		p.Threads = 4
		four := text(p)
		if !bytes.Equal(one, two) || !bytes.Equal(two, four) {
			t.Fatalf("%+v: model text differs between thread counts", p)
		}
		p.Seed = 43
		if bytes.Equal(text(p), two) {
			t.Errorf("%+v: another seed gave the same model", p)
		}
	}
}

func TestEarlyStopping(t *testing.T) {
	t.Parallel()
	train, test := elec2Split(t)
	train = rowsSlice(train, 0, 5000) // a small, old window overfits fast
	m, err := Train(train, &test, Params{Rounds: 500, LearningRate: 0.3, EarlyStoppingRounds: 10})
	if err != nil {
		t.Fatal(err)
	}
	info := m.Info
	t.Logf("stopped after %d rounds, kept %d", info.Rounds, info.Kept)
	if info.Rounds >= 500 || info.Kept != info.Rounds-10 || m.Rounds() != info.Kept {
		t.Fatalf("rounds %d, kept %d, trees %d", info.Rounds, info.Kept, len(m.Trees))
	}
	if slices.Min(info.ValidLoss[1:]) != info.ValidLoss[info.Kept] {
		t.Errorf("kept round %d is not the best: %v", info.Kept, info.ValidLoss)
	}
	// The recorded loss is the kept model's own.
	ll := 0.0
	for i, p := range firstCol(predictAll(m, test.X)) {
		ll -= test.Y[i]*math.Log(p) + (1-test.Y[i])*math.Log(1-p)
	}
	if ll /= float64(len(test.Y)); math.Abs(ll-info.ValidLoss[info.Kept]) > 1e-12 {
		t.Errorf("model log loss %v, recorded %v", ll, info.ValidLoss[info.Kept])
	}
	if _, err := Train(train, nil, Params{EarlyStoppingRounds: 5}); err == nil {
		t.Error("early stopping without validation data should fail")
	}
}

func TestTextRoundTrip(t *testing.T) {
	t.Parallel()
	d := withMissing(synthMulticlass(1000, 21), 0.1, 22)
	d.Names = []string{"a", "b c", "d=e", "f", "g", "h"}
	m, err := Train(d, nil, Params{Objective: Multiclass, NumClass: 3, Rounds: 5})
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := m.WriteText(&a); err != nil {
		t.Fatal(err)
	}
	m2, err := ParseText(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("round trip changed the text:\n%s\n---\n%s", a.String(), b.String())
	}
	if !slices.Equal(m2.FeatureNames, []string{"a", "b_c", "d_e", "f", "g", "h"}) {
		t.Errorf("names %v", m2.FeatureNames)
	}
	if !slices.Equal(m.GainImportance(), m2.GainImportance()) {
		t.Error("importance changed")
	}
}

func TestParseTextRejects(t *testing.T) {
	t.Parallel()
	good := "tree\nversion=v3\nnum_class=1\nnum_tree_per_iteration=1\nmax_feature_idx=1\nobjective=binary sigmoid:1\ntree_sizes=1\n\n" +
		"Tree=0\nnum_leaves=2\nnum_cat=0\nsplit_feature=1\nthreshold=0.5\ndecision_type=10\nleft_child=-1\nright_child=-2\nleaf_value=-1 1\n\nend of trees\n"
	m, err := ParseText(bytes.NewReader([]byte(good)))
	if err != nil {
		t.Fatal(err)
	}
	if p := m.PredictRaw([]float64{0, math.NaN()}); p[0] != -1 {
		t.Errorf("NaN with default left went to %v", p)
	}
	for name, bad := range map[string]string{
		"version":   "version=v3", // replaced below
		"cycle":     "left_child=-1",
		"feature":   "split_feature=1",
		"categoric": "decision_type=10",
		"leaves":    "leaf_value=-1 1",
		"objective": "objective=binary sigmoid:1",
	} {
		repl := map[string]string{
			"version": "version=v9", "cycle": "left_child=0", "feature": "split_feature=2",
			"categoric": "decision_type=11", "leaves": "leaf_value=-1", "objective": "objective=lambdarank",
		}[name]
		text := bytes.Replace([]byte(good), []byte(bad), []byte(repl), 1)
		if _, err := ParseText(bytes.NewReader(text)); err == nil {
			t.Errorf("%s: no error for\n%s", name, text)
		}
	}
}

func TestParamsRejected(t *testing.T) {
	t.Parallel()
	d := synthRegression(50, 1)
	for _, p := range []Params{
		{Objective: "poisson"},
		{Objective: Multiclass, NumClass: 1},
		{MaxBins: 256},
		{Subsample: 1.5},
		{NumLeaves: 1},
		{LearningRate: -1},
	} {
		if _, err := Train(d, nil, p); err == nil {
			t.Errorf("%+v: no error", p)
		}
	}
	if _, err := Train(d, nil, Params{}); err == nil {
		t.Error("regression labels accepted as binary")
	}
	bad := d
	bad.X = [][]float64{d.X[0][:10]}
	if _, err := Train(bad, nil, Params{Objective: Regression}); err == nil {
		t.Error("ragged columns accepted")
	}
}

// FuzzParseText checks that no input makes ParseText or scoring a parsed
// model panic or loop.
func FuzzParseText(f *testing.F) {
	d := withMissing(synthMulticlass(300, 31), 0.1, 32)
	for _, p := range []Params{{Objective: Multiclass, NumClass: 3, Rounds: 2, MaxDepth: 2}, {Objective: Regression, Rounds: 1, MaxDepth: 1}} {
		dd := d
		if p.Objective == Regression {
			dd.Y = d.X[0]
			dd.X = d.X[1:]
			dd.Y = slices.Clone(dd.Y)
			for i, v := range dd.Y {
				if math.IsNaN(v) {
					dd.Y[i] = 0
				}
			}
		}
		m, err := Train(dd, nil, p)
		if err != nil {
			f.Fatal(err)
		}
		var b bytes.Buffer
		if err := m.WriteText(&b); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseText(bytes.NewReader(data))
		if err != nil || m.NumFeature > 1<<16 {
			return
		}
		row := make([]float64, m.NumFeature)
		m.Predict(row)
		for i := range row {
			row[i] = math.NaN()
		}
		m.Predict(row)
		var b bytes.Buffer
		if err := m.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if _, err := ParseText(&b); err != nil {
			t.Fatalf("own output rejected: %v", err)
		}
	})
}

func TestExpFast(t *testing.T) {
	t.Parallel()
	worst := 0.0
	for x := -708.0; x < 709; x += 0.00731 {
		want := math.Exp(x)
		worst = math.Max(worst, math.Abs(expFast(x)-want)/want)
	}
	if worst > 1e-13 {
		t.Errorf("expFast relative error %g", worst)
	}
	if expFast(-1e9) <= 0 || math.IsInf(expFast(1e9), 0) || expFast(0) != 1 {
		t.Error("expFast clamping")
	}
}
