package gbdt

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/dmitryikh/leaves"
)

// elec2Features are the columns of ../../demo/elec2.csv.gz (the embedded demo data) used as features.
var elec2Features = []string{"day", "period", "nswprice", "nswdemand", "vicprice", "vicdemand", "transfer"}

var (
	elec2Once sync.Once
	elec2X    [][]float64
	elec2Y    []float64
	elec2Err  error
)

// loadElec2 returns Elec2 column-major, in time order.
func loadElec2(tb testing.TB) ([][]float64, []float64) {
	tb.Helper()
	elec2Once.Do(func() {
		f, err := os.Open("../../demo/elec2.csv.gz")
		if err != nil {
			elec2Err = err
			return
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			elec2Err = err
			return
		}
		recs, err := csv.NewReader(bufio.NewReader(zr)).ReadAll()
		if err != nil {
			elec2Err = err
			return
		}
		idx := make([]int, len(elec2Features))
		label := slices.Index(recs[0], "label")
		for j, name := range elec2Features {
			idx[j] = slices.Index(recs[0], name)
		}
		elec2X = make([][]float64, len(idx))
		for _, rec := range recs[1:] {
			for j, c := range idx {
				v, err := strconv.ParseFloat(rec[c], 64)
				if err != nil {
					elec2Err = err
					return
				}
				elec2X[j] = append(elec2X[j], v)
			}
			y, err := strconv.ParseFloat(rec[label], 64)
			if err != nil {
				elec2Err = err
				return
			}
			elec2Y = append(elec2Y, y)
		}
	})
	if elec2Err != nil {
		tb.Fatal(elec2Err)
	}
	return elec2X, elec2Y
}

// rowsSlice returns rows [lo, hi) of a column-major data set.
func rowsSlice(d Dataset, lo, hi int) Dataset {
	out := Dataset{Y: d.Y[lo:hi], Names: d.Names}
	for _, col := range d.X {
		out.X = append(out.X, col[lo:hi])
	}
	if d.Weight != nil {
		out.Weight = d.Weight[lo:hi]
	}
	return out
}

// elec2Split is the time-ordered 80/20 split (never shuffled).
func elec2Split(tb testing.TB) (train, test Dataset) {
	X, y := loadElec2(tb)
	d := Dataset{X: X, Y: y, Names: elec2Features}
	cut := len(y) * 8 / 10
	return rowsSlice(d, 0, cut), rowsSlice(d, cut, len(y))
}

// withMissing returns a copy of d with a fraction of the values of every
// feature set to NaN.
func withMissing(d Dataset, frac float64, seed uint64) Dataset {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := d
	out.X = make([][]float64, len(d.X))
	for j, col := range d.X {
		c := slices.Clone(col)
		for i := range c {
			if rng.Float64() < frac {
				c[i] = math.NaN()
			}
		}
		out.X[j] = c
	}
	return out
}

// row returns row i of column-major X.
func row(X [][]float64, i int) []float64 {
	r := make([]float64, len(X))
	for j, col := range X {
		r[j] = col[i]
	}
	return r
}

// auc is the area under the ROC curve (ties get half credit).
func auc(y, score []float64) float64 {
	idx := make([]int, len(y))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case score[a] < score[b]:
			return -1
		case score[a] > score[b]:
			return 1
		}
		return 0
	})
	// Rank sum of positives with average ranks for ties.
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && score[idx[j]] == score[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks are 1-based
		for _, k := range idx[i:j] {
			if y[k] > 0.5 {
				pos++
				rankSum += avg
			}
		}
		i = j
	}
	neg = float64(len(y)) - pos
	if pos == 0 || neg == 0 {
		return 0.5
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// predictAll scores every row with the model's own Predict.
func predictAll(m *Model, X [][]float64) [][]float64 {
	n := len(X[0])
	out := make([][]float64, n)
	for i := range n {
		out[i] = m.Predict(row(X, i))
	}
	return out
}

// firstCol returns the first output of every prediction.
func firstCol(p [][]float64) []float64 {
	out := make([]float64, len(p))
	for i, v := range p {
		out[i] = v[0]
	}
	return out
}

// viaLeaves writes m as text, loads it with leaves and scores X with it.
func viaLeaves(tb testing.TB, m *Model, X [][]float64) [][]float64 {
	tb.Helper()
	var buf bytes.Buffer
	if err := m.WriteText(&buf); err != nil {
		tb.Fatal(err)
	}
	ens, err := leaves.LGEnsembleFromReader(bufio.NewReader(&buf), true)
	if err != nil {
		tb.Fatalf("leaves: %v", err)
	}
	if ens.NEstimators() != m.Rounds() {
		tb.Fatalf("leaves loaded %d rounds, model has %d", ens.NEstimators(), m.Rounds())
	}
	n := len(X[0])
	out := make([][]float64, n)
	for i := range n {
		out[i] = make([]float64, ens.NOutputGroups())
		if err := ens.Predict(row(X, i), 0, out[i]); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// synthMulticlass is a 3-class problem: the class is the argmax of three
// linear scores plus noise; feature 5 is pure noise.
func synthMulticlass(n int, seed uint64) Dataset {
	rng := rand.New(rand.NewPCG(seed, 2))
	d := Dataset{X: make([][]float64, 6), Y: make([]float64, n)}
	for j := range d.X {
		d.X[j] = make([]float64, n)
	}
	for i := range n {
		for j := range d.X {
			d.X[j][i] = rng.NormFloat64()
		}
		x := func(j int) float64 { return d.X[j][i] }
		s := []float64{
			x(0) + 0.5*x(1) + 0.3*rng.NormFloat64(),
			-x(0) + x(2)*x(2) - 1 + 0.3*rng.NormFloat64(),
			x(3) - 0.5*x(4) + 0.3*rng.NormFloat64(),
		}
		d.Y[i] = float64(slices.Index(s, slices.Max(s)))
	}
	return d
}

// synthRegression is y = 3 sin(x0) + x1² − x2 + noise with a noise
// feature x3.
func synthRegression(n int, seed uint64) Dataset {
	rng := rand.New(rand.NewPCG(seed, 3))
	d := Dataset{X: make([][]float64, 4), Y: make([]float64, n)}
	for j := range d.X {
		d.X[j] = make([]float64, n)
	}
	for i := range n {
		for j := range d.X {
			d.X[j][i] = rng.Float64()*4 - 2
		}
		d.Y[i] = 3*math.Sin(d.X[0][i]) + d.X[1][i]*d.X[1][i] - d.X[2][i] + 0.2*rng.NormFloat64()
	}
	return d
}
