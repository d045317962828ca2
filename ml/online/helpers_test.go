package online

import (
	"bufio"
	"compress/gzip"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/optimize"
)

// elec2 is the Elec2 data set: seven features (day as a categorical code
// 1..7, then period, nswprice, nswdemand, vicprice, vicdemand, transfer)
// and the up/down label, in time order.
type elec2 struct {
	x [][]float64
	y []float64
}

var (
	elec2Once sync.Once
	elec2Data elec2
	elec2Err  error
)

// elec2Schema is the schema of elec2 rows: column 0 (day) is categorical.
var elec2Schema = NewSchema(7, 0)

func loadElec2(tb testing.TB) elec2 {
	tb.Helper()
	elec2Once.Do(func() { elec2Data, elec2Err = readElec2("../../demo/elec2.csv.gz") })
	if elec2Err != nil {
		tb.Fatalf("elec2: %v", elec2Err)
	}
	return elec2Data
}

func readElec2(path string) (elec2, error) {
	var d elec2
	f, err := os.Open(path)
	if err != nil {
		return d, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return d, err
	}
	sc := bufio.NewScanner(zr)
	sc.Scan() // ts,date,day,period,nswprice,nswdemand,vicprice,vicdemand,transfer,label
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ",")
		row := make([]float64, 7)
		for i := range row {
			if row[i], err = strconv.ParseFloat(fields[2+i], 64); err != nil {
				return d, err
			}
		}
		y, err := strconv.ParseFloat(fields[9], 64)
		if err != nil {
			return d, err
		}
		d.x = append(d.x, row)
		d.y = append(d.y, y)
	}
	return d, sc.Err()
}

// synthetic draws n rows from a logistic model with known weights:
// numeric columns 0..3 are N(mean[j], sd[j]²), column 4 is a categorical
// code in {0, 1, 2} with effects catEffect.
type syntheticTruth struct {
	intercept float64
	slope     []float64 // raw-scale slopes of the numeric columns
	mean, sd  []float64
	catEffect []float64
}

var truth = syntheticTruth{
	intercept: 1,
	slope:     []float64{1.5, -0.4, 0, 0.03},
	mean:      []float64{0, 10, -3, 100},
	sd:        []float64{1, 2, 0.5, 20},
	catEffect: []float64{0, 1, -1},
}

var syntheticSchema = NewSchema(5, 4)

func synthetic(n int, seed uint64) ([][]float64, []float64) {
	r := rand.New(rand.NewPCG(seed, 7))
	xs := make([][]float64, n)
	ys := make([]float64, n)
	for i := range xs {
		x := make([]float64, 5)
		margin := truth.intercept
		for j := range 4 {
			x[j] = truth.mean[j] + truth.sd[j]*r.NormFloat64()
			margin += truth.slope[j] * x[j]
		}
		c := r.IntN(3)
		x[4] = float64(c)
		margin += truth.catEffect[c]
		xs[i] = x
		if r.Float64() < 1/(1+math.Exp(-margin)) {
			ys[i] = 1
		}
	}
	return xs, ys
}

// design is a dense design matrix for the batch reference: an intercept,
// numeric columns standardised with the full data's mean and population
// sd, and one-hot codes of categorical columns (an exact dictionary, no
// hashing).
type design struct {
	rows [][]float64
	dim  int
}

func newDesign(schema Schema, xs [][]float64) design {
	f := schema.Features()
	mean := make([]float64, f)
	sd := make([]float64, f)
	levels := make([]map[float64]int, f)
	dim := 1
	for j, k := range schema.Kinds {
		if k == Categorical {
			levels[j] = map[float64]int{}
			for _, x := range xs {
				if _, ok := levels[j][x[j]]; !ok {
					levels[j][x[j]] = dim
					dim++
				}
			}
			continue
		}
		var s welford
		for _, x := range xs {
			s.add(x[j])
		}
		mean[j], sd[j] = s.mean, s.sd()
		levels[j] = map[float64]int{0: dim} // position only
		dim++
	}
	d := design{dim: dim}
	for _, x := range xs {
		row := make([]float64, dim)
		row[0] = 1
		for j, k := range schema.Kinds {
			if k == Categorical {
				row[levels[j][x[j]]] = 1
			} else {
				row[levels[j][0]] = (x[j] - mean[j]) / sd[j]
			}
		}
		d.rows = append(d.rows, row)
	}
	return d
}

// fitBatch fits L2-regularised logistic regression, minimising
// sum_i logloss_i + l2/2 * |w without intercept|², with gonum's L-BFGS.
// The objective is divided by the number of rows so that gonum's absolute
// gradient threshold means the same for any data size. gonum asks for the
// value and the gradient in separate calls at the same point, so one pass
// computes both and caches them by point.
func fitBatch(tb testing.TB, d design, ys []float64, l2 float64) []float64 {
	tb.Helper()
	var (
		cachedX    []float64
		cachedF    float64
		cachedGrad = make([]float64, d.dim)
		evals      int
	)
	eval := func(w []float64) {
		if cachedX != nil && equalFloats(cachedX, w) {
			return
		}
		evals++
		cachedX = append(cachedX[:0], w...)
		for i := range cachedGrad {
			cachedGrad[i] = 0
		}
		var f float64
		for r, row := range d.rows {
			var m float64
			for i, v := range row {
				m += w[i] * v
			}
			// log(1+exp(m)) - y m, computed stably.
			if m > 0 {
				f += m + math.Log1p(math.Exp(-m)) - ys[r]*m
			} else {
				f += math.Log1p(math.Exp(m)) - ys[r]*m
			}
			g := 1/(1+math.Exp(-m)) - ys[r]
			for i, v := range row {
				cachedGrad[i] += g * v
			}
		}
		for i := 1; i < len(w); i++ {
			f += l2 / 2 * w[i] * w[i]
			cachedGrad[i] += l2 * w[i]
		}
		inv := 1 / float64(len(d.rows))
		for i := range cachedGrad {
			cachedGrad[i] *= inv
		}
		cachedF = f * inv
	}
	p := optimize.Problem{
		Func: func(w []float64) float64 { eval(w); return cachedF },
		Grad: func(grad, w []float64) { eval(w); copy(grad, cachedGrad) },
	}
	res, err := optimize.Minimize(p, make([]float64, d.dim), &optimize.Settings{
		GradientThreshold: 1e-6,
		MajorIterations:   1000,
	}, &optimize.LBFGS{})
	if err != nil {
		tb.Fatalf("L-BFGS: %v", err)
	}
	tb.Logf("L-BFGS: %v after %d iterations, %d loss+gradient passes, mean loss %.5f", res.Status, res.Stats.MajorIterations, evals, res.F)
	return res.X
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (d design) predict(w []float64) []float64 {
	out := make([]float64, len(d.rows))
	for r, row := range d.rows {
		var m float64
		for i, v := range row {
			m += w[i] * v
		}
		out[r] = sigmoid(m)
	}
	return out
}

func labels(ys []float64) []bool {
	out := make([]bool, len(ys))
	for i, y := range ys {
		out[i] = y == 1
	}
	return out
}

func predictAll(m interface{ PredictOne([]float64) float64 }, xs [][]float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = m.PredictOne(x)
	}
	return out
}

func mustNew(tb testing.TB, cfg Config) *Model {
	tb.Helper()
	m, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}
