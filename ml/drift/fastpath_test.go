package drift

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The fast paths (selector, countTable, psiColumn, ksBucketed,
// smirnovSumParallel) must give exactly what the straightforward
// computations give: sort, index every value, merge the sorted samples,
// sum the Smirnov terms one after another. These tests compare them bit
// for bit on random data of awkward shapes.

// sample draws n values of a named shape.
func sample(r *rand.Rand, kind string, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		switch kind {
		case "normal":
			x[i] = r.NormFloat64()
		case "shifted":
			x[i] = r.NormFloat64()*1.3 + 0.2
		case "cauchy":
			x[i] = math.Tan(math.Pi * (r.Float64() - 0.5))
		case "lognormal":
			x[i] = math.Exp(4 * r.NormFloat64())
		case "discrete":
			x[i] = float64(r.IntN(7)) - 3 // ties, and zeros
		case "zeros":
			x[i] = []float64{-1, math.Copysign(0, -1), 0, 1, 2}[r.IntN(5)] // -0 and +0
		case "constant":
			x[i] = 2.5
		case "spike": // almost constant, a few outliers
			x[i] = 1
			if r.IntN(1000) == 0 {
				x[i] = r.NormFloat64() * 1e6
			}
		case "infinite":
			x[i] = r.NormFloat64()
			if r.IntN(500) == 0 {
				x[i] = math.Inf(1 - 2*r.IntN(2))
			}
		case "sorted":
			x[i] = float64(i) / float64(n)
		case "tiny": // a range a few ulps wide
			x[i] = 1 + float64(r.IntN(5))*0x1p-52
		case "huge": // a range that overflows
			x[i] = math.MaxFloat64 * (2*r.Float64() - 1)
		default:
			panic(kind)
		}
	}
	return x
}

var shapes = []string{"normal", "shifted", "cauchy", "lognormal", "discrete", "zeros", "constant", "spike", "infinite", "sorted", "tiny", "huge"}

// quantilesBySort is Quantiles the straightforward way.
func quantilesBySort(t *testing.T, x, probs []float64) []float64 {
	t.Helper()
	s, err := sortedCopy(x)
	if err != nil {
		t.Fatal(err)
	}
	n := len(s)
	out := make([]float64, len(probs))
	for i, p := range probs {
		v := float64(n-1) * p
		lo := math.Floor(v)
		g := v - lo
		a, b := int(lo), int(lo)+1
		if v >= float64(n-1) {
			a, b = n-1, n-1
		} else if v < 0 {
			a, b = 0, 0
		}
		diff := s[b] - s[a]
		if g >= 0.5 {
			out[i] = s[b] - diff*(1-g)
		} else {
			out[i] = s[a] + diff*g
		}
	}
	return out
}

func sameBits(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (a != a && b != b)
}

func TestQuantilesMatchSort(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	probs := []float64{0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 1, 1e-6, 1 - 1e-6, 0.33333}
	for _, kind := range shapes {
		for _, n := range []int{3000, 5000, 20000, 300000} {
			x := sample(r, kind, n)
			got, err := Quantiles(x, probs)
			if err != nil {
				t.Fatal(err)
			}
			want := quantilesBySort(t, x, probs)
			for i := range probs {
				if !sameBits(got[i], want[i]) {
					t.Errorf("%s n=%d p=%g: %v, sorting gives %v", kind, n, probs[i], got[i], want[i])
				}
			}
		}
	}
	x := sample(r, "normal", 50000)
	x[31337] = math.NaN()
	if _, err := Quantiles(x, probs); err != ErrNaN {
		t.Errorf("NaN: err = %v", err)
	}
}

// countByIndex is Count the straightforward way.
func countByIndex(b Bins, x []float64) ([]float64, int) {
	c := make([]float64, b.Len())
	missing := 0
	for _, v := range x {
		if v != v {
			missing++
			continue
		}
		c[b.Index(v)]++
	}
	return c, missing
}

func TestCountTableMatchesIndex(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 10))
	for _, kind := range shapes {
		ref := sample(r, kind, 20000)
		for _, nb := range []int{2, 3, 10, 20, 100, 5000} {
			q, err := Quantiles(ref, quantileProbs(nb))
			if err != nil {
				t.Fatal(err)
			}
			b := Bins{Cuts: slices.Compact(q)}
			for _, probe := range [][]float64{ref, sample(r, "normal", 30000), sample(r, kind, 30000), sample(r, "infinite", 30000), append(slices.Clone(q), math.NaN(), math.Inf(-1), math.Inf(1), math.MaxFloat64, -math.MaxFloat64)} {
				got, gm := b.Count(probe)
				want, wm := countByIndex(b, probe)
				if gm != wm || !slices.Equal(got, want) {
					t.Errorf("%s, %d bins: Count = %v (%d missing), Index gives %v (%d)", kind, nb, got, gm, want, wm)
				}
			}
		}
	}
}

// psiBySort is NewProfile, Window and PSI with quantiles by sorting and
// counts by Index.
func psiBySort(t *testing.T, ref, cur []float64, nBins int) float64 {
	t.Helper()
	q := quantilesBySort(t, ref, quantileProbs(nBins))
	b := Bins{Cuts: slices.Compact(q)}
	rc, _ := countByIndex(b, ref)
	cc, _ := countByIndex(b, cur)
	psi, err := PSI(rc, cc)
	if err != nil {
		t.Fatal(err)
	}
	return psi
}

