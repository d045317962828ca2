package mvdrift

import (
	"math"
	"os"
	"strconv"
	"testing"
)

// The simulations behind the false-alarm and power figures quoted in the
// package documentation. They take about 25 s, so they run only with
// MVDRIFT_SIM=1:
//
//	MVDRIFT_SIM=1 go test ./ml/mvdrift -run Sim -v
func needSim(t *testing.T) {
	if os.Getenv("MVDRIFT_SIM") == "" {
		t.Skip("set MVDRIFT_SIM=1 to run the simulations")
	}
}

// TestSimPCANull: false alarms of the PCA band over 1,000 no-drift pairs.
func TestSimPCANull(t *testing.T) {
	needSim(t)
	const S = 1000
	for _, window := range []int{1000, 500} {
		alarms := 0
		for s := range uint64(S) {
			rng := newRng(20000 + s)
			ref := sample(rng, nRef, 0.9, 0)
			cur := sample(rng, window, 0.9, 0)
			m, err := FitPCA(ref, nil, 0, s)
			if err != nil {
				t.Fatal(err)
			}
			p, err := m.Detect(cur, 0)
			if err != nil {
				t.Fatal(err)
			}
			if p.Drifted {
				alarms++
			}
		}
		t.Logf("window %d: PCA false alarms %d/%d", window, alarms, S)
	}
}

// TestSimDomainNull: the null spread of the cross-validated AUC over 300
// no-drift pairs, against the pooled Mann–Whitney formula and the bound.
func TestSimDomainNull(t *testing.T) {
	needSim(t)
	const S = 300
	var pooled, avg []float64
	var bound float64
	c05, c01, naive01 := 0, 0, 0
	for s := range uint64(S) {
		rng := newRng(10000 + s)
		ref := sample(rng, nRef, 0.9, 0)
		cur := sample(rng, nCur, 0.9, 0)
		r, err := DomainClassifier(ref, cur, nil, s)
		if err != nil {
			t.Fatal(err)
		}
		bound = r.Bound
		pooled = append(pooled, r.PooledAUC)
		avg = append(avg, r.AUC)
		if r.PValue < 0.05 {
			c05++
		}
		if r.PValue < 0.01 {
			c01++
		}
		sd := math.Sqrt(float64(r.NRef+r.NCur+1) / (12 * float64(r.NRef) * float64(r.NCur)))
		if r.PooledAUC > 0.5+2.3263*sd {
			naive01++
		}
	}
	mp, ma := mean(pooled), mean(avg)
	t.Logf("bound %.5f; pooled AUC mean %.5f sd %.5f; fold-mean AUC mean %.5f sd %.5f",
		bound, mp, stddev(pooled, mp), ma, stddev(avg, ma))
	t.Logf("alarms: p<0.05 %d/%d, p<0.01 %d/%d; pooled Mann–Whitney 1%% bound %d/%d", c05, S, c01, S, naive01, S)
}

// TestSimPower: detection rates for small mean shifts and correlation
// changes, 20 pairs each.
func TestSimPower(t *testing.T) {
	needSim(t)
	run := func(name string, base uint64, rho, shift float64) {
		dc, pc := 0, 0
		for s := range uint64(20) {
			rng := newRng(base + s)
			ref := sample(rng, nRef, 0.9, 0)
			cur := sample(rng, nCur, rho, shift)
			r, err := DomainClassifier(ref, cur, nil, s)
			if err != nil {
				t.Fatal(err)
			}
			m, err := FitPCA(ref, nil, 0, s)
			if err != nil {
				t.Fatal(err)
			}
			p, err := m.Detect(cur, 0)
			if err != nil {
				t.Fatal(err)
			}
			if r.Drifted {
				dc++
			}
			if p.Drifted {
				pc++
			}
		}
		t.Logf("%s: domain classifier %d/20, PCA %d/20", name, dc, pc)
	}
	for _, shift := range []float64{0.1, 0.15, 0.2, 0.3} {
		run("x0 shifted by "+ftoa(shift)+" sd", 30000, 0.9, shift)
	}
	for _, rho := range []float64{0.7, 0.5, 0} {
		run("correlation 0.9 → "+ftoa(rho), 40000, rho, 0)
	}
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
