package decay_test

import (
	"fmt"

	"github.com/freshet/freshet/ml/decay"
)

// errorStream is a deterministic error stream: 10% errors for 1000 rows,
// then 40%.
func errorStream() []float64 {
	x := make([]float64, 2000)
	for i := range x {
		rate := 10
		if i >= 1000 {
			rate = 40
		}
		if (i*37)%100 < rate {
			x[i] = 1
		}
	}
	return x
}

func ExampleADWIN() {
	adwin, _ := decay.NewADWIN(decay.DefaultADWINConfig())
	for i, x := range errorStream() {
		if adwin.Update(x) {
			fmt.Printf("change at %d, window mean %.2f over %d rows\n", i, adwin.Estimation(), adwin.Width())
		}
	}
	// Output: change at 1151, window mean 0.15 over 896 rows
}

func ExamplePageHinkley() {
	cfg := decay.DefaultPageHinkleyConfig()
	cfg.Mode = decay.PHUp // only a rising error rate matters
	cfg.Threshold = 20
	ph, _ := decay.NewPageHinkley(cfg)
	for i, x := range errorStream() {
		if ph.Update(x) {
			fmt.Println("change at", i)
		}
	}
	// Output: change at 1068
}

func ExampleDDM() {
	ddm, _ := decay.NewDDM(decay.DefaultDDMConfig())
	warned := false
	for i, x := range errorStream() {
		drift := ddm.Update(x)
		if ddm.Warning() && !warned {
			fmt.Println("warning at", i)
			warned = true
		}
		if drift {
			fmt.Println("change at", i)
			warned = false
		}
	}
	// Output:
	// warning at 1030
	// change at 1065
}

func ExampleKSWIN() {
	kswin, _ := decay.NewKSWIN(decay.DefaultKSWINConfig(42))
	for i := range 600 {
		x := float64(i%10) / 10 // losses spread over [0, 0.9]
		if i >= 300 {
			x += 0.5 // then shifted up
		}
		if kswin.Update(x) {
			fmt.Printf("change at %d (p=%.2g)\n", i, kswin.PValue())
		}
	}
	// Output: change at 326 (p=5.8e-06)
}

func ExampleBootstrapDiff() {
	// Per-row log losses of the baseline period and of this week.
	base := []float64{0.21, 0.35, 0.12, 0.44, 0.30, 0.25, 0.18, 0.39, 0.27, 0.33, 0.22, 0.31}
	cur := []float64{0.41, 0.52, 0.30, 0.47, 0.38, 0.61, 0.29, 0.44, 0.50, 0.36}
	r, _ := decay.BootstrapDiff(cur, base, decay.DefaultBootstrapConfig())
	fmt.Printf("diff %.3f, 95%% CI [%.3f, %.3f], significant %v\n", r.Diff, r.Lower, r.Upper, r.Significant())
	// Output: diff 0.147, 95% CI [0.072, 0.224], significant true
}

func ExampleTTestMean() {
	base := []float64{0.21, 0.35, 0.12, 0.44, 0.30, 0.25, 0.18, 0.39, 0.27, 0.33, 0.22, 0.31}
	cur := []float64{0.41, 0.52, 0.30, 0.47, 0.38, 0.61, 0.29, 0.44, 0.50, 0.36}
	r, _ := decay.TTestMean(cur, base)
	fmt.Printf("t=%.3f df=%.2f p=%.2g p(greater)=%.2g\n", r.T, r.DF, r.P, r.PGreater)
	// Output: t=3.561 df=18.45 p=0.0022 p(greater)=0.0011
}
