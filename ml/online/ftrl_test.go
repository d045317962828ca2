package online

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string // "" means valid
	}{
		{"defaults", Config{Schema: NewSchema(3)}, ""},
		{"categorical", Config{Schema: NewSchema(3, 1), Buckets: 8}, ""},
		{"no columns", Config{}, "no columns"},
		{"too many columns", Config{Schema: NewSchema(MaxFeatures + 1)}, "more than"},
		{"unknown kind", Config{Schema: Schema{Kinds: []Kind{7}}}, "unknown kind"},
		{"negative alpha", Config{Schema: NewSchema(1), Alpha: -1}, "alpha"},
		{"NaN alpha", Config{Schema: NewSchema(1), Alpha: math.NaN()}, "alpha"},
		{"infinite beta", Config{Schema: NewSchema(1), Beta: math.Inf(1)}, "beta"},
		{"negative l1", Config{Schema: NewSchema(1), L1: -0.1}, "l1"},
		{"NaN l2", Config{Schema: NewSchema(1), L2: math.NaN()}, "l2"},
		{"negative clip", Config{Schema: NewSchema(1), Clip: -1}, "clip"},
		{"too many buckets", Config{Schema: NewSchema(2, 0), Buckets: MaxBuckets + 1}, "buckets"},
		{"negative buckets", Config{Schema: NewSchema(2, 0), Buckets: -1}, "buckets"},
		{"tiny AUC window", Config{Schema: NewSchema(1), AUCWindow: 1}, "AUC window"},
		{"huge AUC window", Config{Schema: NewSchema(1), AUCWindow: MaxAUCWindow + 1}, "AUC window"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := New(tc.cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				c := m.Config()
				if c.Alpha != DefaultAlpha || c.Beta != DefaultBeta || c.AUCWindow != DefaultAUCWindow {
					t.Errorf("defaults not filled: %+v", c)
				}
				return
			}
			if err == nil || !errors.Is(err, errConfig) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New: error %v, want one about %q", err, tc.wantErr)
			}
		})
	}
}

func TestLearnRejectsBadInput(t *testing.T) {
	t.Parallel()
	xs, ys := synthetic(50, 1)
	for _, tc := range []struct {
		name  string
		learn func(m *Model) error
	}{
		{"label 0.5", func(m *Model) error { return m.LearnOne(xs[0], 0.5) }},
		{"label NaN", func(m *Model) error { return m.LearnOne(xs[0], math.NaN()) }},
		{"label -1", func(m *Model) error { return m.LearnOne(xs[0], -1) }},
		{"batch label 2", func(m *Model) error {
			bad := append([]float64(nil), ys...)
			bad[40] = 2
			return m.LearnBatch(xs, bad)
		}},
		{"batch short row", func(m *Model) error {
			bad := append([][]float64(nil), xs...)
			bad[30] = bad[30][:4]
			return m.LearnBatch(bad, ys)
		}},
		{"batch length mismatch", func(m *Model) error { return m.LearnBatch(xs, ys[:10]) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := mustNew(t, Config{Schema: syntheticSchema})
			if err := m.LearnBatch(xs[:10], ys[:10]); err != nil {
				t.Fatal(err)
			}
			var before, after bytes.Buffer
			m.Snapshot(&before)
			if err := tc.learn(m); err == nil {
				t.Fatal("no error")
			}
			m.Snapshot(&after)
			if !bytes.Equal(before.Bytes(), after.Bytes()) {
				t.Error("a rejected input changed the model")
			}
		})
	}
}

func TestWrongRowLengthPanics(t *testing.T) {
	t.Parallel()
	m := mustNew(t, Config{Schema: NewSchema(3)})
	for _, tc := range []struct {
		name string
		call func()
	}{
		{"PredictOne", func() { m.PredictOne([]float64{1, 2}) }},
		{"LearnOne", func() { _ = m.LearnOne([]float64{1, 2, 3, 4}, 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "schema has 3") {
					t.Errorf("panic %v, want one naming the schema size", r)
				}
			}()
			tc.call()
		})
	}
}

