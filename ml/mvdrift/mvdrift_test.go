package mvdrift

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// sample draws n rows × 8 features, column-major: x0 ~ N(shift, 1); x1 has
// correlation rho with x0 and is N(0, 1) whatever rho; x2..x5 are N(0, 1),
// x6 is Exp(1) and x7 Uniform(0, 1), all independent.
func sample(rng *rand.Rand, n int, rho, shift float64) [][]float64 {
	x := make([][]float64, 8)
	for j := range x {
		x[j] = make([]float64, n)
	}
	c := math.Sqrt(1 - rho*rho)
	for i := range n {
		a := rng.NormFloat64()
		x[0][i] = a + shift
		x[1][i] = rho*a + c*rng.NormFloat64()
		for j := 2; j <= 5; j++ {
			x[j][i] = rng.NormFloat64()
		}
		x[6][i] = rng.ExpFloat64()
		x[7][i] = rng.Float64()
	}
	return x
}

func newRng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 42)) }

const nRef, nCur = 5000, 1000

// TestNoDrift: two samples of the same distribution must not raise a
// verdict in at least 95% of seeds, for both methods.
func TestNoDrift(t *testing.T) {
	const seeds = 20
	pcaAlarms, dcAlarms := 0, 0
	for s := range uint64(seeds) {
		rng := newRng(s)
		ref := sample(rng, nRef, 0.9, 0)
		cur := sample(rng, nCur, 0.9, 0)
		m, err := FitPCA(ref, nil, 0, s)
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.Detect(cur, 0)
		if err != nil {
			t.Fatal(err)
		}
		if p.Drifted {
			pcaAlarms++
		}
		r, err := DomainClassifier(ref, cur, nil, s)
		if err != nil {
			t.Fatal(err)
		}
		if r.Drifted {
			dcAlarms++
		}
		t.Logf("seed %2d  PCA err %.4f [%.4f, %.4f] k=%d  DC AUC %.4f bound %.4f p %.3f",
			s, p.Error, p.Lower, p.Upper, p.Components, r.AUC, r.Bound, r.PValue)
	}
	t.Logf("false alarms over %d seeds: PCA %d, domain classifier %d", seeds, pcaAlarms, dcAlarms)
	if pcaAlarms > seeds/20 {
		t.Errorf("PCA: %d false alarms in %d seeds", pcaAlarms, seeds)
	}
	if dcAlarms > seeds/20 {
		t.Errorf("domain classifier: %d false alarms in %d seeds", dcAlarms, seeds)
	}
}

// TestCorrelationFlip: x0 and x1 have correlation +0.9 in the reference
// and −0.9 in the current window, with every marginal unchanged. Both
// methods must flag it.
func TestCorrelationFlip(t *testing.T) {
	for s := range uint64(3) {
		rng := newRng(100 + s)
		ref := sample(rng, nRef, 0.9, 0)
		cur := sample(rng, nCur, -0.9, 0)
		checkDrift(t, "correlation flip", ref, cur, nil, s)
	}
}

// TestMeanShift: x0's mean moves by one standard deviation.
func TestMeanShift(t *testing.T) {
	for s := range uint64(3) {
		rng := newRng(200 + s)
		ref := sample(rng, nRef, 0.9, 0)
		cur := sample(rng, nCur, 0.9, 1)
		checkDrift(t, "mean shift", ref, cur, nil, s)
	}
}

func checkDrift(t *testing.T, name string, ref, cur [][]float64, cat []bool, seed uint64) {
	t.Helper()
	m, err := FitPCA(ref, cat, 0, seed)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Detect(cur, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := DomainClassifier(ref, cur, cat, seed)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s seed %d: PCA err %.4f [%.4f, %.4f]  DC AUC %.4f bound %.4f",
		name, seed, p.Error, p.Lower, p.Upper, r.AUC, r.Bound)
	if !p.Drifted {
		t.Errorf("%s seed %d: PCA did not flag: %+v", name, seed, p)
	}
	if !r.Drifted {
		t.Errorf("%s seed %d: domain classifier did not flag: %+v", name, seed, r)
	}
}

// withMissingAndCategory replaces x7 with a categorical code column (codes
// 0..4 drawn with probabilities probs) and blanks about 10% of x2 and 5% of
// the codes.
func withMissingAndCategory(rng *rand.Rand, x [][]float64, probs []float64) [][]float64 {
	n := len(x[0])
	for i := range n {
		u, c := rng.Float64(), 0
		for c < len(probs)-1 && u >= probs[c] {
			u -= probs[c]
			c++
		}
		x[7][i] = float64(c)
		if rng.Float64() < 0.05 {
			x[7][i] = math.NaN()
		}
		if rng.Float64() < 0.10 {
			x[2][i] = math.NaN()
		}
	}
	return x
}

