package gate

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/metrics"
)

// TestSumStatMatchesMetrics checks the sum form of every bootstrapped
// metric, and the pre-sorted weighted AUC, against ml/metrics with the
// same weights.
func TestSumStatMatchesMetrics(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	n := 500
	y, a, b, w := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	wc := make([]uint16, n)
	for i := range y {
		if r.Float64() < 0.3 {
			y[i] = 1
		}
		a[i] = math.Round(r.Float64()*20) / 20 // ties
		b[i] = min(1, max(0, 0.3*y[i]+0.7*r.Float64()))
		wc[i] = uint16(r.IntN(4)) // multiplicities, some zero
		w[i] = float64(wc[i])
	}
	sc := scorer{task: ml.TaskBinary, y: y}
	type mf func(y, p, w []float64) (float64, error)
	for _, c := range []struct {
		metric string
		f      mf
	}{
		{ml.MetricAccuracy, metrics.Accuracy}, {ml.MetricLogLoss, metrics.LogLoss},
		{ml.MetricF1, metrics.F1}, {ml.MetricAUC, metrics.AUC},
	} {
		ev := newDiffPlan(sc, c.metric, a, b, order{}, order{}).evaluator()
		for k, wt := range [][]float64{nil, w} {
			va, _ := c.f(y, a, wt)
			vb, _ := c.f(y, b, wt)
			want := sense(c.metric) * (vb - va)
			got := make([]float64, 1)
			if ev([][]uint16{nil, wc}[k], got); math.Abs(got[0]-want) > 1e-12 {
				t.Errorf("%s (weights %v): %.17g, want %.17g", c.metric, wt != nil, got[0], want)
			}
		}
	}
	// Regression, on the whole and on two groupings of rows.
	reg := scorer{task: ml.TaskRegression, y: a}
	p := newDiffPlan(reg, ml.MetricRMSE, b, y, order{}, order{})
	groups := [][]int32{{3, 7, 11, 19, 40}, {1, 2}, {0, 3, 5, 9, 12, 13, 14, 15}}
	for _, g := range groups {
		p.addGroup(g)
	}
	got := make([]float64, p.nOut())
	p.evaluator()(wc, got)
	sub := func(rows []int32, x []float64) []float64 {
		var out []float64
		for _, i := range rows {
			out = append(out, x[i])
		}
		return out
	}
	wantAt := func(rows []int32) float64 {
		rb, _ := metrics.RMSE(sub(rows, a), sub(rows, b), sub(rows, w))
		ry, _ := metrics.RMSE(sub(rows, a), sub(rows, y), sub(rows, w))
		return rb - ry
	}
	all := make([]int32, n)
	for i := range all {
		all[i] = int32(i)
	}
	want := []float64{wantAt(all), wantAt(groups[0]), wantAt(groups[1]), wantAt(groups[2])}
	for o := range want {
		if math.Abs(got[o]-want[o]) > 1e-12 {
			t.Errorf("rmse output %d: %v, want %v", o, got[o], want[o])
		}
	}
}

// TestResampleDeterministic checks that a seed fixes the resamples
// whatever the number of goroutines, and that resamples are
// multinomial: n draws each.
func TestResampleDeterministic(t *testing.T) {
	t.Parallel()
	n, b := 97, 64
	sum := func(w []uint16, out []float64) {
		var s, c float64
		for i, v := range w {
			s += float64(v) * float64(i)
			c += float64(v)
		}
		out[0], out[1] = s, c
	}
	one := resample(n, b, 42, 2, 1, func() func(w []uint16, out []float64) { return sum })
	four := resample(n, b, 42, 2, 4, func() func(w []uint16, out []float64) { return sum })
	if !slices.Equal(one, four) {
		t.Fatal("resamples depend on the number of goroutines")
	}
	for r := range b {
		if one[2*r+1] != float64(n) {
			t.Fatalf("resample %d drew %v rows", r, one[2*r+1])
		}
	}
	other := resample(n, b, 43, 2, 1, func() func(w []uint16, out []float64) { return sum })
	if slices.Equal(one, other) {
		t.Fatal("seeds 42 and 43 draw the same resamples")
	}
}

func TestPairedBootstrapMean(t *testing.T) {
	t.Parallel()
	// The bootstrap of a mean: SE close to sd/√n, interval about the mean.
	r := rand.New(rand.NewPCG(3, 4))
	n := 400
	x := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64()*2 + 1
	}
	mean := func(w []float64) float64 {
		var s, c float64
		for i, v := range w {
			s += v * x[i]
			c += v
		}
		return s / c
	}
	res, err := PairedBootstrap(n, mean, 2000, 0.05, 9)
	if err != nil {
		t.Fatal(err)
	}
	m, sd := 0.0, 0.0
	for _, v := range x {
		m += v
	}
	m /= float64(n)
	for _, v := range x {
		sd += (v - m) * (v - m)
	}
	se := math.Sqrt(sd/float64(n)) / math.Sqrt(float64(n))
	if math.Abs(res.Estimate-m) > 1e-12 || math.Abs(res.SE-se) > 0.1*se {
		t.Errorf("estimate %v SE %v, want %v and about %v", res.Estimate, res.SE, m, se)
	}
	if math.Abs(res.Lo-(m-1.96*se)) > 0.3*se || math.Abs(res.Hi-(m+1.96*se)) > 0.3*se {
		t.Errorf("interval %v to %v, want about %v to %v", res.Lo, res.Hi, m-1.96*se, m+1.96*se)
	}
	if len(res.Replicates) != 2000 {
		t.Errorf("%d replicates", len(res.Replicates))
	}
	if _, err := PairedBootstrap(0, mean, 100, 0.05, 1); err == nil {
		t.Error("no error for 0 rows")
	}
}