// TestSyntheticRecoversWeights learns one pass over a logistic model
// with known weights and converts the standardised coefficients back to
// the raw scale.
func TestSyntheticRecoversWeights(t *testing.T) {
	t.Parallel()
	xs, ys := synthetic(200_000, 42)
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no regularisation", Config{Alpha: 0.1}},
		{"clip 6", Config{Alpha: 0.1, Clip: 6}},
		{"alpha 0.5", Config{Alpha: 0.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.cfg.Schema = syntheticSchema
			m := mustNew(t, tc.cfg)
			if err := m.LearnBatch(xs, ys); err != nil {
				t.Fatal(err)
			}
			c := m.Coefficients()
			intercept := c.Intercept + m.CategoryWeight(4, 0)
			for j, want := range truth.slope {
				if math.Abs(c.Mean[j]-truth.mean[j]) > 0.05*truth.sd[j] || math.Abs(c.Std[j]/truth.sd[j]-1) > 0.02 {
					t.Errorf("column %d: running mean %.3f sd %.3f, want %v %v", j, c.Mean[j], c.Std[j], truth.mean[j], truth.sd[j])
				}
				got := c.Numeric[j] / c.Std[j]
				intercept -= c.Numeric[j] * c.Mean[j] / c.Std[j]
				t.Logf("column %d: slope %.4f, true %v", j, got, want)
				if want == 0 {
					if math.Abs(got*truth.sd[j]) > 0.05 {
						t.Errorf("column %d: slope %.4f, want about 0", j, got)
					}
					continue
				}
				if math.Signbit(got) != math.Signbit(want) || math.Abs(got/want-1) > 0.15 {
					t.Errorf("column %d: slope %.4f, want %v within 15%%", j, got, want)
				}
			}
			t.Logf("intercept %.3f, true %v", intercept, truth.intercept)
			if math.Abs(intercept-truth.intercept) > 0.25 {
				t.Errorf("intercept %.3f, want %v ± 0.25", intercept, truth.intercept)
			}
			for code, want := range truth.catEffect[1:] {
				got := m.CategoryWeight(4, float64(code+1)) - m.CategoryWeight(4, 0)
				if math.Abs(got-want) > 0.15 {
					t.Errorf("category %d effect %.3f, want %v ± 0.15", code+1, got, want)
				}
			}
		})
	}
}

func TestL1MakesWeightsZero(t *testing.T) {
	t.Parallel()
	xs, ys := synthetic(50_000, 3)
	for _, tc := range []struct {
		name     string
		l1       float64
		wantZero bool
	}{
		{"no l1", 0, false},
		{"l1 200", 200, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := mustNew(t, Config{Schema: syntheticSchema, Alpha: 0.1, L1: tc.l1})
			if err := m.LearnBatch(xs, ys); err != nil {
				t.Fatal(err)
			}
			c := m.Coefficients()
			// Column 2 has no effect; column 0 has the largest.
			if got := c.Numeric[2] == 0; got != tc.wantZero {
				t.Errorf("weight of the useless column = %v, want zero: %v", c.Numeric[2], tc.wantZero)
			}
			if c.Numeric[0] <= 0 {
				t.Errorf("weight of the strong column = %v, want > 0", c.Numeric[0])
			}
			if tc.wantZero && c.Missing[0] != 0 {
				t.Errorf("never-used missing coordinate has weight %v", c.Missing[0])
			}
		})
	}
}

// TestMissingValues: NaN skips the column's weight and statistics and
// switches on its missing coordinate, which learns missingness' effect.
func TestMissingValues(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 5))
	m := mustNew(t, Config{Schema: NewSchema(2), Alpha: 0.2})
	present := 0
	for range 20_000 {
		y := float64(r.IntN(2))
		x := []float64{r.NormFloat64(), r.NormFloat64()}
		if y == 1 && r.IntN(2) == 0 {
			x[0] = math.NaN()
		}
		if r.IntN(10) == 0 {
			x[1] = math.Inf(1)
		}
		if !math.IsNaN(x[0]) {
			present++
		}
		if err := m.LearnOne(x, y); err != nil {
			t.Fatal(err)
		}
	}
	if got := m.stats[0].count; got != uint64(present) {
		t.Errorf("column 0 statistics count %d rows, want the %d non-missing", got, present)
	}
	c := m.Coefficients()
	if c.Missing[0] < 1 {
		t.Errorf("missing weight of column 0 = %.3f, want clearly positive (missing means positive)", c.Missing[0])
	}
	if math.Abs(c.Missing[1]) > 0.3 {
		t.Errorf("missing weight of column 1 = %.3f, want about 0 (missing at random)", c.Missing[1])
	}
	for _, tc := range []struct {
		name    string
		x       []float64
		atLeast float64
	}{
		{"column 0 missing", []float64{math.NaN(), 0}, 0.9},
		{"column 0 present", []float64{0, 0}, 0},
		{"both missing", []float64{math.NaN(), math.Inf(-1)}, 0.9},
	} {
		p := m.PredictOne(tc.x)
		if !(p >= tc.atLeast && p <= 1) {
			t.Errorf("%s: p = %v, want in [%v, 1]", tc.name, p, tc.atLeast)
		}
	}
}

func TestWelford(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		vals []float64
	}{
		{"small", []float64{1, 2, 3, 4}},
		{"offset", []float64{1e9 + 1, 1e9 + 2, 1e9 + 3}},
		{"constant", []float64{5, 5, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var s welford
			var sum float64
			for _, v := range tc.vals {
				s.add(v)
				sum += v
			}
			mean := sum / float64(len(tc.vals))
			var ss float64
			for _, v := range tc.vals {
				ss += (v - mean) * (v - mean)
			}
			sd := math.Sqrt(ss / float64(len(tc.vals)))
			if math.Abs(s.mean-mean) > 1e-9*math.Abs(mean) || math.Abs(s.sd()-sd) > 1e-9 {
				t.Errorf("mean %v sd %v, want %v %v", s.mean, s.sd(), mean, sd)
			}
			if sd == 0 && s.standardise(7, 0) != 0 {
				t.Error("a constant column must standardise to 0")
			}
		})
	}
}