func TestMissingAndCategorical(t *testing.T) {
	cat := make([]bool, 8)
	cat[7] = true
	same := []float64{0.4, 0.3, 0.15, 0.1, 0.05}
	shifted := []float64{0.1, 0.15, 0.15, 0.3, 0.3}

	rng := newRng(300)
	ref := withMissingAndCategory(rng, sample(rng, nRef, 0.9, 0), same)
	cur := withMissingAndCategory(rng, sample(rng, nCur, 0.9, 0), same)
	cur[7][0] = 9 // a code the reference never saw
	m, err := FitPCA(ref, cat, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Detect(cur, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := DomainClassifier(ref, cur, cat, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("no drift: PCA %+v; DC %+v", p, r)
	if math.IsNaN(p.Error) || math.IsNaN(p.Upper) || math.IsNaN(r.AUC) {
		t.Fatalf("NaN in results: %+v %+v", p, r)
	}
	if p.Drifted || r.Drifted {
		t.Errorf("false alarm with missing values and a categorical column: PCA %v, DC %v", p.Drifted, r.Drifted)
	}

	// The category mix changes: the domain classifier must see it.
	cur2 := withMissingAndCategory(rng, sample(rng, nCur, 0.9, 0), shifted)
	r2, err := DomainClassifier(ref, cur2, cat, 1)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := m.Detect(cur2, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("category shift: PCA err %.4f [%.4f, %.4f] drifted %v; DC AUC %.4f bound %.4f",
		p2.Error, p2.Lower, p2.Upper, p2.Drifted, r2.AUC, r2.Bound)
	if !r2.Drifted {
		t.Errorf("domain classifier missed the category shift: %+v", r2)
	}

	// The missing rate of x2 jumps from 10% to 50%: the GBDT sees NaN.
	cur3 := withMissingAndCategory(rng, sample(rng, nCur, 0.9, 0), same)
	for i := range cur3[2] {
		if i%2 == 0 {
			cur3[2][i] = math.NaN()
		}
	}
	r3, err := DomainClassifier(ref, cur3, cat, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("missing-rate jump: DC AUC %.4f bound %.4f", r3.AUC, r3.Bound)
	if !r3.Drifted {
		t.Errorf("domain classifier missed the jump in missing values: %+v", r3)
	}

	// A correlation flip is still found with missing values around.
	cur4 := withMissingAndCategory(rng, sample(rng, nCur, -0.9, 0), same)
	checkDrift(t, "flip with missing values", ref, cur4, cat, 1)
}

// TestPCAComponents checks the component count and the reconstruction on
// data whose structure is known.
func TestPCAComponents(t *testing.T) {
	rng := newRng(400)
	ref := sample(rng, 20000, 0.9, 0)
	m, err := FitPCA(ref, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Eigenvalues ≈ 1.9, 1 (×6), 0.1 of 8: 1.9 + 4 > 0.65·8 > 1.9 + 3.
	if m.Components() != 5 {
		t.Errorf("components = %d, want 5", m.Components())
	}
	if m.Explained() <= 0.65 || m.Explained() > 0.65+1.2/8 {
		t.Errorf("explained = %v", m.Explained())
	}
	all, err := FitPCA(ref, nil, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if all.Components() != 8 {
		t.Errorf("varianceKept 1: components = %d, want 8", all.Components())
	}
	if e := all.Error(ref); e > 1e-9 {
		t.Errorf("keeping every component, the error is %v, want 0", e)
	}
	// A row of reference means reconstructs exactly (it is the origin).
	mid := make([][]float64, 8)
	for j := range mid {
		mid[j] = []float64{m.mean[j]}
	}
	if e := m.Error(mid); e > 1e-9 {
		t.Errorf("error of the mean row = %v", e)
	}
	// NaN everywhere is imputed to the mean row too.
	for j := range mid {
		mid[j][0] = math.NaN()
	}
	if e := m.Error(mid); e > 1e-9 {
		t.Errorf("error of an all-missing row = %v", e)
	}
}

func TestThreshold(t *testing.T) {
	rng := newRng(500)
	ref := sample(rng, 5000, 0.9, 0)
	m, err := FitPCA(ref, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi, chunks := m.Threshold(500)
	if chunks != 10 || !(lo < hi) || lo < 0 {
		t.Errorf("Threshold(500) = %v, %v, %d", lo, hi, chunks)
	}
	refMean := mean(m.refErr)
	if !(lo < refMean && refMean < hi) {
		t.Errorf("reference mean %v outside [%v, %v]", refMean, lo, hi)
	}
	// Bigger windows, narrower band.
	lo2, hi2, _ := m.Threshold(2000)
	if !(hi2-lo2 < hi-lo) {
		t.Errorf("band for 2000 rows %v not narrower than for 500 rows %v", hi2-lo2, hi-lo)
	}
	// One chunk only: the standard-error band.
	_, _, c := m.Threshold(4000)
	if c != 0 {
		t.Errorf("Threshold(4000) used %d chunks, want 0", c)
	}
}

func TestDeterministic(t *testing.T) {
	rng := newRng(600)
	ref := sample(rng, 2000, 0.9, 0)
	cur := sample(rng, 500, 0.5, 0)
	a, err := DomainClassifier(ref, cur, nil, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, err := DomainClassifierWith(ref, cur, nil, DomainOptions{Seed: 7, Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("same seed, different results: %+v vs %+v", a, b)
	}
	if a.NRef != 1500 || a.NCur != 500 {
		t.Errorf("balancing: %d reference and %d current rows, want 1500 and 500", a.NRef, a.NCur)
	}
}

func TestInputErrors(t *testing.T) {
	good := [][]float64{{1, 2, 3, 4}, {2, 3, 1, 5}}
	if _, err := FitPCA(nil, nil, 0, 0); !errors.Is(err, ErrNoColumns) {
		t.Errorf("no columns: %v", err)
	}
	if _, err := FitPCA([][]float64{{1, 2}, {1}}, nil, 0, 0); !errors.Is(err, ErrRagged) {
		t.Errorf("ragged: %v", err)
	}
	if _, err := FitPCA(good, []bool{true}, 0, 0); err == nil {
		t.Error("wrong categorical length accepted")
	}
	if _, err := FitPCA(good, nil, 1.5, 0); err == nil {
		t.Error("varianceKept 1.5 accepted")
	}
	if _, err := FitPCA([][]float64{{1}}, nil, 0, 0); !errors.Is(err, ErrTooFewRows) {
		t.Errorf("one row: %v", err)
	}
	m, err := FitPCA(good, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Detect([][]float64{{1}}, 0); err == nil {
		t.Error("wrong column count accepted")
	}
	if e := m.Error([][]float64{{}, {}}); !math.IsNaN(e) {
		t.Errorf("empty window error = %v, want NaN", e)
	}
	if _, err := DomainClassifier(good, good, nil, 0); !errors.Is(err, ErrTooFewRows) {
		t.Errorf("4 rows: %v", err)
	}
	if _, err := DomainClassifier(good, [][]float64{{1}}, nil, 0); err == nil {
		t.Error("column mismatch accepted")
	}
}

// TestConstantColumn: a constant column is left unscaled and does not
// produce NaN.
func TestConstantColumn(t *testing.T) {
	rng := newRng(700)
	ref := sample(rng, 1000, 0.9, 0)
	for i := range ref[3] {
		ref[3][i] = 7
	}
	m, err := FitPCA(ref, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if e := m.Error(ref); math.IsNaN(e) || math.IsInf(e, 0) {
		t.Errorf("error = %v", e)
	}
}

func BenchmarkPCAFit5000x8(b *testing.B) {
	ref := sample(newRng(1), nRef, 0.9, 0)
	b.ResetTimer()
	for b.Loop() {
		if _, err := FitPCA(ref, nil, 0, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPCADetect1000x8(b *testing.B) {
	rng := newRng(1)
	ref := sample(rng, nRef, 0.9, 0)
	cur := sample(rng, nCur, 0.9, 0)
	m, err := FitPCA(ref, nil, 0, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Detect(cur, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPCA5000vs1000 fits on 5,000 reference rows and scores a
// 1,000-row window: the whole job when the reference is not cached.
func BenchmarkPCA5000vs1000(b *testing.B) {
	rng := newRng(1)
	ref := sample(rng, nRef, 0.9, 0)
	cur := sample(rng, nCur, 0.9, 0)
	b.ResetTimer()
	for b.Loop() {
		m, err := FitPCA(ref, nil, 0, 1)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Detect(cur, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDomainClassifier5000vs1000(b *testing.B) {
	rng := newRng(1)
	ref := sample(rng, nRef, 0.9, 0)
	cur := sample(rng, nCur, 0.9, 0)
	b.ResetTimer()
	for b.Loop() {
		if _, err := DomainClassifier(ref, cur, nil, 1); err != nil {
			b.Fatal(err)
		}
	}
}