func TestPSIColumnsMatchesSort(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(11, 12))
	var refs, curs [][]float64
	for _, kind := range shapes {
		if kind == "infinite" || kind == "huge" {
			continue // the PSI of such bins is NaN either way
		}
		for _, n := range []int{3000, 50000, 200000} {
			refs = append(refs, sample(r, kind, n))
			curs = append(curs, sample(r, kind, n/2+1))
			refs = append(refs, sample(r, kind, n))
			curs = append(curs, sample(r, "shifted", n))
		}
	}
	for _, nBins := range []int{10, 4, 20} {
		got, err := PSIColumns(refs, curs, nBins)
		if err != nil {
			t.Fatal(err)
		}
		for f := range refs {
			if want := psiBySort(t, refs[f], curs[f], nBins); !sameBits(got[f], want) {
				t.Errorf("feature %d, %d bins: PSI %v, by sorting %v", f, nBins, got[f], want)
			}
		}
	}
	refs[3] = slices.Clone(refs[3])
	refs[3][17] = math.NaN()
	if _, err := PSIColumns(refs, curs, 10); err != ErrNaN {
		t.Errorf("NaN: err = %v", err)
	}
}

// sameScan compares what result uses of two scans: the extremes and, for
// each, where it is first attained in each sample (a location whose flag
// is unset is a leftover and never read).
func sameScan(a, b ksScan) bool {
	loc := func(in bool, v float64) float64 {
		if in {
			return v
		}
		return math.NaN()
	}
	return a.n1 == b.n1 && a.n2 == b.n2 && sameBits(a.maxS, b.maxS) && sameBits(a.minS, b.minS) &&
		a.maxInA == b.maxInA && a.maxInB == b.maxInB && a.minInA == b.minInA && a.minInB == b.minInB &&
		sameBits(loc(a.maxInA, a.maxLocA), loc(b.maxInA, b.maxLocA)) &&
		sameBits(loc(a.maxInB, a.maxLocB), loc(b.maxInB, b.maxLocB)) &&
		sameBits(loc(a.minInA, a.minLocA), loc(b.minInA, b.minLocA)) &&
		sameBits(loc(a.minInB, a.minLocB), loc(b.minInB, b.minLocB))
}

func TestKSMatchesSortedMerge(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(13, 14))
	sizes := [][2]int{{5000, 5000}, {20000, 7000}, {1000, 100000}, {200000, 200000}, {150000, 60}}
	for _, kind := range shapes {
		for _, other := range []string{kind, "normal", "shifted", "discrete"} {
			for _, sz := range sizes {
				ref, cur := sample(r, kind, sz[0]), sample(r, other, sz[1])
				a, _ := sortedCopy(ref)
				b, _ := sortedCopy(cur)
				want := newKSScan(len(a), len(b))
				want.scan(a, b, 0, 0)
				got, ok, err := ksBucketed(ref, cur)
				if err != nil {
					t.Fatal(err)
				}
				if !ok { // KS sorts instead
					continue
				}
				if !sameScan(got, want) {
					t.Errorf("%s vs %s %v: %+v, merge gives %+v", kind, other, sz, got, want)
				}
			}
		}
	}
	// The whole of KS, p-value included, on a few of them.
	for _, kinds := range [][2]string{{"normal", "shifted"}, {"discrete", "discrete"}, {"zeros", "normal"}, {"normal", "normal"}} {
		ref, cur := sample(r, kinds[0], 30000), sample(r, kinds[1], 20000)
		got, err := KS(ref, cur)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := sortedCopy(ref)
		b, _ := sortedCopy(cur)
		if want := ksSorted(a, b, KSAuto); !sameBits(got.Statistic, want.Statistic) || !sameBits(got.PValue, want.PValue) ||
			!sameBits(got.Location, want.Location) || got.Sign != want.Sign || got.Exact != want.Exact {
			t.Errorf("KS %v: %+v, merge gives %+v", kinds, got, want)
		}
	}
	// identical samples: D = 0 everywhere, every bucket a candidate
	x := sample(r, "normal", 30000)
	got, _ := KS(x, x)
	a, _ := sortedCopy(x)
	if want := ksSorted(a, a, KSAuto); got != want {
		t.Errorf("KS(x, x) = %+v, merge gives %+v", got, want)
	}
	x[5] = math.NaN()
	if _, err := KS(sample(r, "normal", 30000), x); err != ErrNaN {
		t.Errorf("NaN: err = %v", err)
	}
}

func TestSmirnovParallelMatchesSerial(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n int
		x float64
	}{
		{500000, 0.005664000000000002}, // BenchmarkKS1M
		{500000, 0.0031},
		{250000, 0.0123},
		{120000, 0.02},
		{300000, 0.4},
	} {
		n, x := tc.n, tc.x
		cman, cexpt := updateBinomial(dd{1, 0}, 0, n, 0)
		nTerms := n - int(math.Floor(float64(n)*x))
		aj0 := ddDiv(pow4D(1, -x, 1, 0, n), ddFromD(x))
		want := smirnovSumSerial(n, x, 0, 1, nTerms, n/2, aj0, cman, cexpt, true)
		got := smirnovSumParallel(n, x, 0, 1, nTerms, n/2, aj0, cman, cexpt)
		if got != want {
			t.Errorf("n=%d x=%g: parallel sum %v, serial %v", n, x, got, want)
		}
		// the p-value ks_2samp reports goes through this sum
		if p := 2 * smirnovSF(n, x); !(p >= 0 && p <= 2) {
			t.Errorf("n=%d x=%g: p = %v", n, x, p)
		}
	}
}