// TestPrequentialMetrics checks that LearnOne records the prediction
// PredictOne gave just before it, and the windowed AUC.
func TestPrequentialMetrics(t *testing.T) {
	t.Parallel()
	xs, ys := synthetic(3000, 9)
	m := mustNew(t, Config{Schema: syntheticSchema, AUCWindow: 500})
	var loss float64
	var correct int
	var preds []float64
	for i, x := range xs {
		p := m.PredictOne(x)
		preds = append(preds, p)
		loss += logLoss(p, ys[i] == 1)
		if (p >= 0.5) == (ys[i] == 1) {
			correct++
		}
		if err := m.LearnOne(x, ys[i]); err != nil {
			t.Fatal(err)
		}
	}
	got := m.Metrics()
	n := float64(len(xs))
	want := Metrics{
		Rows: int64(len(xs)), LogLoss: loss / n, Accuracy: float64(correct) / n,
		AUC: AUC(preds[len(preds)-500:], labels(ys[len(ys)-500:])), AUCRows: 500,
	}
	if got.Rows != want.Rows || got.AUCRows != want.AUCRows || got.Accuracy != want.Accuracy ||
		math.Abs(got.LogLoss-want.LogLoss) > 1e-12 || math.Abs(got.AUC-want.AUC) > 1e-12 {
		t.Errorf("Metrics = %+v, want %+v", got, want)
	}
	m.ResetMetrics()
	if got := m.Metrics(); got.Rows != 0 || !math.IsNaN(got.LogLoss) || !math.IsNaN(got.AUC) {
		t.Errorf("after reset: %+v", got)
	}
}

func TestAUC(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		scores []float64
		pos    []bool
		want   float64
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1},
		{"inverted", []float64{0.9, 0.8, 0.2, 0.1}, []bool{false, false, true, true}, 0},
		{"all tied", []float64{0.5, 0.5, 0.5}, []bool{true, false, true}, 0.5},
		{"one tie", []float64{0.1, 0.5, 0.5, 0.9}, []bool{false, false, true, true}, 0.875},
		{"one class", []float64{0.1, 0.2}, []bool{true, true}, math.NaN()},
		{"empty", nil, nil, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := AUC(tc.scores, tc.pos)
			if !(got == tc.want || math.IsNaN(got) && math.IsNaN(tc.want)) {
				t.Errorf("AUC = %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("matches pairwise count", func(t *testing.T) {
		t.Parallel()
		r := rand.New(rand.NewPCG(1, 2))
		scores := make([]float64, 400)
		pos := make([]bool, 400)
		for i := range scores {
			scores[i] = float64(r.IntN(50)) / 50 // many ties
			pos[i] = r.Float64() < scores[i]
		}
		var num, den float64
		for i := range scores {
			for j := range scores {
				if pos[i] && !pos[j] {
					den++
					switch {
					case scores[i] > scores[j]:
						num++
					case scores[i] == scores[j]:
						num += 0.5
					}
				}
			}
		}
		if got, want := AUC(scores, pos), num/den; math.Abs(got-want) > 1e-12 {
			t.Errorf("AUC = %v, pairwise %v", got, want)
		}
	})
}

// TestDeterminism: the same rows in the same order give bit-identical
// models; there is no randomness or map iteration anywhere.
func TestDeterminism(t *testing.T) {
	t.Parallel()
	d := loadElec2(t)
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"defaults", Config{}},
		{"l1 l2 clip", Config{L1: 0.5, L2: 2, Clip: 4, Buckets: 16}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.cfg.Schema = elec2Schema
			var snaps [2][]byte
			for i := range snaps {
				m := mustNew(t, tc.cfg)
				if err := m.LearnBatch(d.x[:20_000], d.y[:20_000]); err != nil {
					t.Fatal(err)
				}
				var b bytes.Buffer
				if err := m.Snapshot(&b); err != nil {
					t.Fatal(err)
				}
				snaps[i] = b.Bytes()
			}
			if !bytes.Equal(snaps[0], snaps[1]) {
				t.Error("two runs on the same data differ")
			}
		})
	}
}

func TestBucket(t *testing.T) {
	t.Parallel()
	seen := map[int]float64{}
	for code := 1.0; code <= 7; code++ {
		b := bucket(0, code, DefaultBuckets)
		if prev, ok := seen[b]; ok {
			t.Errorf("Elec2 day codes %v and %v share bucket %d", prev, code, b)
		}
		seen[b] = code
	}
	for _, tc := range []struct {
		name       string
		colA, colB int
		a, b       float64
		same       bool
	}{
		{"minus zero is zero", 0, 0, math.Copysign(0, -1), 0, true},
		{"every NaN is one code", 0, 0, math.NaN(), math.Float64frombits(0x7ff8000000000abc), true},
		{"columns hash apart", 0, 1, 3, 3, false},
		{"codes hash apart", 2, 2, 3, 4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := bucket(tc.colA, tc.a, 1<<20), bucket(tc.colB, tc.b, 1<<20)
			if (a == b) != tc.same {
				t.Errorf("buckets %d and %d, want same = %v", a, b, tc.same)
			}
		})
	}
}
