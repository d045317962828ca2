package online

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dmitryikh/leaves"

	"github.com/freshet/freshet/ml/gbdt"
	"github.com/freshet/freshet/ml/modelfile"
)

// exportMaxProbError is the largest difference allowed between leaves'
// probability for the exported model and PredictOne.
const exportMaxProbError = 2e-3

// marginOf is PredictOne's margin, before the sigmoid.
func marginOf(m *Model, x []float64) float64 {
	margin := m.weight(0)
	for j, v := range x {
		k := m.slot[j]
		switch {
		case k < 0:
			margin += m.weight(1 + 2*m.nNum + bucket(j, v, m.cfg.Buckets))
		case math.IsNaN(v) || math.IsInf(v, 0):
			margin += m.weight(1 + m.nNum + int(k))
		default:
			margin += m.weight(1+int(k)) * m.stats[k].standardise(v, m.cfg.Clip)
		}
	}
	return margin
}

// exportedRow is the row the export scores like PredictOne: categorical
// codes that are not listed become NaN, and so does the numeric value
// -math.MaxFloat64, which no finite threshold separates from -Inf.
func exportedRow(m *Model, x []float64, codes map[int][]float64) []float64 {
	out := append([]float64(nil), x...)
	for j, k := range m.slot {
		if k < 0 && !slices.Contains(codes[j], x[j]) || k >= 0 && x[j] == -math.MaxFloat64 {
			out[j] = math.NaN()
		}
	}
	return out
}

func loadLeaves(tb testing.TB, b []byte, transform bool) *leaves.Ensemble {
	tb.Helper()
	ens, err := leaves.LGEnsembleFromReader(bufio.NewReader(bytes.NewReader(b)), transform)
	if err != nil {
		tb.Fatalf("leaves: %v", err)
	}
	return ens
}

func predictLeaves(tb testing.TB, ens *leaves.Ensemble, x []float64) float64 {
	tb.Helper()
	out := make([]float64, 1)
	if err := ens.Predict(x, 0, out); err != nil {
		tb.Fatalf("leaves predict: %v", err)
	}
	return out[0]
}

// exportReport is what checkExport measured.
type exportReport struct {
	maxProb, maxMargin, bound float64
	trees, leaves, bytes      int
}

// checkExport exports m, loads the text with leaves (directly and through
// modelfile, with at most 4096 leaves a tree) and gbdt.ParseText, and
// checks every row: leaves' probability within exportMaxProbError of
// PredictOne, its margin within the export's error bound, and modelfile
// and gbdt agreeing with leaves.
func checkExport(t *testing.T, m *Model, codes map[int][]float64, rows [][]float64) exportReport {
	t.Helper()
	b, err := m.LightGBMTextWithCodes(nil, codes)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	trees, _, bound, err := m.exportTrees(codes)
	if err != nil {
		t.Fatal(err)
	}
	if steps := m.exportSteps(); slices.Max(append(steps, 0)) < exportMaxSteps && bound > exportTargetError*(1+1e-12) {
		t.Errorf("error bound %g above the target %g without a capped column (steps %v)", bound, exportTargetError, steps)
	}
	probEns := loadLeaves(t, b, true)
	rawEns := loadLeaves(t, b, false)
	mf, err := modelfile.Load(b, modelfile.Limits{MaxLeaves: 4096})
	if err != nil {
		t.Fatalf("modelfile: %v", err)
	}
	g, err := gbdt.ParseText(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gbdt.ParseText: %v", err)
	}
	rep := exportReport{bound: bound, trees: max(1, len(trees)), bytes: len(b)}
	for _, n := range probEns.NLeaves() {
		rep.leaves += n
	}
	mfOut := make([]float64, 1)
	bad := 0
	for i, x := range rows {
		ref := exportedRow(m, x, codes)
		want, wantMargin := m.PredictOne(ref), marginOf(m, ref)
		got, gotMargin := predictLeaves(t, probEns, x), predictLeaves(t, rawEns, x)
		if err := mf.Ensemble().Predict(x, 0, mfOut); err != nil {
			t.Fatal(err)
		}
		gb := g.Predict(x)[0]
		dp, dm := math.Abs(got-want), math.Abs(gotMargin-wantMargin)
		rep.maxProb, rep.maxMargin = max(rep.maxProb, dp), max(rep.maxMargin, dm)
		switch {
		case dp > exportMaxProbError || dm > bound+1e-9*(1+math.Abs(wantMargin)):
			if bad++; bad <= 5 {
				t.Errorf("row %d %v: leaves p %.6f margin %.6f, PredictOne p %.6f margin %.6f (bound %.2g)", i, x, got, gotMargin, want, wantMargin, bound)
			}
		case mfOut[0] != got:
			t.Fatalf("row %d: modelfile %v, leaves %v", i, mfOut[0], got)
		case math.Abs(gb-got) > 1e-12:
			t.Fatalf("row %d: gbdt %v, leaves %v", i, gb, got)
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d rows off", bad, len(rows))
	}
	return rep
}

// perturbed returns rows with variants that exercise the missing and
// unknown paths: numeric values NaN, ±Inf and far outside the clip range,
// categorical codes NaN and codes that were never listed.
func perturbed(rows [][]float64, schema Schema) [][]float64 {
	odd := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e12, -1e12, -math.MaxFloat64 / 2, math.MaxFloat64}
	unknown := []float64{math.NaN(), 99, 2.5, -1, 1e9, math.Inf(1), math.Inf(-1)}
	out := append([][]float64(nil), rows...)
	for i, x := range rows {
		y := append([]float64(nil), x...)
		for j, k := range schema.Kinds {
			if (i+j)%3 != 0 {
				continue
			}
			if k == Categorical {
				y[j] = unknown[(i/3+j)%len(unknown)]
			} else {
				y[j] = odd[(i/3+j)%len(odd)]
			}
		}
		out = append(out, y)
	}
	return out
}