// TestBootstrapCoverage simulates paired holdouts whose true difference
// is known and checks that the 95% percentile interval of
// BootstrapMetricDiff covers it 92–98% of the time.
func TestBootstrapCoverage(t *testing.T) {
	t.Parallel()
	trials, n, b := 400, 400, 1000
	if testing.Short() {
		trials = 150
	}
	phi := func(x float64) float64 { return normCDF(x) }
	scenarios := []struct {
		name   string
		task   ml.Task
		metric string
		truth  float64
		gen    func(r *rand.Rand) (y, champ, chal []float64)
	}{
		{
			// Each model is right with a fixed probability, the two
			// correlated through a shared draw: the true accuracy
			// difference is 0.85 − 0.80.
			name: "accuracy", task: ml.TaskBinary, metric: ml.MetricAccuracy, truth: 0.05,
			gen: func(r *rand.Rand) (y, champ, chal []float64) {
				y, champ, chal = make([]float64, n), make([]float64, n), make([]float64, n)
				for i := range y {
					y[i] = float64(r.IntN(2))
					u := r.Float64()
					uc, uh := u, u
					if r.Float64() < 0.5 {
						uc = r.Float64()
					}
					if r.Float64() < 0.5 {
						uh = r.Float64()
					}
					champ[i] = side(uc < 0.80, y[i])
					chal[i] = side(uh < 0.85, y[i])
				}
				return
			},
		},
		{
			// Errors N(0, 1) and N(0, 0.9²) with correlation 0.6: the true
			// RMSEs are 1 and 0.9, the improvement 0.1.
			name: "rmse", task: ml.TaskRegression, metric: ml.MetricRMSE, truth: 0.1,
			gen: func(r *rand.Rand) (y, champ, chal []float64) {
				y, champ, chal = make([]float64, n), make([]float64, n), make([]float64, n)
				for i := range y {
					y[i] = 5 * r.NormFloat64()
					z0, z1, z2 := r.NormFloat64(), r.NormFloat64(), r.NormFloat64()
					champ[i] = y[i] + 1.0*(0.6*z0+0.8*z1)
					chal[i] = y[i] + 0.9*(0.6*z0+0.8*z2)
				}
				return
			},
		},
		{
			// Binormal scores with unit variances and mean shifts 1 and
			// 1.4, correlated 0.5: AUC = Φ(δ/√2).
			name: "auc", task: ml.TaskBinary, metric: ml.MetricAUC, truth: phi(1.4/math.Sqrt2) - phi(1/math.Sqrt2),
			gen: func(r *rand.Rand) (y, champ, chal []float64) {
				y, champ, chal = make([]float64, n), make([]float64, n), make([]float64, n)
				for i := range y {
					if r.Float64() < 0.4 {
						y[i] = 1
					}
					z0, z1, z2 := r.NormFloat64(), r.NormFloat64(), r.NormFloat64()
					c := math.Sqrt(0.5)
					champ[i] = phi(1.0*y[i] + c*z0 + c*z1)
					chal[i] = phi(1.4*y[i] + c*z0 + c*z2)
				}
				return
			},
		},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(77, uint64(len(s.name))))
			covered := 0
			for k := range trials {
				y, champ, chal := s.gen(r)
				res, err := BootstrapMetricDiff(s.task, s.metric, 0, y, champ, chal, b, 0.05, uint64(k))
				if err != nil {
					t.Fatal(err)
				}
				if res.Lo <= s.truth && s.truth <= res.Hi {
					covered++
				}
			}
			rate := float64(covered) / float64(trials)
			t.Logf("%s: 95%% interval covers the true difference %.4f in %d of %d trials (%.1f%%)", s.name, s.truth, covered, trials, 100*rate)
			if !testing.Short() && (rate < 0.92 || rate > 0.98) {
				t.Errorf("coverage %.3f outside 0.92–0.98", rate)
			}
		})
	}
}

// side is a probability on the right (correct) or wrong side of 0.5.
func side(correct bool, y float64) float64 {
	if correct == (y == 1) {
		return 0.8
	}
	return 0.2
}

func TestCountAUC(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	n := 300
	y, a, b := make([]float64, n), make([]float64, n), make([]float64, n)
	w := make([]uint16, n)
	wf := make([]float64, n)
	for i := range y {
		y[i] = float64(r.IntN(2))
		a[i] = math.Round(r.Float64()*10) / 10
		b[i] = r.Float64()
		w[i] = uint16(r.IntN(3))
		wf[i] = float64(w[i])
	}
	sa, sb := packScores(newOrder(a), y), packScores(newOrder(b), y)
	wa, _ := metrics.AUC(y, a, wf)
	wb, _ := metrics.AUC(y, b, wf)
	if ga, gb := sa.countAUC(w), sb.countAUC(w); math.Abs(ga-wa) > 1e-15 || math.Abs(gb-wb) > 1e-15 {
		t.Errorf("countAUC %v %v, metrics %v %v", ga, gb, wa, wb)
	}
}
