package drift_test

import (
	"fmt"

	"github.com/freshet/freshet/ml/drift"
)

func ExampleKS() {
	ref := []float64{0.1, 0.4, 0.5, 0.9, 1.3, 1.7, 2.0, 2.2}
	cur := []float64{1.1, 1.6, 1.9, 2.4, 2.8, 3.0, 3.3, 3.9}
	r, _ := drift.KS(ref, cur)
	fmt.Printf("D=%.3f p=%.4f exact=%v\n", r.Statistic, r.PValue, r.Exact)
	// Output: D=0.625 p=0.0870 exact=true
}

func ExampleDetect() {
	ref := make([]float64, 500)
	cur := make([]float64, 500)
	for i := range ref {
		ref[i] = float64(i % 100)
		cur[i] = float64(i%100) + 30 // shifted
	}
	codesRef := make([]float64, 500)
	codesCur := make([]float64, 500)
	for i := range codesRef {
		codesRef[i] = float64(i % 3)
		codesCur[i] = float64(i % 3)
	}
	rep, _ := drift.Detect([]drift.Column{
		{Name: "price", Ref: ref, Cur: cur, Importance: 0.1},
		{Name: "region", Categorical: true, Ref: codesRef, Cur: codesCur, Importance: 0.9},
	}, drift.Config{})
	for _, f := range rep.Features {
		fmt.Printf("%s %s drifted=%v weight=%.1f\n", f.Name, f.Method, f.Drifted, f.Weight)
	}
	fmt.Printf("share=%.2f dataset=%v weighted=%.2f weighted_drift=%v\n",
		rep.Share, rep.DatasetDrift, rep.WeightedShare, rep.WeightedDrift)
	// Output:
	// price ks drifted=true weight=0.1
	// region chisquare drifted=false weight=0.9
	// share=0.50 dataset=true weighted=0.10 weighted_drift=false
}

func ExampleBins() {
	ref := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	cur := []float64{6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	bins, _ := drift.QuantileBins(ref, 4)
	rc, _ := bins.Count(ref)
	cc, _ := bins.Count(cur)
	psi, _ := drift.PSI(rc, cc)
	js, _ := drift.JensenShannon(rc, cc)
	fmt.Println(bins.Cuts, rc, cc)
	fmt.Printf("PSI=%.3f JS=%.3f\n", psi, js)
	// Output:
	// [3.25 5.5 7.75] [3 2 2 3] [0 0 2 8]
	// PSI=4.411 JS=0.579
}