// thresholdRows probes every exported threshold of numeric columns, where
// the step function jumps, and its neighbours.
func thresholdRows(t *testing.T, m *Model, codes map[int][]float64, base []float64) [][]float64 {
	t.Helper()
	trees, _, _, err := m.exportTrees(codes)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]float64
	for _, tr := range trees {
		for _, th := range tr.th {
			for _, v := range []float64{th, math.Nextafter(th, math.Inf(1)), math.Nextafter(th, math.Inf(-1))} {
				x := append([]float64(nil), base...)
				x[tr.feature] = v
				rows = append(rows, x)
			}
		}
	}
	return rows
}

// syntheticWithMissing is synthetic data in which some values are
// missing, so the missing weights and the NaN category are trained.
func syntheticWithMissing(n int, seed uint64) ([][]float64, []float64) {
	xs, ys := synthetic(n, seed)
	for i, x := range xs {
		switch {
		case i%10 == 0:
			x[1] = math.NaN()
		case i%13 == 0:
			x[4] = math.NaN()
		case i%17 == 0:
			x[0] = math.Inf(1)
		}
		if i%10 == 0 && ys[i] == 0 && i%20 == 0 {
			ys[i] = 1 // missingness predicts the label
		}
	}
	return xs, ys
}

func TestLightGBMTextSynthetic(t *testing.T) {
	t.Parallel()
	xs, ys := syntheticWithMissing(4000, 3)
	codes := map[int][]float64{4: {0, 1, 2}}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"clip 3", Config{Alpha: 0.2, Clip: 3}},
		{"clip 1 l1 l2", Config{Alpha: 0.5, L1: 0.5, L2: 1, Clip: 1}},
		{"clip 6 few buckets", Config{Alpha: 1, Clip: 6, Buckets: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.cfg.Schema = syntheticSchema
			m := mustNew(t, tc.cfg)
			if err := m.LearnBatch(xs, ys); err != nil {
				t.Fatal(err)
			}
			rows := perturbed(xs, syntheticSchema)
			rows = append(rows, thresholdRows(t, m, codes, xs[0])...)
			rep := checkExport(t, m, codes, rows)
			t.Logf("%d rows: max |Δp| %.2g, max |Δmargin| %.2g (bound %.2g); %d trees, %d leaves, %d bytes",
				len(rows), rep.maxProb, rep.maxMargin, rep.bound, rep.trees, rep.leaves, rep.bytes)
		})
	}
}

func TestLightGBMTextElec2(t *testing.T) {
	t.Parallel()
	d := loadElec2(t)
	codes := map[int][]float64{0: {1, 2, 3, 4, 5, 6, 7}}
	for _, tc := range []struct {
		name  string
		cfg   Config
		train int
	}{
		{"alpha 0.2 clip 3", Config{Alpha: 0.2, Clip: 3}, 5000},
		{"alpha 1 clip 5 l1", Config{Alpha: 1, Clip: 5, L1: 1}, 5000},
		{"alpha 0.05 clip 3 all rows", Config{Alpha: 0.05, Clip: 3, L2: 1}, len(d.x)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.cfg.Schema = elec2Schema
			m := mustNew(t, tc.cfg)
			if err := m.LearnBatch(d.x[:tc.train], d.y[:tc.train]); err != nil {
				t.Fatal(err)
			}
			rows := perturbed(d.x, elec2Schema)
			rep := checkExport(t, m, codes, rows)
			t.Logf("%d rows: max |Δp| %.2g, max |Δmargin| %.2g (bound %.2g); %d trees, %d leaves, %d bytes; steps %v",
				len(rows), rep.maxProb, rep.maxMargin, rep.bound, rep.trees, rep.leaves, rep.bytes, m.exportSteps())
		})
	}
}

func TestLightGBMTextConstant(t *testing.T) {
	t.Parallel()
	xs, ys := syntheticWithMissing(2000, 5)
	codes := map[int][]float64{4: {0, 1, 2}}
	for _, tc := range []struct {
		name  string
		cfg   Config
		train bool
	}{
		// L1 this large keeps every weight but the intercept at zero.
		{"huge l1", Config{Schema: syntheticSchema, L1: 1e9, Clip: 3}, true},
		{"untrained", Config{Schema: syntheticSchema, Clip: 3}, false},
		{"untrained no clip, categorical only", Config{Schema: NewSchema(2, 0, 1)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := mustNew(t, tc.cfg)
			if tc.train {
				if err := m.LearnBatch(xs, ys); err != nil {
					t.Fatal(err)
				}
			}
			c := m.Coefficients()
			for j := range c.Numeric {
				if c.Numeric[j] != 0 || c.Missing[j] != 0 {
					t.Fatalf("column %d has weights %v, %v", j, c.Numeric[j], c.Missing[j])
				}
			}
			if tc.train && c.Intercept == 0 {
				t.Fatal("intercept is 0")
			}
			codes := codes
			if m.slot[0] < 0 {
				codes = map[int][]float64{0: {0, 1}, 1: {0, 1}}
			}
			b, err := m.LightGBMTextWithCodes(nil, codes)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(b), "Tree="); n != 1 || !strings.Contains(string(b), "num_leaves=1\n") {
				t.Fatalf("want one one-leaf tree, got %d trees:\n%s", n, b)
			}
			ens := loadLeaves(t, b, true)
			want := sigmoid(c.Intercept)
			for _, x := range append(perturbed(xs[:50], syntheticSchema), []float64{0, 0, 0, 0, 0}) {
				x = x[:m.cfg.Schema.Features()]
				if got := predictLeaves(t, ens, x); math.Abs(got-want) > 1e-15 {
					t.Fatalf("leaves %v, sigmoid(intercept %v) = %v", got, c.Intercept, want)
				}
			}
		})
	}
}

func TestLightGBMTextDeterministic(t *testing.T) {
	t.Parallel()
	xs, ys := syntheticWithMissing(3000, 9)
	m := mustNew(t, Config{Schema: syntheticSchema, Alpha: 0.3, Clip: 4})
	if err := m.LearnBatch(xs, ys); err != nil {
		t.Fatal(err)
	}
	names := []string{"a", "b c", "d=e", "", "cat"}
	export := func(m *Model) []byte {
		// Codes in another order, repeated, with NaN and -0: the same set.
		b, err := m.LightGBMTextWithCodes(names, map[int][]float64{4: {2, math.Copysign(0, -1), 1, 2, math.NaN()}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := export(m)
	if again := export(m); !bytes.Equal(first, again) {
		t.Error("two exports of the same model differ")
	}
	var snap bytes.Buffer
	if err := m.Snapshot(&snap); err != nil {
		t.Fatal(err)
	}
	restored, err := Restore(&snap)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, export(restored)) {
		t.Error("the restored model exports different bytes")
	}
	canonical, err := m.LightGBMTextWithCodes(names, map[int][]float64{4: {0, 1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, canonical) {
		t.Error("equivalent code lists export different bytes")
	}
	mf, err := modelfile.Load(first, modelfile.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b_c", "d_e", "Column_3", "cat"}; !slices.Equal(mf.FeatureNames, want) {
		t.Errorf("feature names %q, want %q", mf.FeatureNames, want)
	}
}

// TestLightGBMTextCodes checks categorical trees on codes that are not
// small integers, adjacent floats and a model whose buckets all collide.
func TestLightGBMTextCodes(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(4, 4))
	listed := []float64{-3, 0, 0.5, 1, math.Nextafter(1, 2), 7, 1e300, math.MaxFloat64}
	xs := make([][]float64, 3000)
	ys := make([]float64, len(xs))
	for i := range xs {
		c := listed[r.IntN(len(listed))]
		if i%11 == 0 {
			c = math.NaN()
		}
		xs[i] = []float64{c, r.NormFloat64()}
		if (c == 1 || c == 7 || c != c) == (r.Float64() < 0.9) {
			ys[i] = 1
		}
	}
	for _, buckets := range []int{1, 3, 4096} {
		m := mustNew(t, Config{Schema: NewSchema(2, 0), Alpha: 0.5, Buckets: buckets, Clip: 2})
		if err := m.LearnBatch(xs, ys); err != nil {
			t.Fatal(err)
		}
		codes := map[int][]float64{0: listed}
		rows := perturbed(xs, NewSchema(2, 0))
		for _, c := range []float64{math.Nextafter(0, -1), math.Nextafter(0, 1), math.Copysign(0, -1), math.Nextafter(7, 8), math.Nextafter(-3, -4), -math.MaxFloat64} {
			rows = append(rows, []float64{c, 0.1})
		}
		rep := checkExport(t, m, codes, rows)
		t.Logf("buckets %d: max |Δp| %.2g; %d trees, %d leaves", buckets, rep.maxProb, rep.trees, rep.leaves)
	}
}

func TestLightGBMTextOneColumn(t *testing.T) {
	t.Parallel()
	m := mustNew(t, Config{Schema: NewSchema(1), Alpha: 0.5, Clip: 2})
	var xs [][]float64
	var ys []float64
	for i := range 1000 {
		x := float64(i%20) - 10
		xs = append(xs, []float64{x})
		ys = append(ys, float64(i%20/10))
	}
	if err := m.LearnBatch(xs, ys); err != nil {
		t.Fatal(err)
	}
	rep := checkExport(t, m, nil, perturbed(xs, NewSchema(1)))
	t.Logf("max |Δp| %.2g, bound %.2g", rep.maxProb, rep.bound)
}

func TestLightGBMTextErrors(t *testing.T) {
	t.Parallel()
	mixed := mustNew(t, Config{Schema: syntheticSchema, Clip: 3})
	noClip := mustNew(t, Config{Schema: NewSchema(2)})
	for _, tc := range []struct {
		name  string
		m     *Model
		names []string
		codes map[int][]float64
		want  string
	}{
		{"names", mixed, []string{"a"}, map[int][]float64{4: {0}}, "feature names"},
		{"no codes", mixed, nil, nil, "categorical"},
		{"codes for numeric", mixed, nil, map[int][]float64{4: {0}, 1: {0}}, "numeric"},
		{"codes out of range", mixed, nil, map[int][]float64{4: {0}, 5: {0}}, "columns"},
		{"infinite code", mixed, nil, map[int][]float64{4: {0, math.Inf(1)}}, "finite"},
		{"lowest code", mixed, nil, map[int][]float64{4: {-math.MaxFloat64}}, "finite"},
		{"no clip", noClip, nil, nil, "Clip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.m.LightGBMTextWithCodes(tc.names, tc.codes)
			if !errors.Is(err, ErrExport) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one wrapping ErrExport about %q", err, tc.want)
			}
		})
	}
	if _, err := mixed.LightGBMTextWithCodes(nil, map[int][]float64{4: {}}); err != nil {
		t.Errorf("an empty code list: %v", err)
	}
}

// BenchmarkLightGBMText exports a model of 10 numeric and 3 categorical
// columns (20 codes each) whose weights need large trees.
func BenchmarkLightGBMText(b *testing.B) {
	const numeric, cats, nCodes = 10, 3, 20
	schema := NewSchema(numeric+cats, 10, 11, 12)
	r := rand.New(rand.NewPCG(2, 2))
	xs := make([][]float64, 4096)
	ys := make([]float64, len(xs))
	for i := range xs {
		x := make([]float64, numeric+cats)
		margin := 0.0
		for j := range numeric {
			x[j] = r.NormFloat64()
			margin += float64(j%3-1) * x[j]
		}
		for j := numeric; j < numeric+cats; j++ {
			x[j] = float64(r.IntN(nCodes))
			margin += float64(int(x[j])%5-2) / 2
		}
		xs[i] = x
		if margin > r.NormFloat64() {
			ys[i] = 1
		}
	}
	m := mustNew(b, Config{Schema: schema, Alpha: 0.2, Clip: 4})
	if err := m.LearnBatch(xs, ys); err != nil {
		b.Fatal(err)
	}
	codes := map[int][]float64{}
	for j := numeric; j < numeric+cats; j++ {
		for c := range nCodes {
			codes[j] = append(codes[j], float64(c))
		}
	}
	var size int
	for b.Loop() {
		out, err := m.LightGBMTextWithCodes(nil, codes)
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size), "bytes")
}
